import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '@app/dev-database';

const run = promisify(execFile);

/** Debian's server binaries (apt-get install postgresql); PG_BIN overrides. */
export function postgresBin(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  return majors.map((major) => path.join(root, major, 'bin')).find((bin) => existsSync(path.join(bin, 'pg_ctl')));
}

/**
 * A PostgreSQL server of the test's own, on a free port in a temporary directory, that the test can
 * stop, freeze and start again (the run's shared server must never be touched). Run as the `postgres`
 * account when the tests run as root, since PostgreSQL refuses to run as root.
 */
export class PrivatePostgres {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const bin = postgresBin();
    if (!bin) throw new Error('no PostgreSQL server binaries (apt-get install postgresql, or set PG_BIN)');
    const dir = mkdtempSync(path.join(tmpdir(), 'listing-api-pg-'));
    chmodSync(dir, 0o755);
    if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
    const server = new PrivatePostgres(bin, dir, await freePort());
    await server.pg('initdb', ['-D', server.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    appendFileSync(path.join(server.dataDir, 'postgresql.conf'), [`port = ${server.port}`, `listen_addresses = '127.0.0.1'`, `unix_socket_directories = '${dir}'`, 'fsync = off', ''].join('\n'));
    await server.startServer();
    return server;
  }

  url(database = 'postgres'): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /**
   * A new database with the schema of prisma/migrations: each migration.sql run as one simple query, in
   * order (what `prisma migrate deploy` runs, without its bookkeeping table, and without the seconds its
   * CLI takes to start).
   */
  async createMigratedDatabase(name: string): Promise<string> {
    await withClient(this.url(), (client) => client.query(`CREATE DATABASE "${name}"`));
    const migrations = path.join(__dirname, '..', '..', 'prisma', 'migrations');
    const scripts = readdirSync(migrations).filter((entry) => existsSync(path.join(migrations, entry, 'migration.sql'))).sort();
    await withClient(this.url(name), async (client) => {
      for (const script of scripts) await client.query(readFileSync(path.join(migrations, script, 'migration.sql'), 'utf8'));
    });
    return this.url(name);
  }

  /** pg_ctl start, waiting until it accepts connections. */
  async startServer(): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.dataDir, '-l', path.join(this.dir, 'server.log'), '-w', '-t', '30', 'start']);
  }

  /** pg_ctl stop in fast mode: sessions are terminated (57P01), then the server exits. */
  async stopServer(): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']);
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server and its backends: a host that stops answering. */
  freeze(frozen: boolean): void {
    const postmaster = Number(readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = execFileSync('pgrep', ['-P', String(postmaster)]).toString().trim().split('\n').filter(Boolean).map(Number);
    for (const pid of [postmaster, ...children]) process.kill(pid, frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  async destroy(): Promise<void> {
    if (existsSync(path.join(this.dataDir, 'postmaster.pid'))) await this.pg('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  private async pg(tool: string, args: string[]): Promise<void> {
    const command = path.join(this.bin, tool);
    const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    await run(file, argv, { cwd: this.dir, timeout: 60_000 });
  }
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
