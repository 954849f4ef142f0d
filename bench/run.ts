/**
 * Load benchmark: the service (APP, its production build) against the plain node:http + pg baseline (BASE),
 * on the same data, the same pool size and the same requests, measured interleaved so that the noise of a
 * shared 2-core machine hits both alike. Prints numbers; asserts nothing about speed.
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres npm run bench -- [--smoke] [--size small|large|both]
 *     [--duration 10] [--rounds 3] [--connections 32] [--warmup 60] [--pool 10] [--threads 1] [--skip-build] [--strict]
 *     [--scenarios R1,W1,...] [--app-main path/to/main.js] [--profile] [--pin]
 *
 * --scenarios measures only the scenarios named (add `webhooks` for the webhook delivery section and the matching
 * micro-benchmark, which run by default). --app-main measures another build of the service as APP (a
 * variant under study, built elsewhere: its dist/apps/api/src/main.js, or dist/apps/api/apps/api/src/main.js
 * for builds older than issue 17) against the same baseline; with it the service is not built here.
 *
 * APP runs as an API instance (WEBHOOK_WORKER=false, measured) and, while deliveries are to be sent, a webhook
 * worker instance on the same database. Each run's CPU per request is read from /proc/<pid>/stat.
 *
 * Webhooks (issue 18): W1h is W1 with 100 saved-search subscriptions on APP; the delivery section measures
 * deliveries/s and write-to-delivery latency; the matching micro-benchmark times matchAll with 10 000
 * subscriptions. Deliveries go to a receiver child process on 127.0.0.1 over HTTPS (see lib/webhook-receiver.ts).
 *
 * --profile: after the measured rounds, one more run per scenario and server with V8's CPU profiler on (the servers
 * are started with lib/profiler-preload.js, which does nothing until told); each profile and a summary of the top
 * self-time packages and functions per request go to <results>/profiles/ (summary-<size>.md; the .cpuprofile files
 * open in Chrome DevTools and are not committed).
 *
 * Warm-up: before the measured rounds, each server runs each scenario in 5 s steps until two steps in a row cost the
 * same CPU per request (within 5 %), or for --warmup seconds at most (default 60). A freshly started APP spends its
 * first tens of seconds of a write scenario compiling (CPU per PUT 2966 µs in its first 5 s, about 1300 µs after
 * 30 s, under 1000 µs after a minute): a fixed 3 s warm-up measured V8's JIT, not the service. BASE, with far less
 * code, is steady after two steps. Each server's warm-up time per scenario is in the log and in latest.json.
 *
 * --pin: the servers on CPU 1, wrk and the database's backends on CPU 0, for comparing the CPU per request of two
 * builds (the req/s of a pinned run are not comparable with unpinned ones).
 *
 * BASE sends what the service sends (issue 21): the same body bytes, X-Request-Id, and on conditional reads the same
 * ETag and Cache-Control (and 304s); the probe before the runs compares those headers too. Each scenario's figures
 * are checked against issue 21's budget (lib/budget.ts) and every miss is printed.
 *
 * Only DATABASE_URL's server is used, and on it only the databases listing_bench_<size>.
 * Results: bench/results/latest.{json,md}, bench/results/ratios.svg (--smoke: bench/results/raw/smoke/);
 * logs and wrk scripts: bench/results/raw/.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { measureJwtVerify } from './jwt-verify';
import { DataSize, prepareDatabase, SIZES } from './lib/database';
import { detectLoadTool, LoadResult, LoadTool, runLoad } from './lib/load';
import { matchingSection, relayModuleOf } from './lib/matching';
import { profileMarkdown, readProfile, summarizeProfile } from './lib/profile-summary';
import { enableCpuPinning, pinDatabaseBackends, runCommand, Server } from './lib/processes';
import { ScenarioRuns, Side, SizeRuns, summarize, writeReport } from './lib/report';
import { buildScenarios, loadFixtures, ownerApiKey, ownerToken, probe, Scenario, undoWrites, W1hSetup } from './lib/scenarios';
import { webhookRows, webhookSmokeProblems } from './lib/webhook-report';
import { WebhookReceiver } from './lib/webhook-receiver';
import { clearWebhookLeftovers, deliverySection, hasWebhooks, W1hRound, w1hSession } from './lib/webhooks';

// node_modules/.cache/listing-bench/bench -> repository. From the script's path as started, not __dirname: Node
// resolves symlinks in __dirname, and a git worktree whose node_modules links to another checkout's would
// otherwise measure (and write its results into) that other checkout.
const ROOT = path.resolve(path.dirname(process.argv[1]), '..', '..', '..', '..');
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
const RAW_DIR = path.join(RESULTS_DIR, 'raw'); // git-ignored
const APP_MAIN = path.join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
const BASE_MAIN = path.join(__dirname, 'baseline', 'server.js');
const PROFILER_PRELOAD = path.join(__dirname, 'lib', 'profiler-preload.js');

interface Options {
  smoke: boolean;
  sizes: DataSize[];
  durationSec: number;
  warmupSec: number;
  rounds: number;
  connections: number;
  threads: number;
  poolSize: number;
  skipBuild: boolean;
  strict: boolean;
  /** Scenario ids to measure; undefined: all. */
  scenarios?: Set<string>;
  /** The webhook delivery section and the matching micro-benchmark (by default, or with `--scenarios …,webhooks`). */
  webhookSections: boolean;
  appMain: string;
  /** A profiled run per scenario and server after the measured ones (--profile). */
  profile: boolean;
  /** Servers on CPU 1, load tool and database backends on CPU 0 (--pin): for comparing CPU per request between builds. */
  pin: boolean;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      size: { type: 'string', default: 'both' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string', default: '32' },
      threads: { type: 'string', default: '1' },
      pool: { type: 'string', default: '10' },
      'skip-build': { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      scenarios: { type: 'string' },
      'app-main': { type: 'string' },
      profile: { type: 'boolean', default: false },
      pin: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const smoke = values.smoke;
  const number = (name: string, raw: string | undefined, fallback: number, min: number, max: number) => {
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) throw new Error(`--${name} must be a number from ${min} to ${max}`);
    return value;
  };
  const sizeNames: Record<string, DataSize[]> = { small: [SIZES.small], large: [SIZES.large], both: [SIZES.small, SIZES.large] };
  if (!smoke && !sizeNames[values.size]) throw new Error('--size must be small, large or both');
  return {
    smoke,
    sizes: smoke ? [SIZES.smoke] : sizeNames[values.size],
    durationSec: number('duration', values.duration, smoke ? 3 : 10, 1, 600),
    warmupSec: number('warmup', values.warmup, smoke ? 1 : 60, 1, 600),
    rounds: Math.round(number('rounds', values.rounds, smoke ? 1 : 3, 1, 20)),
    connections: Math.round(number('connections', values.connections, 32, 1, 1000)),
    threads: Math.round(number('threads', values.threads, 1, 1, 16)),
    poolSize: Math.round(number('pool', values.pool, 10, 1, 200)),
    skipBuild: values['skip-build'] || values['app-main'] !== undefined,
    strict: values.strict,
    scenarios: values.scenarios === undefined ? undefined : new Set(values.scenarios.split(',').map((id) => id.trim()).filter(Boolean)),
    webhookSections: values.scenarios === undefined || values.scenarios.split(',').some((id) => id.trim() === 'webhooks'),
    appMain: values['app-main'] === undefined ? APP_MAIN : path.resolve(values['app-main']),
    profile: values.profile,
    pin: values.pin,
  };
}

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const options = parseOptions();
  if (options.pin) enableCpuPinning();
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('DATABASE_URL must point at a PostgreSQL server (any database on it): the runner uses listing_bench_<size> there');
  const tool = detectLoadTool();
  if (!tool) throw new Error('No load tool: install wrk (apt-get install -y wrk) or autocannon (npm install --no-save autocannon)');
  mkdirSync(RAW_DIR, { recursive: true });
  const startedAt = new Date().toISOString();
  // A fresh secret per run, shared by both servers: a token minted here or issued by APP works on BASE too.
  const jwtSecret = randomBytes(32).toString('base64url');

  let appProblem: string | undefined;
  if (!options.skipBuild) {
    log('building the service (npm run build)');
    await runCommand('npm', ['run', 'build'], process.env, path.join(RAW_DIR, 'build.log'), 600_000).catch((error: Error) => (appProblem = `build failed: ${error.message}`));
  }
  if (!appProblem && !existsSync(options.appMain)) appProblem = `no build at ${path.relative(ROOT, options.appMain)}`;
  if (appProblem) log(`APP unavailable: ${appProblem}`);

  // One receiver for the whole run; APP trusts its certificate (NODE_EXTRA_CA_CERTS).
  let receiver: WebhookReceiver | string = 'n/a (APP unavailable)';
  if (!appProblem) receiver = await WebhookReceiver.start(path.join(RAW_DIR, 'tls')).catch((error: Error) => `n/a (no webhook receiver: ${error.message})`);
  if (typeof receiver === 'string' && !appProblem) log(`webhook figures unavailable: ${receiver}`);

  // A smoke run proves the benchmark works; its numbers mean nothing, so it leaves the published ones alone.
  // Nor does a partial run (some scenarios, or another build) replace the published full run.
  const partial = options.scenarios !== undefined || options.appMain !== APP_MAIN;
  const outDir = options.smoke ? path.join(RAW_DIR, 'smoke') : partial ? path.join(RAW_DIR, 'partial') : RESULTS_DIR;
  const sizes: SizeRuns[] = [];
  try {
    for (const size of options.sizes) {
      sizes.push(await benchmarkSize(size, options, tool, serverUrl, jwtSecret, appProblem, receiver, path.join(outDir, 'profiles')));
    }
  } finally {
    if (typeof receiver !== 'string') await receiver.stop();
  }
  log('JWT verify micro-benchmark');
  const jwtVerify = measureJwtVerify(options.smoke ? 300 : 2000);
  const report = summarize(startedAt, await environment(serverUrl, tool, options), sizes, jwtVerify);
  const files = writeReport(report, outDir);
  log(`\nwrote ${files.map((f) => path.relative(ROOT, f)).join(', ')}`);
  log(
    `JWT HS256 verify: KeyObject ${jwtVerify.keyObjectMicros.toFixed(1)} µs, string ${jwtVerify.stringMicros.toFixed(1)} µs, JwtStrategy via passport-jwt ${jwtVerify.passportMicros.toFixed(1)} µs; ` +
      `API key check ${jwtVerify.apiKeyMicros.toFixed(1)} µs`,
  );
  for (const s of report.scenarios) {
    if (s.budget) log(`budget ${s.size} ${s.id} (${s.budget.kind}): ${s.budget.misses.length === 0 ? 'met' : `MISSED: ${s.budget.misses.join(', ')}`}`);
  }
  for (const row of webhookRows(report.webhooks)) {
    log(`webhooks ${row.size}: ${row.figure}: ${row.measured}${row.target ? ` (target ${row.target}${row.met === undefined ? '' : row.met ? ', met' : ', NOT met'})` : ''}`);
  }
  return options.smoke ? smokeVerdict(sizes, files, options.strict) : 0;
}

