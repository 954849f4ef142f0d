import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from '@app/dev-database';
import path from 'node:path';
import { TEST_JWT_SECRET } from './test-app';

/**
 * The service as its own OS process (apps/api/src/main.ts, the production entry point), for tests
 * that need several instances on one database. No build step: the child compiles the TypeScript
 * sources as it loads them (TypeScript's transpileModule, what ts-jest does per file) and resolves the
 * `@app/*` aliases of tsconfig.json itself. The hook is passed with `node -e`, so it needs no file of
 * its own.
 *
 * `naiveListingWrites` swaps the listing row lock (`SELECT … FOR UPDATE`) for a plain read in that
 * process only: the read-then-write race the cross-process test must catch. Test-only, never shipped.
 */
const ROOT = path.resolve(__dirname, '..', '..');

const LAUNCHER = String.raw`
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const [root, entry] = process.argv.slice(1);
// The entry sees only its own arguments (node:util parseArgs reads process.argv after -e's script).
process.argv.splice(1, 2);
// TypeScript itself is loaded only when a file is not in the cache yet.
let typescript;
const ts = () => (typescript ??= require('typescript'));
const tsconfigText = fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8');
let config;
try {
  config = JSON.parse(tsconfigText);
} catch {
  config = ts().parseConfigFileTextToJson('tsconfig.json', tsconfigText).config;
}
const aliases = Object.entries(config.compilerOptions.paths).filter(([alias]) => !alias.endsWith('/*')).map(([alias, [target]]) => [alias, path.join(root, target)]);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  for (const [alias, target] of aliases) {
    if (request === alias) return resolve.call(this, path.join(target, 'index.ts'), parent, ...rest);
    if (request.startsWith(alias + '/')) request = path.join(target, request.slice(alias.length + 1));
  }
  // The generated Prisma client imports its own .ts files as .js (Node ESM style).
  if (/^\.{1,2}\//.test(request) && request.endsWith('.js') && parent && parent.filename && parent.filename.endsWith('.ts')) {
    const source = path.resolve(path.dirname(parent.filename), request.slice(0, -3) + '.ts');
    if (fs.existsSync(source)) request = source;
  }
  return resolve.call(this, request, parent, ...rest);
};
const options = () => ({ module: ts().ModuleKind.CommonJS, target: ts().ScriptTarget.ES2023, experimentalDecorators: true, emitDecoratorMetadata: true, esModuleInterop: true, sourceMap: false, inlineSourceMap: true });
// Compiled files are kept by content hash: the second process, and the next run, start faster.
const cacheDir = path.join(root, 'node_modules', '.cache', 'listing-app-process');
fs.mkdirSync(cacheDir, { recursive: true });
require.extensions['.ts'] = function (module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const cached = path.join(cacheDir, crypto.createHash('sha256').update(require('typescript/package.json').version + filename + source).digest('hex') + '.js');
  let output;
  try {
    output = fs.readFileSync(cached, 'utf8');
  } catch {
    output = ts().transpileModule(source, { compilerOptions: options(), fileName: filename }).outputText;
    const partial = cached + '.' + process.pid;
    fs.writeFileSync(partial, output);
    fs.renameSync(partial, cached);
  }
  module._compile(output, filename);
  if (process.env.NAIVE_LISTING_WRITES === '1' && filename.endsWith(path.join('libs', 'listings', 'src', 'listing.statements.ts'))) {
    const lock = module.exports.WRITE_LOCK;
    if (!lock || lock.clause !== 'FOR UPDATE') throw new Error('NAIVE_LISTING_WRITES: WRITE_LOCK { clause: "FOR UPDATE" } not found in listing.statements.ts');
    lock.clause = '';
    process.stderr.write('NAIVE_LISTING_WRITES: the listing row is read without FOR UPDATE in this process\n');
  }
};
require(path.resolve(root, entry));
`;

/**
 * The environment a test starts the service's process with: nothing inherited but PATH and HOME (so the machine's
 * settings cannot leak in), loopback, the test secret, and sign-in limits out of the way of the tests' own traffic.
 */
export function serviceProcessEnv(port: number, databaseUrl: string, logLevel: 'warn' | 'log'): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    LOG_LEVEL: logLevel,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    AUTH_RATE_LIMIT_PER_IP: '100000',
    AUTH_RATE_LIMIT_PER_ACCOUNT: '100000',
  };
}

export interface AppProcess {
  baseUrl: string;
  pid: number;
  /** Settles when the process has exited: its exit code or the signal that ended it, and when (epoch ms). */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** What the process wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** SIGTERM, then wait for the exit (SIGKILL after 15 s). */
  stop(): Promise<void>;
}

export interface AppProcessOptions {
  databaseUrl: string;
  env?: Record<string, string>;
  naiveListingWrites?: boolean;
  /** How long to wait for /health/ready. */
  startTimeoutMs?: number;
  /** The port to listen on; default: a free one. */
  port?: number;
}

export async function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  const port = options.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = {
    ...serviceProcessEnv(port, options.databaseUrl, 'warn'),
    ...(options.naiveListingWrites ? { NAIVE_LISTING_WRITES: '1' } : {}),
    ...options.env,
  };
  const child = spawn(process.execPath, ['-e', LAUNCHER, ROOT, 'apps/api/src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  let done = false;
  void exited.then(() => (done = true));
  while (!(await isReady(baseUrl))) {
    if (done) throw new Error(`the app process exited (code ${(await exit).code}) before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      await stopChild(child, exited);
      throw new Error(`the app process was not ready within ${options.startTimeoutMs ?? 90_000} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { baseUrl, pid: child.pid ?? -1, exit, output: () => output, stop: () => stopChild(child, exited) };
}

/**
 * Runs another entry point of the app (a CLI such as apps/api/src/cli/admin-create.ts) to completion,
 * compiled the same way, with `args` as its command line.
 */
export async function runAppScript(entry: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['-e', LAUNCHER, ROOT, entry, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  return { code, stdout, stderr };
}

async function isReady(baseUrl: string): Promise<boolean> {
  try {
    return (await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(5000) })).status === 200;
  } catch {
    return false;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

