/**
 * Scale test: the production build as two instances behind nginx (the deploy/ template), on a private
 * PostgreSQL primary with a streaming replica and a private Redis, under mixed traffic, with one instance
 * stopped by SIGTERM (and restarted) and the other killed by SIGKILL mid-run, with a webhook subscription
 * delivering every change of the run to a receiver inside this process, and Prometheus scraping both instances. Prints what happened and a verdict
 * per check; exits 1 if a check failed, 2 if the run itself could not be set up.
 *
 *   npm run test:scale -- [--duration 25] [--users 12] [--listings 10000] [--rate-limit 10] [--skip-build] [--keep]
 *
 * Needs the machine's PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup), redis-server, nginx, prometheus
 * (with promtool) and openssl (the receiver's certificate; ss, when there, tells which instance sent each delivery).
 * Everything runs on free ports of 127.0.0.1 under one temp dir, which is removed at the end (--keep leaves
 * it); the logs are copied to test/artifacts/scale/ with summary.json.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../../bench/lib/processes';
import { defaultOwners, generateData } from '../../scripts/generate-data';
import { Check, countBy, judgeAvailability, judgeLoginLimit, judgeReplicaReads, judgeShutdown, Kill, probeLoginLimit, readCounters, verifyWrites } from './lib/checks';
import { probeSync } from './lib/sync';
import { HttpClient } from './lib/http';
import { findPostgresBin, startPostgresPair } from './lib/postgres';
import { judgeMetrics, startPrometheus } from './lib/prometheus';
import { printReport, Summary } from './lib/report';
import { AppInstance, readAccessLog, startNginx, startRedis, waitForUpstream } from './lib/services';
import { cleanup, cleanUpOnSignals, log, repositoryRoot, run, runWorkspace, sleep, systemBinary } from './lib/supervisor';
import { Traffic } from './lib/traffic';
import { makeCertificate, WebhookSink } from './lib/webhook-sink';
import { judgeWebhookDeliveries, subscribe } from './lib/webhooks';

const SHUTDOWN_TIMEOUT_MS = 5000;
// Short, so that the attempt a killed instance had in flight expires (after ceil(timeout / 1000) + 5 s) and is
// run again within the wait below, and a failed attempt is retried within it too.
const WEBHOOK_SETTINGS = { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_TIMEOUT_MS: '3000', WEBHOOK_RETRY_SCHEDULE: '1s,2s,4s,8s,15s' };
/** The receiver's answers take this long: attempts are in flight when app2 is killed. */
const WEBHOOK_ANSWER_DELAY_MS = 100;
/** How long the checks wait for the last deliveries: expiry (8 s) + pg-boss maintenance (every 15 s) + its retry delay (5 s), with room. */
const WEBHOOK_WAIT_MS = 60_000;

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '25' },
      users: { type: 'string', default: '12' },
      listings: { type: 'string', default: '10000' },
      'rate-limit': { type: 'string', default: '10' },
      'skip-build': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const int = (name: keyof typeof values, min: number, max: number) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
    return value;
  };
  return { durationSec: int('duration', 10, 300), users: int('users', 2, 500), listings: int('listings', 100, 1_000_000), rateLimit: int('rate-limit', 2, 100), skipBuild: values['skip-build'], keep: values.keep };
}


/** What the run needs from the machine, all named at once before anything starts. */
function preflight(): void {
  const missing: string[] = [];
  if (!systemBinary('nginx')) missing.push('nginx (apt-get install -y nginx)');
  if (!systemBinary('redis-server')) missing.push('redis-server (apt-get install -y redis-server)');
  if (!systemBinary('openssl')) missing.push('openssl (apt-get install -y openssl)');
  if (!systemBinary('prometheus') || !systemBinary('promtool')) missing.push('prometheus and promtool (apt-get install -y --no-install-recommends prometheus)');
  if (process.getuid?.() === 0 && !systemBinary('runuser')) missing.push('runuser (util-linux), to run PostgreSQL as the postgres account');
  try {
    findPostgresBin();
  } catch (error) {
    missing.push((error as Error).message);
  }
  if (missing.length > 0) throw new Error(`missing: ${missing.join('; ')}`);
}

