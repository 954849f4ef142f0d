import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '@app/dev-database';
import { serviceProcessEnv } from './app-process';

/**
 * The service as an operator runs it: `npm run start:prod` on a build, in a process group of its own,
 * which is what systemd's default KillMode=control-group signals (npm and node both get the signal).
 *
 * The build goes to a directory of this checkout's own under node_modules/.cache (git and
 * `nest build` leave it alone), never to the repository's dist/, which a running service or
 * `npm run test:scale` may be using. Next to it, a package.json holding the repository's own
 * `start:prod` script, so that the script under test is the one users run.
 */
const ROOT = path.resolve(__dirname, '..', '..');

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Epoch ms. */
  at: number;
}

export interface ProductionProcess {
  baseUrl: string;
  /** npm's pid, which is also the group's id. */
  pgid: number;
  /** When npm has exited. */
  exit: Promise<Exit>;
  /** What npm and the service wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` to the whole process group, as systemd does. */
  signalGroup(signal: NodeJS.Signals): void;
  /** Whether any process of the group is still alive. */
  groupAlive(): boolean;
  /** SIGTERM to the group and wait for npm's exit (SIGKILL to the group after 30 s); for afterAll. */
  stop(): Promise<void>;
}

/** Builds the service (`nest build api` into the checkout's own directory); returns that directory. */
export async function buildForProduction(): Promise<string> {
  const directory = path.join(ROOT, 'node_modules', '.cache', 'listing-start-prod', createHash('sha256').update(ROOT).digest('hex').slice(0, 12));
  mkdirSync(directory, { recursive: true });
  const tsconfig = path.join(directory, 'tsconfig.json');
  writeFileSync(tsconfig, JSON.stringify({ extends: path.join(ROOT, 'apps', 'api', 'tsconfig.app.json'), compilerOptions: { outDir: path.join(directory, 'dist') } }));
  const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  writeFileSync(path.join(directory, 'package.json'), JSON.stringify({ name: 'listing-api-build', private: true, scripts: { 'start:prod': scripts['start:prod'] } }, null, 2));
  const nest = require.resolve('@nestjs/cli/bin/nest.js', { paths: [ROOT] });
  // Relative: the CLI joins the path to its working directory.
  const child = spawn(process.execPath, [nest, 'build', 'api', '--path', path.relative(ROOT, tsconfig)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`nest build failed (exit ${code}):\n${output}`);
  return directory;
}

export async function startProduction(directory: string, options: { databaseUrl: string; env?: Record<string, string> }): Promise<ProductionProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...serviceProcessEnv(port, options.databaseUrl, 'log'), ...options.env };
  const npm = spawn('npm', ['run', 'start:prod'], { cwd: directory, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pgid = npm.pid ?? -1;
  let output = '';
  npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<Exit>((resolve) => npm.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  let exited = false;
  void exit.then(() => (exited = true));
  const signalGroup = (signal: NodeJS.Signals) => process.kill(-pgid, signal);
  const groupAlive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const stop = async () => {
    if (!groupAlive()) return;
    signalGroup('SIGTERM');
    const timer = setTimeout(() => groupAlive() && signalGroup('SIGKILL'), 30_000);
    await exit;
    clearTimeout(timer);
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  while (!(await isReady(baseUrl))) {
    if (exited) throw new Error(`npm run start:prod exited (${JSON.stringify(await exit)}) before the service was ready:\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the service was not ready within 90 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { baseUrl, pgid, exit, output: () => output, signalGroup, groupAlive, stop };
}

async function isReady(baseUrl: string): Promise<boolean> {
  try {
    return (await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(5000) })).status === 200;
  } catch {
    return false;
  }
}
