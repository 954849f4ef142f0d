/**
 * Load generation: wrk (a Lua script per scenario) when it is installed, autocannon otherwise. wrk is
 * preferred because it takes far less CPU from the servers under test on a 2-core machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CPU_PINNING } from './processes';

/** What a scenario sends. Expressible both as wrk Lua and as autocannon's setupRequest. */
export type RequestPlan =
  | { kind: 'fixed'; path: string }
  /** GET pathPrefix + random id in [min, max] + pathSuffix */
  | { kind: 'randomId'; pathPrefix: string; pathSuffix: string; min: number; max: number }
  /** PUT one of the items; the body is before + price + after, the price random in [50 000, 3 000 000] or the item's own. */
  | { kind: 'put'; token: string; items: PutItem[]; randomPrice: boolean }
  /** POST `body` (before + random price + after) to `path` with a new Idempotency-Key each time: a create a client may retry safely. */
  | { kind: 'post'; token: string; path: string; before: string; after: string }
  /** GET one of the paths with its ETag in If-None-Match: a revalidation, answered 304 while the resource is unchanged. */
  | { kind: 'revalidate'; items: { path: string; etag: string }[] };

export interface PutItem {
  path: string;
  before: string;
  after: string;
  price: number;
}

export interface LoadOptions {
  baseUrl: string;
  plan: RequestPlan;
  durationSec: number;
  connections: number;
  threads: number;
  /** Where wrk's Lua script is written (kept for inspection). */
  scriptPath: string;
}

export interface LoadResult {
  /** Responses with a 2xx/3xx status, per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx/3xx responses, plus socket errors and timeouts. */
  errors: number;
  /** The server process's CPU time (user + system) during the run, per request answered, in µs (set by the runner; Linux only). */
  cpuUsPerRequest?: number;
}

export type LoadTool = 'wrk' | 'autocannon';

export function detectLoadTool(): LoadTool | undefined {
  if (spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined) return 'wrk';
  try {
    require.resolve('autocannon');
    return 'autocannon';
  } catch {
    return undefined;
  }
}

export function runLoad(tool: LoadTool, options: LoadOptions): Promise<LoadResult> {
  return tool === 'wrk' ? runWrk(options) : runAutocannon(options);
}

// ---- wrk ---------------------------------------------------------------------------------------------

/** A Lua string literal for any UTF-8 text: printable ASCII as is, every other byte as a \ddd escape. */
function lua(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c ? String.fromCharCode(byte) : `\\${String(byte).padStart(3, '0')}`;
  }
  return `${out}"`;
}

function wrkScript(plan: RequestPlan): string {
  // Each wrk thread has its own Lua state: seed its random numbers with its own number.
  const common = `
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args) math.randomseed(os.time() + 7919 * (tid or 0)) end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout, latency:percentile(50), latency:percentile(99)))
end
`;
  switch (plan.kind) {
    case 'fixed':
      // Formatted on first use: wrk fills in wrk.host (the Host header) only after the script is loaded.
      return `${common}\nlocal req\nfunction request()\n  if not req then req = wrk.format("GET", ${lua(plan.path)}) end\n  return req\nend\n`;
    case 'randomId':
      return `${common}\nfunction request() return wrk.format("GET", ${lua(plan.pathPrefix)} .. math.random(${plan.min}, ${plan.max}) .. ${lua(plan.pathSuffix)}) end\n`;
    case 'post':
      // A key per request, unique across threads, rounds and runs: thread, counter, start time, random.
      return `${common}
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = ${lua(`Bearer ${plan.token}`)} }
local counter = 0
local started = os.time()
function request()
  counter = counter + 1
  headers["Idempotency-Key"] = string.format("bench-%d-%d-%d-%d", tid or 0, started, counter, math.random(1, 1000000000))
  return wrk.format("POST", ${lua(plan.path)}, headers, ${lua(plan.before)} .. math.random(50000, 3000000) .. ${lua(plan.after)})
end
`;
    case 'revalidate': {
      const items = plan.items.map((item) => `{${lua(item.path)}, ${lua(item.etag)}}`).join(',\n  ');
      return `${common}
local items = {
  ${items}
}
function request()
  local item = items[math.random(#items)]
  return wrk.format("GET", item[1], { ["If-None-Match"] = item[2] })
end
`;
    }
    case 'put': {
      const items = plan.items.map((item) => `{${lua(item.path)}, ${lua(item.before)}, ${lua(item.after)}, ${item.price}}`).join(',\n  ');
      return `${common}
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = ${lua(`Bearer ${plan.token}`)} }
local items = {
  ${items}
}
function request()
  local item = items[math.random(#items)]
  local price = ${plan.randomPrice ? 'math.random(50000, 3000000)' : 'item[4]'}
  return wrk.format("PUT", item[1], headers, item[2] .. price .. item[3])
end
`;
    }
  }
}