async function main(): Promise<number> {
  const o = options();
  cleanUpOnSignals();
  preflight();
  const root = repositoryRoot();
  const runId = randomBytes(3).toString('hex');
  const { workDir, logDir, artifacts, started, step } = runWorkspace('scale', root, o.keep);

  const appMain = path.join(root, 'dist', 'apps', 'api', 'src', 'main.js');
  // The build runs while the databases are set up: both take a while, and mostly not the same resources.
  const built = o.skipBuild ? Promise.resolve() : run('npm', ['run', 'build'], { cwd: root, logPath: path.join(logDir, 'build.log'), timeoutMs: 300_000 });
  built.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
  step(`${o.skipBuild ? '' : 'npm run build, meanwhile '}PostgreSQL primary (initdb) + streaming replica (pg_basebackup -R -X stream)`);
  const pg = await startPostgresPair(workDir, logDir);
  step(`migrations (prisma migrate deploy) and ${o.listings} seeded listings`);
  const prisma = require.resolve('prisma/build/index.js', { paths: [root] });
  await run(process.execPath, [prisma, 'migrate', 'deploy'], { cwd: root, env: { ...process.env, DATABASE_URL: pg.primaryUrl, PRISMA_HIDE_UPDATE_MESSAGE: '1' }, logPath: path.join(logDir, 'migrate.log'), timeoutMs: 120_000 });
  const warnings: string[] = [];
  const seeded = await seed(pg.primaryUrl, o.listings, logDir).catch((error: Error) => {
    // The generator trails schema changes sometimes; the checks still mean something on the run's own listings.
    warnings.push(`seeding with scripts/generate-data failed (${error.message}): anonymous reads use this run's listings only`);
    return 0;
  });

  await built;
  if (!existsSync(appMain)) throw new Error(`no build at ${appMain}: run without --skip-build`);
  step('Redis, webhook receiver (https, self-signed), two app instances, nginx, Prometheus scraping both');
  const redisUrl = await startRedis(workDir, logDir);
  // NODE_ENV=production: webhook URLs must be https. The instances trust the receiver's certificate.
  const certificate = await makeCertificate(workDir, logDir);
  const sink = await WebhookSink.start(certificate, WEBHOOK_ANSWER_DELAY_MS);
  const metricsToken = randomBytes(24).toString('hex');
  const env = appEnvironment({
    DATABASE_URL: pg.primaryUrl,
    DATABASE_REPLICA_URL: pg.replicaUrl,
    REDIS_URL: redisUrl,
    AUTH_RATE_LIMIT_PER_IP: String(o.rateLimit),
    ...WEBHOOK_SETTINGS,
    NODE_EXTRA_CA_CERTS: certificate.certPath,
    METRICS_TOKEN: metricsToken,
  });
  const apps = [new AppInstance('app1', await freePort(), appMain, env, logDir), new AppInstance('app2', await freePort(), appMain, env, logDir)];
  await Promise.all(apps.map((app) => app.start()));
  const nginx = await startNginx({ root, workDir, logDir, upstreams: apps.map((app) => app.address) });
  const health = await probeHealth(apps, nginx.url);
  const prometheus = await startPrometheus({ workDir, logDir, targets: apps.map((app) => app.address), token: metricsToken });

  step(`${o.users} users sign up and sign in through nginx, each from its own address`);
  const traffic = new Traffic({ baseUrl: nginx.url, runId, users: o.users, durationMs: o.durationSec * 1000, seededListings: seeded });
  const users = await traffic.signUp();
  if (users.length < o.users) {
    const statuses = countBy(traffic.samples.map((sample) => `${sample.op} ${sample.status || 'no answer'}`));
    const problem = `only ${users.length} of ${o.users} users could sign up and in (${JSON.stringify(statuses)})`;
    // A 429 here means every user was counted as one client: the rate-limit check below will say why.
    if (users.length === 0) throw new Error(problem);
    warnings.push(`${problem}: the load runs with those`);
  }
  step(`login limit: ${o.rateLimit + 4} failed logins from one address`);
  const loginAttempts = await probeLoginLimit(nginx.url, runId, o.rateLimit);
  step('webhook subscription to every event of the load\'s listings, delivered to the receiver');
  const subscribed = await subscribe(nginx.url, runId, sink);

  const before = { primary: await readCounters(pg.primaryUrl, pg.statements), replica: await readCounters(pg.replicaUrl, pg.statements) };
  const kills: Kill[] = [];
  const duration = o.durationSec * 1000;
  let app1Back = Promise.resolve(true);
  // On a slow machine app1 may take longer to come back than planned: the load then goes on until app2 has
  // been killed and served without for 30 % of the duration.
  const release = traffic.hold();
  step(`load for ${o.durationSec} s: SIGTERM app1 at ${(0.2 * o.durationSec).toFixed(1)} s (then restart), SIGKILL app2 at ${(0.5 * o.durationSec).toFixed(1)} s or once nginx uses app1 again`);
  await traffic.run(users, [
    {
      atMs: 0.2 * duration,
      run: async () => {
        app1Back = stopAndRestart(apps[0], traffic, kills, nginx.accessLog);
        await app1Back;
      },
    },
    // Killing app2 while app1 is still down (or not yet taken back by nginx) would test nothing but an outage.
    {
      atMs: 0.5 * duration,
      run: async () => {
        if (await app1Back) {
          await killHard(apps[1], traffic, kills);
          traffic.extend(0.3 * duration);
        } else log('app1 is not back: app2 is left running');
        release();
      },
    },
  ]);
  const loadSec = traffic.now() / 1000;
  await sleep(1200); // PostgreSQL publishes its per-table counters at most once a second
  const after = { primary: await readCounters(pg.primaryUrl, pg.statements), replica: await readCounters(pg.replicaUrl, pg.statements) };
  // The sync-and-retry features need both instances: app2 comes back first if it was killed.
  step('sync and retry across instances: Idempotency-Key, ETag, change feed');
  if (kills.some((kill) => kill.instance === apps[1].name)) await apps[1].start();
  const sync = await probeSync([apps[0].url, apps[1].url], nginx.url, pg.primaryUrl, runId, seeded);
  step(`webhook deliveries: waiting for every change of the run to arrive and the delivery log to settle (at most ${WEBHOOK_WAIT_MS / 1000} s)`);
  const webhooks = await judgeWebhookDeliveries({
    sink,
    ...subscribed,
    nginxUrl: nginx.url,
    seeded,
    instances: new Map(apps.flatMap((app) => [...app.processes])),
    timeoutMs: WEBHOOK_WAIT_MS,
    settings: `${Object.entries(WEBHOOK_SETTINGS).map(([name, value]) => `${name}=${value}`).join(', ')}; the receiver answers 204 after ${WEBHOOK_ANSWER_DELAY_MS} ms`,
  });
  step('Prometheus: each instance\'s request rate and pool gauges, and the dashboard\'s queries, through its HTTP API');
  const metrics = await judgeMetrics(prometheus, apps, path.join(root, 'deploy', 'grafana', 'listing-api.json'), 20_000);
  step('checks');
  const result = traffic.result();
  const load = result.samples.filter((s) => s.op !== 'register' && s.op !== 'login');
  const accessLog = readAccessLog(nginx.accessLog);
  const anonymousReads = load.filter((s) => s.method === 'GET' && s.status === 200).length;
  const replica = judgeReplicaReads(before, after, anonymousReads);
  const checks: Check[] = [
    health,
    ...(await verifyWrites(pg.primaryUrl, result, runId)),
    judgeLoginLimit(loginAttempts, o.rateLimit, accessLog),
    replica.check,
    judgeAvailability(load, kills, o.users, 2),
    judgeShutdown(kills.find((kill) => kill.signal === 'SIGTERM'), SHUTDOWN_TIMEOUT_MS),
    sync,
    webhooks,
    metrics,
  ];
  const summary: Summary = {
    runId,
    setup: { postgres: pg.version, statements: pg.statements, instances: apps.length, users: o.users, seededListings: seeded, durationSec: o.durationSec, loadSec },
    warnings,
    load,
    setupSamples: result.samples.length - load.length,
    kills,
    accessLog,
    replicaShare: replica.share,
    staleReads: result.staleReads,
    freshReads: result.freshReads,
    checks,
  };
  printReport(summary);
  writeFileSync(path.join(logDir, 'summary.json'), JSON.stringify({ ...summary, load: undefined, accessLog: undefined }, null, 2));
  log(`\ntotal ${((Date.now() - started) / 1000).toFixed(0)} s; logs and summary.json in ${path.relative(process.cwd(), artifacts) || artifacts}`);
  return checks.every((check) => check.ok) ? 0 : 1;
}

