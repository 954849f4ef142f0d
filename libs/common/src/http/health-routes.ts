/** Where the health routes live (HealthController's `@Controller('health')`). */
const HEALTH_PATH = '/health';

/**
 * Whether a path (or a matched route pattern) is a health route. Load balancers poll them every few
 * seconds, so their request lines are debug, and they keep answering while the HTTP side drains.
 */
export function isHealthRoute(path: string | null): boolean {
  return path !== null && (path === HEALTH_PATH || path.startsWith(`${HEALTH_PATH}/`));
}

/** Where Prometheus scrapes (MetricsController, libs/metrics). */
const METRICS_PATH = '/metrics';

/**
 * Whether a response's request line is debug rather than info: what machines poll every few seconds. The health
 * probes always; a scrape of /metrics when it succeeded (a refused one, 401 or 404, stays visible at info: a
 * misconfigured scraper or someone probing).
 */
export function isQuietRequest(route: string | null, status: number): boolean {
  return isHealthRoute(route) || (route === METRICS_PATH && status < 300);
}
