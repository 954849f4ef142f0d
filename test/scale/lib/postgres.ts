/**
 * A private PostgreSQL primary and one streaming replica, on free ports under the run's temp dir, from the
 * machine's server binaries (Debian: /usr/lib/postgresql/<major>/bin; PG_BIN overrides).
 */
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../../bench/lib/processes';
import { asPostgres, onCleanup, run, waitUntil } from './supervisor';

export const DATABASE = 'listing_scale';

export interface PostgresPair {
  primaryUrl: string;
  replicaUrl: string;
  /** pg_stat_statements is loaded on both servers (else only the coarser per-database counters are read). */
  statements: boolean;
  version: string;
}

export function findPostgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a)) : [];
  const found = majors.map((major) => path.join(root, major, 'bin')).find((bin) => existsSync(path.join(bin, 'initdb')));
  if (!found) throw new Error('No PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) under /usr/lib/postgresql/*/bin: apt-get install -y postgresql, or set PG_BIN');
  return found;
}

export async function startPostgresPair(workDir: string, logDir: string): Promise<PostgresPair> {
  const bin = findPostgresBin();
  const pgDir = path.join(workDir, 'pg');
  mkdirSync(pgDir, { mode: 0o755 });
  if (process.getuid?.() === 0) chownSync(pgDir, postgresUid(), postgresGid());
  const statements = existsSync(path.join(bin, '..', 'lib', 'pg_stat_statements.so'));
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  // The postgres account may not be able to enter the caller's directory (a clone under /root).
  const opts = (name: string, timeoutMs = 60_000) => ({ cwd: workDir, logPath: path.join(logDir, `${name}.log`), timeoutMs });
  const pg = (tool: string, args: string[], name: string) => run(...asPostgres(path.join(bin, tool), args), opts(name));

  const primary = path.join(pgDir, 'primary');
  await pg('initdb', ['-D', primary, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], 'initdb');
  // initdb's pg_hba.conf already trusts replication connections from 127.0.0.1.
  appendFileSync(path.join(primary, 'postgresql.conf'), serverSettings(primaryPort, pgDir, statements));
  await startServer(bin, primary, 'postgres-primary', opts);

  const replica = path.join(pgDir, 'replica');
  await pg('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replica, '-R', '-X', 'stream', '-c', 'fast'], 'pg_basebackup');
  // The copy carries the primary's settings; the port appended last wins.
  appendFileSync(path.join(replica, 'postgresql.conf'), `port = ${replicaPort}\nhot_standby = on\n`);
  await startServer(bin, replica, 'postgres-replica', opts);

  const server = (port: number) => `postgresql://postgres@127.0.0.1:${port}`;
  const version = await withClient(`${server(primaryPort)}/postgres`, async (client) => {
    await client.query(`CREATE DATABASE ${DATABASE}`);
    return (await client.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version'])).rows[0].v;
  });
  if (statements) await withClient(`${server(primaryPort)}/${DATABASE}`, (client) => client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements'));
  const replicaUrl = `${server(replicaPort)}/${DATABASE}`;
  await waitUntil('the replica serves the new database', () => withClient(replicaUrl, async (c) => (await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0].r), 30_000);
  return { primaryUrl: `${server(primaryPort)}/${DATABASE}`, replicaUrl, statements, version };
}

function serverSettings(port: number, socketDir: string, statements: boolean): string {
  return [
    `port = ${port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = '${socketDir}'`,
    'wal_level = replica',
    'max_wal_senders = 5',
    'max_connections = 200',
    ...(statements ? [`shared_preload_libraries = 'pg_stat_statements'`, 'pg_stat_statements.track = all'] : []),
    '',
  ].join('\n');
}

type Opts = (name: string, timeoutMs?: number) => { cwd: string; logPath: string; timeoutMs: number };

async function startServer(bin: string, dataDir: string, name: string, opts: Opts): Promise<void> {
  const pgCtl = path.join(bin, 'pg_ctl');
  const logFile = path.join(path.dirname(dataDir), `${name}.log`);
  await run(...asPostgres(pgCtl, ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start']), opts(`${name}-ctl`));
  onCleanup(name, async () => {
    try {
      await run(...asPostgres(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', '-t', '10', 'stop']), opts(`${name}-ctl`, 15_000));
    } catch {
      killPostmaster(dataDir);
    }
  });
}

/** Last resort when pg_ctl cannot stop it: the postmaster's pid is the first line of postmaster.pid. */
function killPostmaster(dataDir: string): void {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (pid > 0) process.kill(pid, 'SIGKILL');
}

export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function passwdEntry(name: string): string[] {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith(`${name}:`));
  if (!line) throw new Error(`no ${name} account: PostgreSQL cannot run as root without it`);
  return line.split(':');
}
const postgresUid = () => Number(passwdEntry('postgres')[2]);
const postgresGid = () => Number(passwdEntry('postgres')[3]);
