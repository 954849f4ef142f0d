import type { Metric, MetricValue, Registry } from 'prom-client';

type DurationLabels = { method: string; route: string; status_code: number };
/** A line of the exposition (prom-client's MetricValueWithName, which it does not export). */
type Sample = MetricValue<string> & { metricName: string };

/**
 * Request durations in seconds: from 1 ms (a health probe, a 304) to 10 s (beyond the default statement timeout
 * only by error). p50 and p99 are read from these with histogram_quantile().
 */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** One (method, route, status) series: a count per bucket (not cumulative: that is done at scrape time). */
export class DurationSeries {
  readonly counts = new Float64Array(DURATION_BUCKETS.length + 1);
  sum = 0;
  count = 0;

  constructor(readonly labels: DurationLabels) {}

  observe(seconds: number): void {
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]) bucket += 1;
    this.counts[bucket] += 1;
    this.sum += seconds;
    this.count += 1;
  }
}

/**
 * `http_server_request_duration_seconds`, a histogram with the same exposition as prom-client's, kept by hand:
 * prom-client's observe() validates the labels and rebuilds the series' key string on every call (and turns
 * each bucket bound into a string), which is most of what recording a request would cost (see
 * bench/metrics-cost.ts). Here a request adds to three numbers of a series its caller has already found. It is
 * registered in the prom-client Registry as a metric of its own, so the registry writes it with the others.
 */
export class RequestDurationHistogram {
  readonly name = 'http_server_request_duration_seconds';
  readonly help = 'Time from the request to its response, by method, route template (as in the OpenAPI document; "unmatched" for 404s of unknown paths) and status code.';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series: DurationSeries[] = [];

  constructor(registry: Registry) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** A new series (the caller keeps it: one per route, method and status). */
  labels(labels: DurationLabels): DurationSeries {
    const series = new DurationSeries(labels);
    this.series.push(series);
    return series;
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values: Sample[] = [];
    for (const { labels, counts, sum, count } of this.series) {
      let cumulative = 0;
      DURATION_BUCKETS.forEach((bound, index) => {
        cumulative += counts[index];
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels, value: count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** Registry.resetMetrics() calls it (tests). */
  reset(): void {
    for (const series of this.series) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