async function benchmarkSize(
  size: DataSize,
  o: Options,
  tool: LoadTool,
  serverUrl: string,
  jwtSecret: string,
  appProblem: string | undefined,
  receiver: WebhookReceiver | string,
  profilesDir: string,
): Promise<SizeRuns> {
  log(`\n== ${size.name}: ${size.listings} listings, ${size.prices} prices`);
  const url = await prepareDatabase(serverUrl, size, RAW_DIR, log);
  await clearWebhookLeftovers(url);
  const fixtures = await loadFixtures(url);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url,
    DATABASE_POOL_SIZE: String(o.poolSize),
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    JWT_SECRET: jwtSecret,
    // One process on one database, like the baseline: no replicas to read from, no shared counters.
    DATABASE_REPLICA_URL: undefined,
    REDIS_URL: undefined,
    // W1k's key is counted (in process) like any key, against a limit W1k's 32 connections never reach.
    API_KEY_RATE_LIMIT_PER_MINUTE: '1000000',
  };
  // The receiver is on loopback, and it speaks HTTPS with a certificate of its own (production sends over https only).
  const appEnv: NodeJS.ProcessEnv = typeof receiver === 'string' ? env : { ...env, WEBHOOK_ALLOW_PRIVATE_URLS: 'true', NODE_EXTRA_CA_CERTS: receiver.caFile };
  // With --profile, each server gets the profiler preload and a control file naming where the next profile goes.
  const profiling = (side: Side): { args: string[]; env: NodeJS.ProcessEnv } =>
    o.profile ? { args: ['--require', PROFILER_PRELOAD], env: { BENCH_PROFILE_CONTROL: path.join(RAW_DIR, `profile-control-${side}`) } } : { args: [], env: {} };
  const servers: Partial<Record<Side, Server>> = {};
  // The webhook worker: another instance of APP on the same database that sends the deliveries the API instance's
  // relay created. It runs only while deliveries are wanted (after each W1h run, and for the delivery section):
  // in production it has CPU of its own; here it would share the two cores with the API being measured.
  const startWorker = () => Server.start('APP worker', o.appMain, { ...appEnv, WEBHOOK_WORKER: 'true' }, path.join(RAW_DIR, `app-worker-${size.name}.log`));
  const unavailable: Partial<Record<Side, string>> = {};
  let result: SizeRuns;
  try {
    servers.base = await Server.start('BASE', BASE_MAIN, { ...env, ...profiling('base').env }, path.join(RAW_DIR, `base-${size.name}.log`), profiling('base').args);
    if (appProblem) unavailable.app = `n/a (${appProblem})`;
    else {
      // APP is deployed as an API instance (measured) and, when there are deliveries to send, a webhook worker
      // instance (WEBHOOK_WORKER): see startWorker.
      const appProfiling = profiling('app');
      servers.app = await Server.start('APP', o.appMain, { ...appEnv, ...appProfiling.env, WEBHOOK_WORKER: 'false' }, path.join(RAW_DIR, `app-${size.name}.log`), appProfiling.args).catch((error: Error) => {
        unavailable.app = `n/a (did not start: ${error.message})`;
        return undefined;
      });
    }
    const { token, source } = await ownerToken(servers.app?.baseUrl, fixtures, jwtSecret);
    log(`token for owner1: ${source}`);
    const drainTimeoutMs = o.smoke ? 15_000 : 60_000;
    let w1h: W1hSetup;
    if (!servers.app) w1h = { unavailable: unavailable.app ?? 'n/a (APP not running)' };
    else if (typeof receiver === 'string') w1h = { unavailable: receiver };
    else if (!(await hasWebhooks(servers.app.baseUrl, token))) w1h = { unavailable: 'n/a (this build has no webhooks)' };
    else w1h = { session: w1hSession({ databaseUrl: url, ownerId: fixtures.ownerId, receiver, drainTimeoutMs, startWorker }) };
    const apiKey = !o.scenarios || o.scenarios.has('W1k') ? await ownerApiKey(servers.app?.baseUrl, token) : { unavailable: 'n/a (not measured)' };
    const scenarios = buildScenarios(fixtures, token, w1h, apiKey).filter((scenario) => !o.scenarios || o.scenarios.has(scenario.id));
    if (scenarios.length === 0 && !o.webhookSections) {
      throw new Error(`--scenarios names none of the scenarios (${buildScenarios(fixtures, token).map((s) => s.id).join(', ')}, webhooks)`);
    }
    const runs = await probeAll(scenarios, servers, unavailable);
    await measure(scenarios, runs, servers, size, o, tool, profilesDir, url);
    result = { size: size.name, listings: size.listings, prices: size.prices, tokenSource: source, scenarios: runs };
    if (o.webhookSections) {
      result.delivery =
        'unavailable' in w1h || !servers.app || typeof receiver === 'string'
          ? { unavailable: 'unavailable' in w1h ? w1h.unavailable : 'n/a' }
          : await deliverySection({
              appUrl: servers.app.baseUrl,
              token,
              items: fixtures.repriced,
              receiver,
              smoke: o.smoke,
              drainTimeoutMs,
              log,
              startWorker,
            });
    }
  } finally {
    await Promise.all([servers.app?.stop(), servers.base?.stop()]);
    await undoWrites(url, fixtures).catch((error: Error) => log(`could not undo the writes in ${size.name}: ${error.message}`));
  }
  // In this process, once the servers have stopped.
  if (o.webhookSections) {
    result.matching = appProblem
      ? { unavailable: `n/a (${appProblem})` }
      : await matchingSection({ relayModule: relayModuleOf(o.appMain), databaseUrl: url, maxListingId: fixtures.maxListingId, budgetMs: o.smoke ? 300 : 3000, log });
  }
  return result;
}

