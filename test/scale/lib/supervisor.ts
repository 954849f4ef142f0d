/**
 * Every process and directory the scale test creates is registered here, so that one `cleanup()` (on success,
 * on failure, on an exception and on Ctrl-C) stops them all in reverse order and removes the temp dir.
 */
import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { chmodSync, cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

type Cleanup = { name: string; run: () => Promise<void> };

const cleanups: Cleanup[] = [];
let cleaning: Promise<void> | undefined;

export const log = (line: string) => process.stdout.write(`${line}\n`);
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Registers an undo step; cleanup() runs them last-registered first, each bounded and isolated. */
export function onCleanup(name: string, run: () => Promise<void>): void {
  cleanups.push({ name, run });
}

export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const step = cleanups.pop()!;
      try {
        await withTimeout(step.run(), 15_000, `cleanup: ${step.name}`);
      } catch (error) {
        log(`cleanup: ${step.name} failed: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}

/** Ctrl-C or a CI timeout: stop everything, then exit with the conventional code. */
export function cleanUpOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      log(`\n${signal}: stopping every process of the run`);
      void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms / 1000} s`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A system command from PATH, else from the sbin directories a non-login shell may leave out. */
export function systemBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/sbin', '/sbin'];
  return dirs.map((dir) => path.join(dir, name)).find((file) => existsSync(file));
}

/** Root runs the PostgreSQL binaries as the `postgres` account (PostgreSQL refuses to run as root). */
export function asPostgres(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? [systemBinary('runuser') ?? 'runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/** Runs a command to completion; its output goes to logPath, and the error names the log's last lines. */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; logPath: string; timeoutMs: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(options.logPath, { flags: 'a' });
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Two sources, one log: neither may end it (stderr can still have data when stdout ends); 'close' does.
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const guard = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(guard);
      reject(new Error(`${command}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(guard);
      out.end(() => {
        if (code === 0) resolve();
        else reject(new Error(`${path.basename(command)} ${args.slice(0, 3).join(' ')} … failed (${signal ?? `exit ${code}`}):\n${tail(options.logPath, 15)}`));
      });
    });
  });
}

export function tail(file: string, lines: number): string {
  if (!existsSync(file)) return `(no ${file})`;
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((line) => `    ${line}`).join('\n');
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A long-running child (redis, nginx, an app instance) with its output in a log file. It is registered for
 * cleanup when started: SIGTERM, then SIGKILL if it is still there after graceMs.
 */
export class Child {
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private readonly process: ChildProcess;

  constructor(readonly name: string, command: string, args: string[], options: SpawnOptions & { logPath: string; graceMs?: number }) {
    const out = createWriteStream(options.logPath, { flags: 'a' });
    this.process = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    // As in run(): the log ends once both streams have (the 'close' event), not when the first one does.
    this.process.stdout?.pipe(out, { end: false });
    this.process.stderr?.pipe(out, { end: false });
    this.process.once('close', () => out.end());
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => resolve((this.exit = { code, signal })));
      this.process.once('error', (error) => {
        out.write(`spawn failed: ${error.message}\n`);
        resolve((this.exit = { code: -1, signal: null }));
      });
    });
    onCleanup(name, () => this.stop(options.graceMs ?? 5000).then(() => undefined));
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  describeExit(): string {
    return this.exit ? (this.exit.signal ?? `exit ${this.exit.code}`) : 'running';
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.process.kill(signal);
  }

  /** SIGTERM (or `signal`), then SIGKILL after graceMs. */
  async stop(graceMs = 5000, signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (!this.running) return this.exit!;
    this.process.kill(signal);
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

/** Polls `probe` until it resolves true, failing early if `child` exits. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && !child.running) throw new Error(`${child.name} ${child.describeExit()} before ${what}`);
    if (await probe().catch(() => false)) return;
    await sleep(150);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
}

/**
 * The repository: the nearest folder up from the running script (compiled under node_modules/.cache) with
 * package.json. From the script's path as started, not __dirname: Node resolves symlinks there, and a git worktree
 * whose node_modules links to another checkout's would otherwise build, test and write its logs into that checkout.
 */
export function repositoryRoot(): string {
  let dir = path.dirname(path.resolve(process.argv[1]));
  while (!existsSync(path.join(dir, 'package.json')) || dir.split(path.sep).includes('node_modules')) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('repository root not found');
    dir = parent;
  }
  return dir;
}

/** The servers' own logs, copied beside the run's when they exist. */
const SERVER_LOGS: Record<string, string> = {
  'pg/postgres-primary.log': 'postgres-primary.log',
  'pg/postgres-replica.log': 'postgres-replica.log',
  'nginx/access.log': 'nginx-access.log',
  'nginx/error.log': 'nginx-error.log',
};

/**
 * A run's temp dir (0755: the postgres account and nginx's workers must be able to enter it) with its logs/ folder,
 * removed at cleanup unless `keep`, and its logs copied to test/artifacts/<name>/ first; and `step`, which prints a
 * line with the seconds since the start.
 */
export function runWorkspace(
  name: string,
  root: string,
  keep: boolean,
): { workDir: string; logDir: string; artifacts: string; started: number; step: (what: string) => void } {
  const started = Date.now();
  const workDir = mkdtempSync(path.join(os.tmpdir(), `listing-${name}-`));
  chmodSync(workDir, 0o755);
  onCleanup('temp dir', () => {
    if (keep) log(`kept ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
    return Promise.resolve();
  });
  const logDir = path.join(workDir, 'logs');
  mkdirSync(logDir);
  const artifacts = path.join(root, 'test', 'artifacts', name);
  onCleanup('copy logs', () => {
    rmSync(artifacts, { recursive: true, force: true });
    mkdirSync(artifacts, { recursive: true });
    cpSync(logDir, artifacts, { recursive: true });
    for (const [from, to] of Object.entries(SERVER_LOGS)) {
      if (existsSync(path.join(workDir, from))) cpSync(path.join(workDir, from), path.join(artifacts, to));
    }
    return Promise.resolve();
  });
  const step = (what: string) => log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${what}`);
  return { workDir, logDir, artifacts, started, step };
}
