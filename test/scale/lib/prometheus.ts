/**
 * Debian's Prometheus as a child of the scale test, scraping every app instance directly (not through nginx: each
 * instance is its own target, as in production) with the metrics token, every second, into a TSDB in the run's
 * directory. The checks then ask its HTTP API what an operator's dashboard would: each instance's request rate
 * and the pool gauges, and every query of the Grafana dashboard in deploy/grafana.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../../bench/lib/processes';
import type { Check } from './checks';
import { Child, run, sleep, systemBinary, waitUntil } from './supervisor';

/** The scrape job's name: the `job` label of every series, as the dashboard's $job variable selects it. */
export const SCRAPE_JOB = 'listing-api';

export interface Prometheus {
  url: string;
  query(expr: string): Promise<PromResult>;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export type PromResult = { ok: true; samples: PromSample[] } | { ok: false; error: string };

export async function startPrometheus(opts: { workDir: string; logDir: string; targets: string[]; token: string }): Promise<Prometheus> {
  const dir = path.join(opts.workDir, 'prometheus');
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const tokenFile = path.join(dir, 'metrics-token');
  writeFileSync(tokenFile, opts.token, { mode: 0o600 });
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ${SCRAPE_JOB}
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials_file: ${tokenFile}
    static_configs:
      - targets: [${opts.targets.map((target) => `'${target}'`).join(', ')}]
`,
  );
  await run(systemBinary('promtool') ?? 'promtool', ['check', 'config', config], { cwd: dir, logPath: path.join(opts.logDir, 'promtool.log'), timeoutMs: 30_000 });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const prometheus = new Child(
    'prometheus',
    systemBinary('prometheus') ?? 'prometheus',
    [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=1h'],
    { cwd: dir, logPath: path.join(opts.logDir, 'prometheus.log'), graceMs: 5000 },
  );
  await waitUntil('prometheus is ready', async () => (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) })).status === 200, 30_000, prometheus);
  return { url, query: (expr) => query(url, expr) };
}

async function query(url: string, expr: string): Promise<PromResult> {
  const response = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr }).toString()}`, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSample[] } };
  if (body.status !== 'success') return { ok: false, error: body.error ?? `HTTP ${response.status}` };
  return { ok: true, samples: body.data?.resultType === 'vector' ? body.data.result : [] };
}

/**
 * What Prometheus holds at the end of the run, for each instance (its `instance` label is its address): it was
 * scraped (up), its request rate (the counter's increase over the run, and rate() over the last 30 s), and the
 * pool gauges of its primary and replica. And every query of the dashboard evaluates (valid PromQL, against the
 * names the service really exports: a typo in a metric name returns nothing, which is counted).
 */
export async function judgeMetrics(prometheus: Prometheus, instances: { name: string; address: string }[], dashboardFile: string, timeoutMs: number): Promise<Check> {
  const detail: string[] = [];
  const job = `job="${SCRAPE_JOB}"`;
  const perInstance = async (expr: string) => {
    const result = await prometheus.query(expr);
    return new Map(result.ok ? result.samples.map((sample) => [sample.metric.instance, Number(sample.value[1])]) : []);
  };
  const expectations: { what: string; expr: string; holds: (value: number | undefined) => boolean }[] = [
    { what: 'scraped (up)', expr: `up{${job}}`, holds: (v) => v === 1 },
    { what: 'requests counted over the run', expr: `sum by (instance) (increase(http_server_request_duration_seconds_count{${job}}[10m]))`, holds: (v) => v !== undefined && v > 0 },
    { what: 'request rate (30 s)', expr: `sum by (instance) (rate(http_server_request_duration_seconds_count{${job}}[30s]))`, holds: (v) => v !== undefined && Number.isFinite(v) },
    { what: 'primary pool connections', expr: `sum by (instance) (db_pool_connections{${job}, pool="primary"})`, holds: (v) => v !== undefined && v >= 0 },
    { what: 'replica pool connections', expr: `sum by (instance) (db_pool_connections{${job}, pool="replica1"})`, holds: (v) => v !== undefined && v >= 0 },
    { what: 'pool waiting requests', expr: `sum by (instance) (db_pool_waiting_requests{${job}})`, holds: (v) => v !== undefined && v >= 0 },
  ];
  // Scrapes come every second, but an instance restarted late in the run (app2 after its SIGKILL) needs a few.
  const deadline = Date.now() + timeoutMs;
  let failing: string[] = [];
  let values = new Map<string, Map<string, number>>();
  do {
    values = new Map(await Promise.all(expectations.map(async ({ what, expr }) => [what, await perInstance(expr)] as const)));
    failing = instances.flatMap(({ name, address }) => expectations.filter(({ what, holds }) => !holds(values.get(what)!.get(address))).map(({ what }) => `${name}: ${what}`));
    if (failing.length === 0) break;
    await sleep(1000);
  } while (Date.now() < deadline);
  for (const { name, address } of instances) {
    const show = (what: string) => values.get(what)!.get(address)?.toFixed(2) ?? 'absent';
    detail.push(`${name} (${address}): up ${show('scraped (up)')}, ${show('requests counted over the run')} requests, ${show('request rate (30 s)')} req/s over the last 30 s, primary pool ${show('primary pool connections')} connections, replica1 ${show('replica pool connections')}, waiting ${show('pool waiting requests')}`);
  }
  const dashboard = await checkDashboard(prometheus, dashboardFile);
  detail.push(`dashboard ${path.basename(dashboardFile)}: ${dashboard.queries} queries, ${dashboard.errors.length} refused, ${dashboard.empty.length} without data${dashboard.empty.length ? ` (${dashboard.empty.join('; ')})` : ''}`);
  for (const error of dashboard.errors) detail.push(`  refused: ${error}`);
  if (failing.length > 0) detail.push(`missing: ${failing.join('; ')}`);
  return { name: 'Prometheus scrapes both instances with the token: request rate and pool gauges per instance; the dashboard\'s queries evaluate', ok: failing.length === 0 && dashboard.errors.length === 0, detail };
}

/** Every panel query of the Grafana dashboard, with its variables set to "all" and a 5 s rate window. */
async function checkDashboard(prometheus: Prometheus, file: string): Promise<{ queries: number; errors: string[]; empty: string[] }> {
  interface Panel {
    title?: string;
    targets?: { expr?: string }[];
  }
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as { panels: Panel[] };
  const errors: string[] = [];
  const empty: string[] = [];
  let queries = 0;
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      if (!target.expr) continue;
      queries += 1;
      const expr = target.expr.replaceAll('$__rate_interval', '5s').replaceAll('$job', '.*').replaceAll('$instance', '.*');
      const result = await prometheus.query(expr);
      if (!result.ok) errors.push(`${panel.title}: ${result.error}`);
      else if (result.samples.length === 0) empty.push(panel.title ?? expr);
    }
  }
  return { queries, errors, empty };
}
