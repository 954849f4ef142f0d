/**
 * What the request metrics cost per request, in CPU µs (issue 20: at most 2 µs). Two measurements:
 *
 * 1. The hooks' own work (RequestMetrics.requestStarted + requestFinished from libs/metrics), called on
 *    Fastify-shaped request and reply objects (a `routeOptions` getter that builds Fastify 5's object, an
 *    `elapsedTime` getter, a real EventEmitter as `raw` that emits 'close'), over the service's routes and
 *    statuses; minus the same loop without the hooks (the emitter and its 'close' exist for every response anyway).
 * 2. A real Fastify 5 with the service's GET route patterns, in a child process, on loopback, loaded by wrk, with
 *    and without the two hooks installed: the server process' CPU time per request (/proc/<pid>/stat), in
 *    interleaved rounds, and the difference. End to end but noisy (a bare Fastify request costs tens of µs, and
 *    this machine is shared): 1 is the cost, 2 shows nothing else changed. (Fastify's inject() was tried first:
 *    it kept ~10 KB per request here; two servers in one process skewed each other.)
 *
 *   npm run bench:metrics
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { RequestMetrics, installRequestHooks } from '../libs/metrics/src/request-metrics';

const run = promisify(execFile);

/** The service's route patterns (a sample of each kind) and the statuses they answer most. */
const ROUTES: { method: string; pattern: string | undefined; path: string; statuses: number[] }[] = [
  { method: 'GET', pattern: '/listings', path: '/listings', statuses: [200, 400] },
  { method: 'GET', pattern: '/listings/:id', path: '/listings/12', statuses: [200, 304, 404] },
  { method: 'PUT', pattern: '/listings/:id', path: '/listings/12', statuses: [200, 403, 422] },
  { method: 'GET', pattern: '/listings/:id/prices', path: '/listings/12/prices', statuses: [200, 304, 404] },
  { method: 'GET', pattern: '/listings/:id/prices/summary', path: '/listings/12/prices/summary', statuses: [200] },
  { method: 'POST', pattern: '/auth/login', path: '/auth/login', statuses: [200, 401, 429] },
  { method: 'GET', pattern: '/health/live', path: '/health/live', statuses: [200] },
  { method: 'GET', pattern: undefined, path: '/no-such-path', statuses: [404] },
];

interface Case {
  request: { method: string; readonly routeOptions: { url: string | undefined } };
  reply: { statusCode: number; readonly elapsedTime: number; raw: EventEmitter };
}

/** Fastify 5's request.routeOptions getter builds this object on every read; so does the fake. */
function fakeRequest(method: string, pattern: string | undefined): Case['request'] {
  const context = { config: { url: pattern, method }, handler: () => undefined, schema: undefined, logLevel: '', attachValidation: false };
  return {
    method,
    get routeOptions() {
      return {
        method: context.config.method,
        url: context.config.url,
        bodyLimit: 102_400,
        handlerTimeout: undefined,
        attachValidation: context.attachValidation,
        logLevel: context.logLevel,
        exposeHeadRoute: true,
        prefixTrailingSlash: 'both',
        handler: context.handler,
        config: context.config,
        schema: context.schema,
        version: undefined,
      };
    },
  };
}

function cases(): Case[] {
  const all: Case[] = [];
  for (const { method, pattern, statuses } of ROUTES) {
    for (const statusCode of statuses) {
      const started = performance.now();
      all.push({ request: fakeRequest(method, pattern), reply: { statusCode, raw: new EventEmitter(), get elapsedTime() { return performance.now() - started; } } });
    }
  }
  return all;
}

/** CPU µs (user + system) per iteration of `body` over `iterations`. */
function cpuMicros(iterations: number, body: (i: number) => void): number {
  const before = process.cpuUsage();
  for (let i = 0; i < iterations; i += 1) body(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / iterations;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** 1: the hooks' work alone, against the same loop without it. */
function hookWork(rounds: number, iterations: number): { withHooks: number; without: number; cost: number } {
  const metrics = new RequestMetrics(new Registry());
  const all = cases();
  // Each iteration: a fresh response emitter (as every real response has), 'close' emitted at the end.
  const without = (i: number) => {
    const { reply } = all[i % all.length];
    const raw = new EventEmitter();
    reply.raw = raw;
    raw.emit('close');
  };
  const withHooks = (i: number) => {
    const { request, reply } = all[i % all.length];
    const raw = new EventEmitter();
    reply.raw = raw;
    metrics.requestStarted(reply);
    metrics.requestFinished(request, reply);
    raw.emit('close');
  };
  cpuMicros(iterations, without);
  cpuMicros(iterations, withHooks);
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    a.push(cpuMicros(iterations, withHooks));
    b.push(cpuMicros(iterations, without));
  }
  return { withHooks: median(a), without: median(b), cost: median(a.map((value, index) => value - b[index])) };
}

/** The server of measurement 2 (run as a child process: `--serve with|without`); prints its URL. */
async function serve(withHooks: boolean): Promise<void> {
  const fastify = Fastify();
  // The service has request hooks anyway (request id and request line, the drain's): both servers get such a pair,
  // so that the difference is the metrics hooks', not Fastify's switch from no hooks to running hooks at all.
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  fastify.addHook('onResponse', (_request, _reply, done) => done());
  if (withHooks) installRequestHooks(fastify, new RequestMetrics(new Registry()));
  for (const { method, pattern } of ROUTES) {
    if (pattern === undefined || method !== 'GET') continue;
    fastify.route({ method: 'GET', url: pattern, handler: () => Promise.resolve({ ok: true }) });
  }
  process.stdout.write(`${await fastify.listen({ host: '127.0.0.1', port: 0 })}\n`);
}

interface Server {
  child: ChildProcess;
  url: string;
}

async function startServer(withHooks: boolean): Promise<Server> {
  const child = spawn(process.execPath, [__filename, '--serve', withHooks ? 'with' : 'without'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`the ${withHooks ? 'instrumented' : 'plain'} server exited (${code})`)));
  });
  return { child, url };
}

