import { Histogram, Registry } from 'prom-client';
import { DURATION_BUCKETS, RequestDurationHistogram } from './request-duration-histogram';

describe('RequestDurationHistogram', () => {
  it("writes exactly what prom-client's own Histogram writes for the same observations", async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const histogram = new RequestDurationHistogram(ours);
    const reference = new Histogram({ name: histogram.name, help: histogram.help, labelNames: ['method', 'route', 'status_code'], buckets: [...DURATION_BUCKETS], registers: [theirs] });
    const observations: [string, string, number, number][] = [
      ['GET', '/listings/{id}/prices', 200, 0.0004],
      ['GET', '/listings/{id}/prices', 200, 0.001],
      ['GET', '/listings/{id}/prices', 200, 0.0031],
      ['GET', '/listings/{id}/prices', 404, 0.02],
      ['PUT', '/listings/{id}', 200, 12],
      ['GET', 'unmatched', 404, 10],
    ];
    const series = new Map<string, ReturnType<RequestDurationHistogram['labels']>>();
    for (const [method, route, status, seconds] of observations) {
      const key = `${method} ${route} ${status}`;
      if (!series.has(key)) series.set(key, histogram.labels({ method, route, status_code: status }));
      series.get(key)!.observe(seconds);
      reference.observe({ method, route, status_code: status }, seconds);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('counts a value equal to a bound in that bound\'s bucket, as Prometheus\' `le` says', async () => {
    const registry = new Registry();
    const histogram = new RequestDurationHistogram(registry);
    histogram.labels({ method: 'GET', route: '/health/live', status_code: 200 }).observe(0.001);
    expect(await registry.metrics()).toContain('http_server_request_duration_seconds_bucket{le="0.001",method="GET",route="/health/live",status_code="200"} 1');
  });
});
