import type { EventEmitter } from 'node:events';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Histogram, Registry } from 'prom-client';
import { Gauge, Histogram as HistogramMetric } from 'prom-client';
import { routeLabel } from './route-label';

type DurationLabel = 'method' | 'route' | 'status_code';
type Series = ReturnType<Histogram<DurationLabel>['labels']>;

/**
 * Request durations in seconds: from 1 ms (a health probe, a 304) to 10 s (beyond the default statement timeout
 * only by error). p50 and p99 are read from these with histogram_quantile().
 */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One route's label, converted once, and its series by method and status (a handful each). */
interface RouteSeries {
  route: string;
  byMethodAndStatus: Map<string, Series>;
}

/**
 * `http_server_request_duration_seconds` and `http_server_requests_in_flight`: what the two request hooks do
 * (HttpMetrics installs them). Plain code with no Nest in it, so that bench/metrics-cost.ts times exactly this.
 *
 * Per request: a counter and a 'close' listener at the start; at the end, two map lookups and prom-client's
 * observe() on a labelled series cached per (route, method, status). The duration is Fastify's own
 * (reply.elapsedTime, from the clock readings it takes for every request anyway), and the route label is
 * converted from the route pattern once per route. In flight is a plain number that the gauge reads at scrape
 * time, decremented on the response's 'close', which comes after a response is sent and also when the client
 * goes away first (Fastify then runs no onResponse hook: such a request has no duration).
 */
export class RequestMetrics {
  private inFlight = 0;
  private readonly durations: Histogram<DurationLabel>;
  /** By Fastify route pattern; `undefined` is the unmatched requests' entry. */
  private readonly routes = new Map<string | undefined, RouteSeries>();
  /** One function for every response: no closure allocated per request. */
  private readonly requestClosed = (): void => {
    this.inFlight -= 1;
  };

  constructor(registry: Registry) {
    this.durations = new HistogramMetric({
      name: 'http_server_request_duration_seconds',
      help: 'Time from the request to its response, by method, route template (as in the OpenAPI document; "unmatched" for 404s of unknown paths) and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
    const inFlight = () => this.inFlight;
    new Gauge({
      name: 'http_server_requests_in_flight',
      help: 'Requests received whose response is not finished yet.',
      registers: [registry],
      collect() {
        this.set(inFlight());
      },
    });
  }

  /** The onRequest hook's work. */
  requestStarted(reply: { raw: Pick<EventEmitter, 'on'> }): void {
    this.inFlight += 1;
    reply.raw.on('close', this.requestClosed);
  }

  /** The onResponse hook's work. */
  requestFinished(request: { method: string; routeOptions: { url?: string } }, reply: { statusCode: number; elapsedTime: number }): void {
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

/** The two hooks, on the root instance: every route, 404s included (also what bench/metrics-cost.ts installs). */
export function installRequestHooks(fastify: FastifyInstance, requests: RequestMetrics): void {
  fastify.addHook('onRequest', (_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    requests.requestStarted(reply);
    done();
  });
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    requests.requestFinished(request, reply);
    done();
  });
}
