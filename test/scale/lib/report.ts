/** The scale test's printed summary: traffic figures first, then one line per check. */
import { Check, countBy, Kill, percentile } from './checks';
import { AccessLogEntry } from './services';
import { log } from './supervisor';
import { Sample } from './traffic';

export interface Summary {
  runId: string;
  setup: { postgres: string; statements: boolean; instances: number; users: number; seededListings: number; durationSec: number; loadSec: number };
  warnings: string[];
  load: Sample[];
  setupSamples: number;
  kills: Kill[];
  accessLog: AccessLogEntry[];
  replicaShare?: number;
  staleReads: number;
  freshReads: number;
  checks: Check[];
}

const ms = (value: number) => (Number.isNaN(value) ? '-' : value.toFixed(1));

function latencyRow(label: string, samples: Sample[]): string {
  const ok = samples.filter((s) => s.status >= 200 && s.status < 300);
  const sorted = ok.map((s) => s.ms).sort((a, b) => a - b);
  return `  ${label.padEnd(18)} ${String(samples.length).padStart(7)} ${String(ok.length).padStart(7)} ${ms(percentile(sorted, 50)).padStart(8)} ${ms(percentile(sorted, 99)).padStart(8)}`;
}

export function printReport(s: Summary): void {
  const { setup, load } = s;
  log(`\n== Listing API scale test ${s.runId}: ${setup.instances} instances behind nginx, PostgreSQL ${setup.postgres} primary + 1 streaming replica, Redis`);
  log(`   ${setup.users} users, ${setup.seededListings} seeded listings (${setup.seededListings * 10} prices), ${setup.loadSec.toFixed(1)} s of load (planned ${setup.durationSec} s); sign-up requests before it: ${s.setupSamples}`);
  for (const warning of s.warnings) log(`   WARNING: ${warning}`);

  log(`\nrequests: ${load.length} (${(load.length / setup.loadSec).toFixed(0)} req/s through nginx); statuses ${JSON.stringify(countBy(load.map((x) => String(x.status || 'no answer'))))}`);
  log(`  ${'operation'.padEnd(18)} ${'sent'.padStart(7)} ${'2xx'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
  const ops = [...new Set(load.map((x) => `${x.method} ${x.op}`))].sort();
  for (const op of ops) log(latencyRow(op, load.filter((x) => `${x.method} ${x.op}` === op)));
  log(latencyRow('all', load));

  log('\ninstances stopped during the load:');
  for (const kill of s.kills) {
    log(`  ${kill.signal} ${kill.instance} at ${(kill.atMs / 1000).toFixed(1)} s: ${kill.exit ?? '?'} after ${kill.exitMs ?? '?'} ms${kill.restartedMs ? `, restarted and served by nginx again ${(kill.restartedMs / 1000).toFixed(1)} s after the signal` : kill.signal === 'SIGTERM' ? ', not restarted' : ', left down'}`);
  }
  const retried = s.accessLog.filter((entry) => entry.ua.includes(','));
  const served = countBy(s.accessLog.map((entry) => entry.ua.split(', ').pop() ?? '-'));
  log(`nginx: ${s.accessLog.length} requests logged; answered by ${JSON.stringify(served)}`);
  log(`  re-sent to the other instance: ${retried.length} (first instance's answer: ${JSON.stringify(countBy(retried.map((entry) => entry.us.split(', ')[0])))}); 5xx to clients: ${s.accessLog.filter((entry) => entry.st >= 500).length}`);

  if (s.replicaShare !== undefined) log(`replica share of the public-read statements: ${(100 * s.replicaShare).toFixed(1)}%`);
  log(`anonymous read right after an acknowledged price change: ${s.freshReads} showed the new price, ${s.staleReads} the old one or a 404 (replica lag)`);

  log('\nchecks:');
  for (const check of s.checks) {
    log(`  ${check.ok ? 'PASS' : 'FAIL'}  ${check.name}`);
    for (const line of check.detail) log(`          ${line}`);
  }
  const failed = s.checks.filter((check) => !check.ok).length;
  log(`\n${failed === 0 ? 'all checks passed' : `${failed} of ${s.checks.length} checks failed`}`);
}
