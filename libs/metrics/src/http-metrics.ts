import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Histogram } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';
import { routeLabel } from './route-label';

type DurationLabel = 'method' | 'route' | 'status_code';
type Series = ReturnType<Histogram<DurationLabel>['labels']>;

/**
 * Request durations in seconds: from 1 ms (a health probe, a 304) to 10 s (beyond the statement timeout's
 * default range only by error). p50 and p99 are read from these with histogram_quantile().
 */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One route's label, converted once, and its series by method and status (a handful each). */
interface RouteSeries {
  route: string;
  byMethodAndStatus: Map<string, Series>;
}

/**
 * `http_server_request_duration_seconds` and `http_server_requests_in_flight`, recorded by a pair of Fastify hooks
 * on the root instance (added in onModuleInit, like HttpDrain's: Fastify applies hooks to every route when it
 * starts, 404s included). Only when METRICS_TOKEN is set: otherwise nothing runs per request.
 *
 * What a request costs (measured by `npm run bench:metrics`): a counter and a 'close' listener at the start; at the
 * end, two map lookups and prom-client's observe() on a labelled series cached per (route, method, status). The
 * duration is Fastify's own (reply.elapsedTime, from the clock readings it takes for every request anyway), and the
 * route label is converted from the route pattern once per route. In flight is a plain number that the gauge
 * reads at scrape time. It is decremented on the response's 'close', which comes both after a response is sent
 * and when the client goes away first (then Fastify runs no onResponse hook, and the request has no duration).
 */
@Injectable()
export class HttpMetrics implements OnModuleInit {
  private inFlight = 0;
  private readonly durations: Histogram<DurationLabel>;
  /** By Fastify route pattern; `undefined` is the unmatched requests' entry. */
  private readonly routes = new Map<string | undefined, RouteSeries>();
  /** One function for every response: no closure allocated per request. */
  private readonly requestClosed = (): void => {
    this.inFlight -= 1;
  };

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: MetricsRegistry,
  ) {
    this.durations = metrics.histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Time from the request to its response, by method, route template (as in the OpenAPI document; "unmatched" for 404s of unknown paths) and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: DURATION_BUCKETS,
    });
    const self = this;
    metrics.gauge({
      name: 'http_server_requests_in_flight',
      help: 'Requests received whose response is not finished yet.',
      collect() {
        this.set(self.inFlight);
      },
    });
  }

  onModuleInit(): void {
    if (!this.metrics.enabled) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      this.requestStarted(reply);
      done();
    });
    fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      this.requestFinished(request, reply);
      done();
    });
  }

  /** The onRequest hook's work (public for the cost benchmark, bench/metrics-cost.ts). */
  requestStarted(reply: Pick<FastifyReply, 'raw'>): void {
    this.inFlight += 1;
    reply.raw.on('close', this.requestClosed);
  }

  /** The onResponse hook's work (public for the cost benchmark). */
  requestFinished(request: Pick<FastifyRequest, 'method' | 'routeOptions'>, reply: Pick<FastifyReply, 'statusCode' | 'elapsedTime'>): void {
    const pattern = request.routeOptions.url;
    let route = this.routes.get(pattern);
    if (route === undefined) {
      route = { route: routeLabel(pattern), byMethodAndStatus: new Map() };
      this.routes.set(pattern, route);
    }
    const key = request.method + reply.statusCode;
    let series = route.byMethodAndStatus.get(key);
    if (series === undefined) {
      series = this.durations.labels({ method: request.method, route: route.route, status_code: reply.statusCode });
      route.byMethodAndStatus.set(key, series);
    }
    series.observe(reply.elapsedTime / 1000);
  }
}
