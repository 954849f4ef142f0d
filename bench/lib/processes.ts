/** Child processes of a benchmark run: the build, the migrations, and the two servers under test. */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
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

export class Server {
  private exited: string | undefined;

  private constructor(
    readonly name: string,
    readonly baseUrl: string,
    private readonly child: ChildProcess,
  ) {
    child.once('exit', (code, signal) => (this.exited = `exited (${signal ?? code})`));
  }

  /** Starts `node script` listening on a free port of 127.0.0.1, and waits until it answers HTTP. */
  static async start(name: string, script: string, env: NodeJS.ProcessEnv, logPath: string): Promise<Server> {
    const port = await freePort();
    const log = createWriteStream(logPath, { flags: 'a' });
    const child = spawn(process.execPath, [script], { env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
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