async function seed(primaryUrl: string, listings: number, logDir: string): Promise<number> {
  const lines: string[] = [];
  try {
    await generateData({ databaseUrl: primaryUrl, listings, prices: listings * 10, owners: defaultOwners(listings), seed: 1, truncate: false, verify: false, now: new Date() }, (line) => lines.push(line));
  } finally {
    writeFileSync(path.join(logDir, 'seed.log'), lines.join('\n'));
  }
  return listings;
}

function appEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Whatever the caller's shell has for the service must not leak in (a DATABASE_URL for the bench, say).
  for (const name of Object.keys(env)) if (/^(DATABASE_|REDIS_|TRUST_PROXY|AUTH_|JWT_|ADMIN_|SHUTDOWN_|SWAGGER_|ACCESS_|REFRESH_|DATA_DIR|LOG_LEVEL|BODY_LIMIT|WEBHOOK_|CHANGE_FEED_|METRICS_)/.test(name)) delete env[name];
  return {
    ...env,
    ...extra,
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    TRUST_PROXY: '127.0.0.1',
    AUTH_RATE_LIMIT_PER_ACCOUNT: '5',
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    DATABASE_POOL_SIZE: '10',
    LOG_LEVEL: 'warn',
  };
}

/** Both health endpoints on every instance, and whether X-Request-Id comes back through nginx. */
async function probeHealth(apps: AppInstance[], nginxUrl: string): Promise<Check> {
  const detail: string[] = [];
  let ok = true;
  for (const app of apps) {
    const statuses = await Promise.all(['/health/live', '/health/ready'].map(async (p) => (await fetch(`${app.url}${p}`).catch(() => undefined))?.status ?? 0));
    ok &&= statuses.every((status) => status === 200);
    detail.push(`${app.name}: /health/live ${statuses[0]}, /health/ready ${statuses[1]}`);
  }
  const client = new HttpClient(nginxUrl, '127.0.0.1');
  const answer = await client.request('GET', '/listings?limit=1', { requestId: 'scale-request-id-probe' });
  client.close();
  detail.push(`X-Request-Id sent through nginx comes back: ${answer.headers['x-request-id'] === 'scale-request-id-probe' ? 'yes' : `no (${String(answer.headers['x-request-id'])})`}`);
  return { name: 'health endpoints answer 200 on every instance', ok, detail };
}