/** A process' CPU time so far (utime + stime from /proc/<pid>/stat), in µs. */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

/** sysconf(_SC_CLK_TCK) on Linux. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * One wrk run (one thread, 2 connections: the client must leave CPU to the server) against a server, cycling
 * through the GET paths: the server process' CPU time per request answered.
 */
async function wrkRound(server: Server, scriptFile: string, seconds: number): Promise<number> {
  const before = cpuOf(server.child.pid!);
  const { stdout } = await run('wrk', ['-t1', '-c2', `-d${seconds}s`, '-s', scriptFile, server.url], { encoding: 'utf8' });
  const used = cpuOf(server.child.pid!) - before;
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
  if (!requests) throw new Error(`wrk said:\n${stdout}`);
  return used / requests;
}

/**
 * 2: a real Fastify 5 server per process (as in the service: one server, one set of hooks), over loopback HTTP
 * (wrk), with and without the hooks, in interleaved rounds.
 */
async function overHttp(rounds: number, seconds: number): Promise<{ withHooks: number; without: number; cost: number; spread: number[] } | undefined> {
  try {
    await run('wrk', ['--version']).catch((error: { stdout?: string }) => {
      // wrk --version exits 1 after printing its version.
      if (!error.stdout?.includes('wrk')) throw error;
    });
  } catch {
    return undefined;
  }
  const paths = ROUTES.filter((route) => route.method === 'GET' && route.pattern !== undefined).map((route) => route.path);
  const scriptFile = path.join(mkdtempSync(path.join(tmpdir(), 'metrics-cost-')), 'paths.lua');
  writeFileSync(scriptFile, `local paths = {${paths.map((p) => `"${p}"`).join(',')}}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format("GET", paths[i])\nend\n`);
  const [plain, instrumented] = await Promise.all([startServer(false), startServer(true)]);
  await wrkRound(plain, scriptFile, 1);
  await wrkRound(instrumented, scriptFile, 1);
  const a: number[] = [];
  const b: number[] = [];
  // A B, then B A: whatever the second run of a pair gains or loses (a warmer cache, a neighbour's burst) is not
  // always the same server's.
  for (let round = 0; round < rounds; round += 1) {
    if (round % 2 === 0) {
      a.push(await wrkRound(instrumented, scriptFile, seconds));
      b.push(await wrkRound(plain, scriptFile, seconds));
    } else {
      b.push(await wrkRound(plain, scriptFile, seconds));
      a.push(await wrkRound(instrumented, scriptFile, seconds));
    }
  }
  for (const server of [plain, instrumented]) server.child.kill();
  const differences = a.map((value, index) => value - b[index]).sort((x, y) => x - y);
  return {
    withHooks: median(a),
    without: median(b),
    cost: median(differences),
    spread: [differences[Math.floor(differences.length / 4)], differences[Math.floor((differences.length * 3) / 4)]],
  };
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--smoke');
  const format = (n: number) => n.toFixed(3).padStart(8);
  const work = hookWork(quick ? 3 : 9, quick ? 100_000 : 1_000_000);
  process.stdout.write(`Request metrics, CPU µs per request (median of interleaved rounds; node ${process.version})\n`);
  process.stdout.write(`1. hooks' work alone      with ${format(work.withHooks)}  without ${format(work.without)}  cost ${format(work.cost)}\n`);
  const http = await overHttp(quick ? 2 : 16, quick ? 1 : 2);
  if (http) {
    process.stdout.write(`2. Fastify over HTTP (wrk) with ${format(http.withHooks)}  without ${format(http.without)}  cost ${format(http.cost)}`);
    process.stdout.write(`  (middle half of the round differences: ${http.spread.map((d) => d.toFixed(1)).join(' to ')})\n`);
  }
  else process.stdout.write('2. skipped: wrk is not installed (apt-get install wrk)\n');
}

const serveIndex = process.argv.indexOf('--serve');
if (serveIndex === -1) void main();
else void serve(process.argv[serveIndex + 1] === 'with');