/** One request per scenario and server: a server that cannot serve a scenario yet is reported, not measured. */
async function probeAll(scenarios: Scenario[], servers: Partial<Record<Side, Server>>, unavailable: Partial<Record<Side, string>>): Promise<ScenarioRuns[]> {
  const runs: ScenarioRuns[] = [];
  for (const scenario of scenarios) {
    const run: ScenarioRuns = { id: scenario.id, title: scenario.title, app: { rounds: [] }, base: { rounds: [] } };
    if (scenario.appSession) run.webhookRounds = [];
    const bodies: Partial<Record<Side, string>> = {};
    for (const side of ['base', 'app'] as const) {
      const server = servers[side];
      if (!server) {
        run[side].unavailable = unavailable[side] ?? 'n/a (not running)';
        continue;
      }
      if (side === 'app' && scenario.appUnavailable) {
        run.app.unavailable = scenario.appUnavailable;
        continue;
      }
      const answer = await probe(server.baseUrl, scenario);
      // A revalidation is answered 304 (Not Modified): that is its success.
      const expected = scenario.plan.kind === 'revalidate' ? answer.status === 304 : answer.status >= 200 && answer.status < 300;
      if (!expected) run[side].unavailable = `n/a (HTTP ${answer.status || 'error'})`;
      else bodies[side] = answer.body;
    }
    if (bodies.app !== undefined && bodies.base !== undefined) run.sameBody = bodies.app === bodies.base;
    if (run.sameBody === false) log(`${scenario.id}: APP and BASE bodies differ\n  APP:  ${bodies.app?.slice(0, 300)}\n  BASE: ${bodies.base?.slice(0, 300)}`);
    runs.push(run);
  }
  return runs;
}

