/** Child processes of a benchmark run: the build, the migrations, and the two servers under test. */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { Client } from 'pg';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Runs a command to completion (bounded by timeoutMs), its output appended to logPath. */
export function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv, logPath: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logPath, { flags: 'a' });
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}); see ${logPath}`));
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Clock ticks per second of /proc's CPU times (100 on every usual Linux). */
let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * The user + system CPU time process `pid` has used so far, in µs, from /proc/<pid>/stat (Linux); undefined where
 * there is no /proc. Read from outside, so the figure costs the measured process nothing and covers all its threads.
 */
export function processCpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/**
 * --pin (for comparing CPU per request between builds): the server under test gets CPU 1 to itself, the load tool
 * and the database's backends share CPU 0, so the server's CPU time is not inflated by sharing a core with them.
 * It changes what req/s means (one core for the server), so it is off for the published runs.
 */
export let CPU_PINNING: { server: string; others: string } | undefined;

export function enableCpuPinning(): void {
  CPU_PINNING = { server: '1', others: '0' };
}

/** Moves the backends of `databaseUrl`'s database (the servers' pools) to the shared CPU; best effort. */
export async function pinDatabaseBackends(databaseUrl: string): Promise<void> {
  if (!CPU_PINNING) return;
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
    for (const { pid } of rows) spawnSync('taskset', ['-pc', CPU_PINNING.others, String(pid)], { stdio: 'ignore' });
  } finally {
    await client.end();
  }
}

export class Server {
  private exited: string | undefined;

  private constructor(
    readonly name: string,
    readonly baseUrl: string,
    private readonly child: ChildProcess,
  ) {
    child.once('exit', (code, signal) => (this.exited = `exited (${signal ?? code})`));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends a signal (SIGUSR2 toggles the profiler of a server started with the profiler preload). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** The CPU time the server has used so far, in µs (see processCpuMicros). */
  cpuMicros(): number | undefined {
    return processCpuMicros(this.child.pid);
  }

  /** Starts `node script` listening on a free port of 127.0.0.1, and waits until it answers HTTP. */
  static async start(name: string, script: string, env: NodeJS.ProcessEnv, logPath: string, nodeArgs: string[] = []): Promise<Server> {
    const port = await freePort();
    const log = createWriteStream(logPath, { flags: 'a' });
    const command = [process.execPath, ...nodeArgs, script];
    // taskset execs node in place: the child's pid is the server's, whose CPU time is read from /proc.
    const [file, ...args] = CPU_PINNING ? ['taskset', '-c', CPU_PINNING.server, ...command] : command;
    const child = spawn(file, args, { env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const server = new Server(name, `http://127.0.0.1:${port}`, child);
    try {
      await server.waitReady(60_000);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** Any HTTP answer counts: readiness is about the process listening, not about any one route. */
  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`${this.name} ${this.exited} before it was ready`);
      try {
        await fetch(`${this.baseUrl}/listings?limit=1`, { signal: AbortSignal.timeout(2000) });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new Error(`${this.name} did not answer within ${timeoutMs / 1000} s`);
  }

  /** SIGTERM (both servers close their pools on it), then SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}
