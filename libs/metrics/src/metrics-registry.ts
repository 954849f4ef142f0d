import { Injectable } from '@nestjs/common';
import { Counter, type CounterConfiguration, Gauge, type GaugeConfiguration, Histogram, type HistogramConfiguration, Registry, collectDefaultMetrics } from 'prom-client';
import { AppConfig } from '@app/common';

/**
 * The process' Prometheus metrics: one prom-client Registry per application (not prom-client's global one, so
 * that several applications in one process, as in the e2e tests, never meet "already registered"), which every
 * library adds its own metrics to: the HTTP metrics here, the pools in libs/database, the rate limits in
 * libs/auth, the deliveries in libs/webhooks.
 *
 * Counters are always kept (an increment costs nothing worth saving). What costs something is switched on only
 * when METRICS_TOKEN is set, that is when someone can read it: the per-request hooks (HttpMetrics) and prom-client's
 * default process metrics (their event-loop delay monitor samples continuously).
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();
  /** Whether /metrics is served (METRICS_TOKEN is set). */
  readonly enabled: boolean;

  constructor(config: AppConfig) {
    this.enabled = config.metricsToken !== undefined;
    // process_cpu_*, process_resident_memory_bytes, nodejs_eventloop_lag_*, nodejs_gc_duration_seconds, heap sizes…
    if (this.enabled) collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string>(configuration: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return new Counter({ ...configuration, registers: [this.registry] });
  }

  /** A gauge; give it `collect()` to read its value at scrape time rather than keep it current per event. */
  gauge<L extends string>(configuration: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return new Gauge({ ...configuration, registers: [this.registry] });
  }

  histogram<L extends string>(configuration: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
    return new Histogram({ ...configuration, registers: [this.registry] });
  }

  /** The text exposition format (what Prometheus scrapes), and its content type. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