function runWrk(o: LoadOptions): Promise<LoadResult> {
  writeFileSync(o.scriptPath, wrkScript(o.plan));
  // wrk takes whole seconds only.
  const args = ['-t', String(o.threads), '-c', String(o.connections), '-d', `${Math.max(1, Math.round(o.durationSec))}s`, '--timeout', '5s', '-s', path.resolve(o.scriptPath), o.baseUrl];
  return new Promise((resolve, reject) => {
    const child = CPU_PINNING ? spawn('taskset', ['-c', CPU_PINNING.others, 'wrk', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // wrk stops by itself after the duration; this only guards against a hung run.
    const guard = setTimeout(() => child.kill('SIGKILL'), (o.durationSec + 20) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      const line = /WRK_JSON (\{.*\})/.exec(output);
      if (code !== 0 || !line) return reject(new Error(`wrk failed (exit ${code}): ${output.slice(-500)}`));
      const r = JSON.parse(line[1]) as Record<string, number>;
      const ok = r.requests - r.status;
      resolve({
        rps: ok / (r.duration_us / 1e6),
        p50Ms: r.p50_us / 1000,
        p99Ms: r.p99_us / 1000,
        requests: r.requests,
        errors: r.status + r.connect + r.read + r.write + r.timeout,
      });
    });
  });
}

// ---- autocannon ----------------------------------------------------------------------------------------

/** The little of autocannon's API used here (it is an optional tool, so no @types dependency). */
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface AutocannonResult {
  requests: { total: number };
  latency: { p50: number; p99: number };
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

async function runAutocannon(o: LoadOptions): Promise<LoadResult> {
  const autocannon = require('autocannon') as Autocannon; // eslint-disable-line @typescript-eslint/no-require-imports
  const plan = o.plan;
  const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)];
  const setupRequest = (req: AutocannonRequest): AutocannonRequest => {
    switch (plan.kind) {
      case 'fixed':
        return { ...req, method: 'GET', path: plan.path };
      case 'randomId':
        return { ...req, method: 'GET', path: `${plan.pathPrefix}${plan.min + Math.floor(Math.random() * (plan.max - plan.min + 1))}${plan.pathSuffix}` };
      case 'post':
        return {
          ...req,
          method: 'POST',
          path: plan.path,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${plan.token}`, 'idempotency-key': `bench-${Date.now()}-${Math.random()}` },
          body: `${plan.before}${50_000 + Math.floor(Math.random() * 2_950_001)}${plan.after}`,
        };
      case 'revalidate': {
        const item = pick(plan.items);
        return { ...req, method: 'GET', path: item.path, headers: { 'if-none-match': item.etag } };
      }
      case 'put': {
        const item = pick(plan.items);
        const price = plan.randomPrice ? 50_000 + Math.floor(Math.random() * 2_950_001) : item.price;
        return {
          ...req,
          method: 'PUT',
          path: item.path,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${plan.token}` },
          body: `${item.before}${price}${item.after}`,
        };
      }
    }
  };
  const result = await autocannon({
    url: o.baseUrl,
    connections: o.connections,
    duration: o.durationSec,
    timeout: 5,
    requests: [{ setupRequest }],
  });
  const ok = result.requests.total - result.non2xx;
  return {
    rps: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}