async function measure(
  scenarios: Scenario[],
  runs: ScenarioRuns[],
  servers: Partial<Record<Side, Server>>,
  size: DataSize,
  o: Options,
  tool: LoadTool,
  profilesDir: string,
  databaseUrl: string,
): Promise<void> {
  // APP's runs of a scenario with a session (W1h) are wrapped in it: its subscriptions exist during the run only.
  const load = async (side: Side, scenario: Scenario, durationSec: number): Promise<{ result: LoadResult; webhooks?: W1hRound }> => {
    const session = side === 'app' ? scenario.appSession : undefined;
    await session?.before();
    await pinDatabaseBackends(databaseUrl);
    let result: LoadResult;
    const cpuBefore = servers[side]!.cpuMicros();
    try {
      result = await runLoad(tool, {
        baseUrl: servers[side]!.baseUrl,
        plan: scenario.plan,
        durationSec,
        connections: o.connections,
        threads: o.threads,
        scriptPath: path.join(RAW_DIR, `${size.name}-${scenario.id}.lua`),
      });
    } catch (error) {
      await session?.after().catch(() => undefined);
      throw error;
    }
    const cpuAfter = servers[side]!.cpuMicros();
    if (cpuBefore !== undefined && cpuAfter !== undefined && result.requests > 0) result.cpuUsPerRequest = (cpuAfter - cpuBefore) / result.requests;
    const webhooks = await session?.after();
    if (webhooks) webhooks.writes = result.requests;
    return { result, webhooks };
  };
  const measurable = (i: number, side: Side) => servers[side] !== undefined && !runs[i][side].unavailable;
  if (scenarios.length === 0) return; // --scenarios webhooks

  log(`warm-up: per scenario and server, ${WARMUP_STEP_SEC} s steps until the CPU per request of two in a row is within ${WARMUP_STEADY * 100} %, ${o.warmupSec} s at most`);
  for (const [i, scenario] of scenarios.entries()) {
    for (const side of ['app', 'base'] as const) {
      if (!measurable(i, side)) continue;
      const warmup = await warmUp((seconds) => load(side, scenario, seconds).then(({ result }) => result.cpuUsPerRequest), o.warmupSec);
      runs[i][side].warmup = warmup;
      log(`[${size.name} ${scenario.id} warm-up] ${side.toUpperCase().padEnd(4)} ${warmup.seconds} s, ${warmup.steady ? 'steady' : 'not steady within the limit'}: CPU per request ${warmup.cpuUsPerRequest.map((us) => us.toFixed(0)).join(' → ')} µs`);
    }
  }
  for (let round = 0; round < o.rounds; round++) {
    for (const [i, scenario] of scenarios.entries()) {
      // A then B, then B then A in the next round: neither always runs right after the other's writes or GC.
      const order: Side[] = round % 2 === 0 ? ['app', 'base'] : ['base', 'app'];
      for (const side of order) {
        if (!measurable(i, side)) continue;
        try {
          const { result, webhooks } = await load(side, scenario, o.durationSec);
          runs[i][side].rounds.push(result);
          if (webhooks) runs[i].webhookRounds?.push(webhooks);
          log(
            `[${size.name} ${scenario.id} round ${round + 1}/${o.rounds}] ${side.toUpperCase().padEnd(4)} ${result.rps.toFixed(0).padStart(7)} req/s` +
              `  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms` +
              `${result.cpuUsPerRequest === undefined ? '' : `  CPU ${result.cpuUsPerRequest.toFixed(0)} µs/req`}${result.errors ? `  ${result.errors} errors` : ''}` +
              (webhooks
                ? `  webhooks: ${webhooks.created} deliveries created during the run, ${webhooks.received} sent; ` +
                  `then the worker sent ${webhooks.delivered} in ${webhooks.drainSec.toFixed(1)} s (${webhooks.connections} connections)` +
                  (webhooks.queueIdle ? '' : ', queue not empty after the drain wait')
                : ''),
          );
        } catch (error) {
          runs[i][side].unavailable = `n/a (load run failed: ${error instanceof Error ? error.message.slice(0, 200) : String(error)})`;
        }
      }
    }
  }
  if (!o.profile) return;
  // Profiled runs come after every measured one, so the profiler's cost touches no figure.
  mkdirSync(profilesDir, { recursive: true });
  const sections: string[] = [`# CPU profiles, ${size.name} data (${new Date().toISOString()})`, ''];
  for (const [i, scenario] of scenarios.entries()) {
    for (const side of ['app', 'base'] as const) {
      if (!measurable(i, side)) continue;
      const file = path.join(profilesDir, `${size.name}-${scenario.id}-${side}.cpuprofile`);
      rmSync(file, { force: true });
      writeFileSync(path.join(RAW_DIR, `profile-control-${side}`), file);
      servers[side]!.signal('SIGUSR2');
      await new Promise((resolve) => setTimeout(resolve, 200)); // the profiler is on before the load starts
      const { result } = await load(side, scenario, o.durationSec);
      servers[side]!.signal('SIGUSR2');
      const deadline = Date.now() + 15_000;
      while (!existsSync(file) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      await new Promise((resolve) => setTimeout(resolve, 200)); // written in one call; let it finish
      if (!existsSync(file)) {
        sections.push(`### ${scenario.id} ${side.toUpperCase()}`, '', 'no profile was written', '');
        continue;
      }
      const summary = summarizeProfile(readProfile(file), result.requests);
      sections.push(profileMarkdown(`${scenario.id} ${scenario.title} — ${side.toUpperCase()}`, summary));
      log(`[${size.name} ${scenario.id} profile] ${side.toUpperCase().padEnd(4)} ${summary.busyUsPerRequest.toFixed(0)} µs busy per request: ${path.relative(ROOT, file)}`);
    }
  }
  const summaryFile = path.join(profilesDir, `summary-${size.name}.md`);
  writeFileSync(summaryFile, sections.join('\n'));
  log(`profile summary: ${path.relative(ROOT, summaryFile)}`);
}

/**
 * Smoke mode checks that the machinery works, not how fast anything is: every measured run must have
 * succeeded at least once, BASE must serve every scenario (APP too with --strict), and the files must exist.
 */
function smokeVerdict(sizes: SizeRuns[], files: string[], strict: boolean): number {
  const problems: string[] = [];
  for (const size of sizes) {
    for (const s of size.scenarios) {
      for (const side of ['app', 'base'] as const) {
        const runs = s[side];
        if (runs.unavailable && (side === 'base' || strict)) problems.push(`${s.id} ${side.toUpperCase()}: ${runs.unavailable}`);
        for (const r of runs.rounds) if (r.rps <= 0) problems.push(`${s.id} ${side.toUpperCase()}: no successful request (${r.requests} requests, ${r.errors} errors)`);
      }
    }
  }
  // Webhooks are APP's, so checked with --strict only.
  if (strict) for (const size of sizes) problems.push(...webhookSmokeProblems(size));
  for (const file of files) if (!existsSync(file)) problems.push(`missing ${file}`);
  if (problems.length > 0) log(`\nSMOKE FAILED:\n  ${problems.join('\n  ')}`);
  else log('\nsmoke OK');
  return problems.length > 0 ? 1 : 0;
}

const WARMUP_STEP_SEC = 5;
const WARMUP_STEADY = 0.05;

/**
 * Runs `step` (a load run of the given seconds, answering its CPU per request) until two runs in a row agree within
 * WARMUP_STEADY, or `maxSec` is spent. A failed step ends the warm-up: the measured rounds then say what is wrong.
 */
export async function warmUp(step: (seconds: number) => Promise<number | undefined>, maxSec: number): Promise<{ seconds: number; steady: boolean; cpuUsPerRequest: number[] }> {
  const seen: number[] = [];
  let seconds = 0;
  while (seconds < maxSec) {
    const length = Math.min(WARMUP_STEP_SEC, maxSec - seconds);
    const cpu = await step(length).catch(() => undefined);
    seconds += length;
    if (cpu === undefined) break;
    seen.push(cpu);
    if (seen.length >= 2 && Math.abs(cpu - seen[seen.length - 2]) <= WARMUP_STEADY * seen[seen.length - 2]) return { seconds, steady: true, cpuUsPerRequest: seen };
  }
  return { seconds, steady: false, cpuUsPerRequest: seen };
}

async function environment(serverUrl: string, tool: LoadTool, o: Options): Promise<Record<string, string | number>> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  const version = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v").finally(() => client.end());
  return {
    node: process.version,
    cpus: os.cpus().length,
    postgres: version.rows[0].v,
    loadTool: tool,
    connections: o.connections,
    loadThreads: o.threads,
    durationSec: o.durationSec,
    warmupMaxSec: o.warmupSec,
    rounds: o.rounds,
    poolSize: o.poolSize,
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