/** SIGTERM while requests are in flight, wait for the exit, then start it again on the same port. */
async function stopAndRestart(app: AppInstance, traffic: Traffic, kills: Kill[], accessLog: string): Promise<boolean> {
  const kill: Kill = { instance: app.name, signal: 'SIGTERM', atMs: traffic.now() };
  kills.push(kill);
  const { exit, ms } = await app.kill('SIGTERM', SHUTDOWN_TIMEOUT_MS + 5000);
  kill.exit = exit.signal ?? `exit ${exit.code}`;
  kill.exitMs = ms;
  try {
    await app.start();
    // nginx skips an instance for fail_timeout (5 s) after failures: wait until it sends it requests again.
    await waitForUpstream(accessLog, app.address, Date.now(), 60_000);
    kill.restartedMs = Math.round(traffic.now() - kill.atMs);
    return true;
  } catch (error) {
    log(`${app.name} did not come back: ${(error as Error).message}`);
    return false;
  }
}

async function killHard(app: AppInstance, traffic: Traffic, kills: Kill[]): Promise<void> {
  const kill: Kill = { instance: app.name, signal: 'SIGKILL', atMs: traffic.now() };
  kills.push(kill);
  const { exit, ms } = await app.kill('SIGKILL', 1000);
  kill.exit = exit.signal ?? `exit ${exit.code}`;
  kill.exitMs = ms;
}


main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    log(`\nscale test could not run: ${error instanceof Error ? error.message : String(error)}`);
    await cleanup();
    process.exit(2);
  });
