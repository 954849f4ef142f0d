/**
 * Rolling upgrade across a migration: two instances of an older release behind nginx, on a private
 * PostgreSQL primary with a streaming replica, serve continuous traffic (reads of listings and prices, price
 * changes, creates with an Idempotency-Key, each retried by the client); HEAD's migrations are applied with
 * `prisma migrate deploy` while they serve; then each instance in turn is stopped with SIGTERM and replaced
 * by HEAD's build. Passes when no request failed after the client's retries, no acknowledged write is lost
 * or doubled, and the price history invariant holds. Exits 1 if a check failed, 2 if the run could not be
 * set up. The rule it enforces is written down in docs/architecture.md ("Migrations and rolling upgrades").
 *
 *   npm run test:upgrade -- [--from <rev>] [--users 6] [--phase-seconds 4] [--skip-build] [--keep]
 *
 * The old release: --from, else UPGRADE_FROM, else the parent of the commit that added the newest
 * migration. It is checked out as a detached git worktree in the run's temp dir and built there.
 * Needs the machine's PostgreSQL server binaries and nginx; logs go to test/artifacts/upgrade/.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../../bench/lib/processes';
import { Check } from '../scale/lib/checks';
import { findPostgresBin, startPostgresPair } from '../scale/lib/postgres';
import { AppInstance, startNginx, waitForUpstream } from '../scale/lib/services';
import { cleanup, cleanUpOnSignals, log, repositoryRoot, run, runWorkspace, sleep, systemBinary } from '../scale/lib/supervisor';
import { judgeMigrations, judgeOldOnNewSchema, judgeRequests, judgeStops, printPhases, Stop, verifyUpgradeWrites } from './lib/checks';
import { prepareOldRelease, resolveOldRevision } from './lib/old-release';
import { UpgradeTraffic } from './lib/traffic';

const SHUTDOWN_TIMEOUT_MS = 5000;
const OLD_ON_NEW_SCHEMA = 'old on the new schema';

function options() {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      users: { type: 'string', default: '6' },
      'phase-seconds': { type: 'string', default: '4' },
      'skip-build': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const int = (name: 'users' | 'phase-seconds', min: number, max: number) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
    return value;
  };
  const from = values.from ?? (process.env.UPGRADE_FROM || undefined);
  return { from, users: int('users', 1, 100), phaseMs: 1000 * int('phase-seconds', 1, 120), skipBuild: values['skip-build'], keep: values.keep };
}


function preflight(): void {
  const missing: string[] = [];
  if (!systemBinary('nginx')) missing.push('nginx (apt-get install -y nginx)');
  if (!systemBinary('git')) missing.push('git');
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
  const rev = resolveOldRevision(root, o.from);
  const runId = randomBytes(3).toString('hex');
  const { workDir, logDir, artifacts, started, step } = runWorkspace('upgrade', root, o.keep);

  step(`old release ${rev.slice(0, 10)}: git worktree, dependencies, prisma generate, nest build; meanwhile ${o.skipBuild ? '' : "HEAD's build and "}PostgreSQL primary + replica`);
  const headBuilt = o.skipBuild ? Promise.resolve() : run('npm', ['run', 'build'], { cwd: root, logPath: path.join(logDir, 'head-build.log'), timeoutMs: 300_000 });
  headBuilt.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
  const [old, pg] = await Promise.all([prepareOldRelease(root, rev, workDir, logDir), startPostgresPair(workDir, logDir)]);
  await headBuilt;
  const oldMain = path.join(old.dir, 'dist', 'apps', 'api', 'src', 'main.js');
  const headMain = path.join(root, 'dist', 'apps', 'api', 'src', 'main.js');
  for (const main of [oldMain, headMain]) if (!existsSync(main)) throw new Error(`no build at ${main}`);
  step(`old release: ${old.describe} (node_modules ${old.install}); HEAD adds ${old.newMigrations.length} migration(s): ${old.newMigrations.join(', ') || 'none'}`);

  const migrate = (dir: string, name: string) => run(process.execPath, [path.join(dir, 'node_modules', 'prisma', 'build', 'index.js'), 'migrate', 'deploy'], { cwd: dir, env: { ...process.env, DATABASE_URL: pg.primaryUrl, PRISMA_HIDE_UPDATE_MESSAGE: '1' }, logPath: path.join(logDir, `${name}.log`), timeoutMs: 120_000 });
  step("the old release's schema (its prisma migrate deploy), two old instances, nginx");
  await migrate(old.dir, 'migrate-old');
  // One JWT secret for both releases: a token the old release issued stays valid on HEAD's instances.
  const env = appEnvironment({ DATABASE_URL: pg.primaryUrl, DATABASE_REPLICA_URL: pg.replicaUrl });
  const ports = [await freePort(), await freePort()];
  const instances = ports.map((port, i) => new AppInstance(`app${i + 1}-old`, port, oldMain, env, logDir));
  await Promise.all(instances.map((app) => app.start()));
  const nginx = await startNginx({ root, workDir, logDir, upstreams: instances.map((app) => app.address) });

  const traffic = new UpgradeTraffic(nginx.url, runId);
  traffic.phase = 'seed: users, listings (old)';
  const seedStarted = Date.now();
  step(`${o.users} users sign up and create 3 listings each through the old release`);
  await traffic.prepare(o.users, 3);
  const phases: { name: string; seconds: number }[] = [{ name: traffic.phase, seconds: (Date.now() - seedStarted) / 1000 }];
  let phaseStarted = Date.now();
  const enter = (name: string) => {
    phases[phases.length - 1].seconds = (Date.now() - phaseStarted) / 1000;
    phaseStarted = Date.now();
    traffic.phase = name;
    phases.push({ name, seconds: 0 });
    step(name);
  };

  phases.push({ name: 'old on the old schema', seconds: 0 });
  traffic.phase = 'old on the old schema';
  phaseStarted = Date.now();
  step(`load through nginx: ${traffic.phase}`);
  const load = traffic.start();
  const stops: Stop[] = [];
  try {
    await sleep(o.phaseMs);
    enter('migrate deploy (HEAD), old serving');
    await migrate(root, 'migrate-head');
    enter(OLD_ON_NEW_SCHEMA);
    await sleep(o.phaseMs);
    for (let i = 0; i < instances.length; i++) {
      enter(`app${i + 1}: SIGTERM old, start HEAD`);
      const stopped = await instances[i].kill('SIGTERM', SHUTDOWN_TIMEOUT_MS + 5000);
      stops.push({ instance: `app${i + 1}`, release: 'old', exit: stopped.exit.signal ?? `exit ${stopped.exit.code}`, ms: stopped.ms });
      instances[i] = new AppInstance(`app${i + 1}-head`, ports[i], headMain, env, logDir);
      const since = Date.now();
      await instances[i].start();
      // nginx skips an instance for fail_timeout (5 s) after failures: the next one is stopped only once
      // nginx sends this one requests again, or the upgrade would leave a moment with no instance at all.
      await waitForUpstream(nginx.accessLog, instances[i].address, since, 60_000);
      if (i === 0) {
        enter('old app2 + HEAD app1');
        await sleep(o.phaseMs);
      }
    }
    enter('HEAD only');
    await sleep(o.phaseMs);
  } finally {
    phases[phases.length - 1].seconds = (Date.now() - phaseStarted) / 1000;
    traffic.stop();
    await load;
    traffic.close();
  }

  step('checks');
  const checks: Check[] = [
    await judgeMigrations(pg.primaryUrl, old.newMigrations),
    judgeOldOnNewSchema(traffic.outcomes, OLD_ON_NEW_SCHEMA),
    judgeRequests(traffic.outcomes),
    ...(await verifyUpgradeWrites(pg.primaryUrl, traffic)),
    judgeStops(stops, SHUTDOWN_TIMEOUT_MS),
  ];
  log(`\n== Listing API rolling upgrade ${runId}: ${old.describe}`);
  log(`   → HEAD, across ${old.newMigrations.join(', ') || 'no migration'}; PostgreSQL ${pg.version} primary + replica, 2 instances behind nginx, ${o.users} users`);
  printPhases(phases, traffic.attempts, traffic.outcomes);
  log('\nchecks:');
  for (const check of checks) {
    log(`  ${check.ok ? 'PASS' : 'FAIL'}  ${check.name}`);
    for (const line of check.detail) log(`          ${line}`);
  }
  const failed = checks.filter((check) => !check.ok).length;
  log(`\n${failed === 0 ? 'all checks passed' : `${failed} of ${checks.length} checks failed`}; total ${((Date.now() - started) / 1000).toFixed(0)} s; logs in ${path.relative(process.cwd(), artifacts) || artifacts}`);
  writeFileSync(path.join(logDir, 'summary.json'), JSON.stringify({ runId, from: old.rev, describe: old.describe, newMigrations: old.newMigrations, phases, stops, checks }, null, 2));
  return failed === 0 ? 0 : 1;
}

function appEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Whatever the caller's shell has for the service must not leak in (a DATABASE_URL for the bench, say).
  for (const name of Object.keys(env)) if (/^(DATABASE_|REDIS_|TRUST_PROXY|AUTH_|JWT_|ADMIN_|SHUTDOWN_|SWAGGER_|ACCESS_|REFRESH_|DATA_DIR|LOG_LEVEL|BODY_LIMIT|WEBHOOK_|CHANGE_FEED_|AUDIT_|METRICS_)/.test(name)) delete env[name];
  return {
    ...env,
    ...extra,
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    TRUST_PROXY: '127.0.0.1',
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    DATABASE_POOL_SIZE: '5',
    LOG_LEVEL: 'warn',
  };
}


main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    log(`\nupgrade test could not run: ${error instanceof Error ? error.message : String(error)}`);
    await cleanup();
    process.exit(2);
  });
