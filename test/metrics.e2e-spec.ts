import { createSuiteDatabase, type TestDatabase } from './setup/test-database';
import { type Listing, aListing } from './support/listings';
import { LogCapture } from './support/log-capture';
import { declaredRoutes } from './support/routes';
import { type SignedIn, type TestApp, signUp, startTestApp, uniqueEmail, webhooksStarted } from './support/test-app';
import { WebhookReceiver } from './support/webhook-receiver';

const METRICS_TOKEN = 'metrics-token-for-the-e2e-suite-0123456789';

/** One sample of the text exposition format: `name{label="value",…} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not an exposition line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]));
      return { name: match[1], labels, value: Number(match[3]) };
    });
}

/** The value of the one sample with this name and these labels (undefined if there is none). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/**
 * GET /metrics as Prometheus scrapes it, over real HTTP: the token rules, the exposition format, and what the
 * metrics say after real requests (route templates, never paths), on an application with a replica pool (the
 * same database again) and a webhook worker, on a database of its own (so the webhook backlog is this test's).
 */
describe('Prometheus metrics', () => {
  const logs = new LogCapture();
  let database: TestDatabase;
  let withMetrics: TestApp;
  let withoutMetrics: TestApp;
  let receiver: WebhookReceiver;
  let owner: SignedIn;

  beforeAll(async () => {
    database = await createSuiteDatabase();
    [withMetrics, withoutMetrics, receiver] = await Promise.all([
      startTestApp(
        {
          METRICS_TOKEN,
          LOG_LEVEL: 'log',
          DATABASE_REPLICA_URL: database.url,
          AUTH_RATE_LIMIT_PER_ACCOUNT: '2',
          WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
          WEBHOOK_DISPATCH_INTERVAL_MS: '20',
        },
        database.url,
        logs,
      ),
      // No worker: the ping's delivery must be sent (and counted) by the instance with metrics.
      startTestApp({ WEBHOOK_WORKER: 'false' }, database.url, logs),
      WebhookReceiver.start(),
    ]);
    owner = await signUp(withMetrics, 'metrics');
    await webhooksStarted(withMetrics);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([withMetrics?.close(), withoutMetrics?.close()]);
    await receiver?.close();
    await database?.dispose();
  });

  const scrape = () => withMetrics.api.get<string>('/metrics', { token: METRICS_TOKEN });
  const samples = async () => {
    const response = await scrape();
    expect(response.status).toBe(200);
    return parseExposition(response.text);
  };

  it('is a 404, like an unknown path, when METRICS_TOKEN is not set', async () => {
    for (const token of [undefined, METRICS_TOKEN]) {
      const response = await withoutMetrics.api.get<{ message: string }>('/metrics', { token });
      expect({ status: response.status, body: response.body }).toEqual({ status: 404, body: { message: 'Cannot GET /metrics' } });
    }
  });

  it('is in the served OpenAPI document only where it exists (METRICS_TOKEN set)', async () => {
    const pathsOf = async (app: typeof withMetrics) => Object.keys((await app.api.get<{ paths: Record<string, unknown> }>('/docs/openapi.json')).body.paths);
    expect(await pathsOf(withMetrics)).toContain('/metrics');
    expect(await pathsOf(withoutMetrics)).not.toContain('/metrics');
  });

  it('is a 401 with a JSON message without the token, with a wrong one, or with an access token', async () => {
    const headers: (Record<string, string> | undefined)[] = [
      undefined,
      { authorization: `Bearer ${METRICS_TOKEN}x` },
      { authorization: `Bearer ${METRICS_TOKEN.slice(0, -1)}` },
      { authorization: `Basic ${Buffer.from(`prometheus:${METRICS_TOKEN}`).toString('base64')}` },
      { authorization: `Bearer ${owner.accessToken}` },
    ];
    for (const header of headers) {
      const response = await withMetrics.api.get<{ message: string }>('/metrics', { headers: header });
      expect({ header, status: response.status, body: response.body }).toEqual({
        header,
        status: 401,
        body: { message: 'Missing or wrong metrics token: send Authorization: Bearer <METRICS_TOKEN>' },
      });
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    }
  });

  it('answers the token with the text exposition format, uncached', async () => {
    const response = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.text).toContain('# TYPE http_server_request_duration_seconds histogram');
    expect(() => parseExposition(response.text)).not.toThrow();
  });

  it('times each request by method, route template and status code: never a path or an id', async () => {
    const created = await owner.api.post<Listing>('/listings', aListing());
    expect(created.status).toBe(201);
    const { id } = created.body;
    for (let i = 0; i < 3; i += 1) expect((await withMetrics.api.get(`/listings/${id}/prices`)).status).toBe(200);
    expect((await withMetrics.api.get('/listings/2147483646/prices')).status).toBe(404);
    expect((await withMetrics.api.get(`/no-such-path/${id}`)).status).toBe(404);

    const text = (await scrape()).text;
    const all = parseExposition(text);
    const count = (labels: Record<string, string>) => valueOf(all, 'http_server_request_duration_seconds_count', labels);
    expect(count({ method: 'GET', route: '/listings/{id}/prices', status_code: '200' })).toBe(3);
    expect(count({ method: 'GET', route: '/listings/{id}/prices', status_code: '404' })).toBe(1);
    expect(count({ method: 'POST', route: '/listings', status_code: '201' })).toBe(1);
    expect(count({ method: 'GET', route: 'unmatched', status_code: '404' })).toBeGreaterThanOrEqual(1);
    // Buckets are cumulative, and the last one (+Inf) holds every request.
    const buckets = all.filter((s) => s.name === 'http_server_request_duration_seconds_bucket' && s.labels.route === '/listings/{id}/prices' && s.labels.status_code === '200');
    expect(buckets.at(-1)).toMatchObject({ labels: { le: '+Inf' }, value: 3 });
    expect(buckets.map((b) => b.value)).toEqual([...buckets.map((b) => b.value)].sort((a, b) => a - b));

    // Every route label is a template the server declares, `unmatched`, or the documentation's own routes.
    const templates = new Set(declaredRoutes(withMetrics).map((route) => route.path.replace(/:(\w+)/g, '{$1}')));
    const routes = new Set(all.filter((s) => s.labels.route !== undefined).map((s) => s.labels.route));
    for (const route of routes) expect({ route, known: templates.has(route) || route === 'unmatched' || route.startsWith('/docs') }).toEqual({ route, known: true });
    expect(text).not.toContain(`/listings/${id}`);
    expect(text).not.toContain('no-such-path');
    expect(text).not.toContain('2147483646');
  });

  it('counts the requests in flight (the scrape itself is one)', async () => {
    expect(valueOf(await samples(), 'http_server_requests_in_flight')).toBeGreaterThanOrEqual(1);
  });

  it('has the pool gauges of the primary and of each replica', async () => {
    const all = await samples();
    for (const pool of ['primary', 'replica1']) {
      for (const state of ['idle', 'busy']) expect({ pool, state, value: valueOf(all, 'db_pool_connections', { pool, state }) }).toEqual({ pool, state, value: expect.any(Number) });
      expect(valueOf(all, 'db_pool_waiting_requests', { pool })).toBe(0);
      expect(valueOf(all, 'db_pool_max_connections', { pool })).toBe(10);
    }
    // The primary served the sign-up and this test's writes: it has opened connections.
    expect(valueOf(all, 'db_pool_connections', { pool: 'primary', state: 'idle' })! + valueOf(all, 'db_pool_connections', { pool: 'primary', state: 'busy' })!).toBeGreaterThan(0);
  });

  it("has prom-client's process and Node metrics: CPU, memory, event-loop lag, GC", async () => {
    const text = (await scrape()).text;
    const all = parseExposition(text);
    expect(valueOf(all, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(all, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(valueOf(all, 'nodejs_eventloop_lag_p99_seconds')).toEqual(expect.any(Number));
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram');
  });

  it('counts a rate-limit rejection under its limit', async () => {
    const before = await samples();
    expect(valueOf(before, 'rate_limit_rejections_total', { limit: 'api_key' })).toBe(0);
    const perAccountBefore = valueOf(before, 'rate_limit_rejections_total', { limit: 'auth_per_account' });
    const email = uniqueEmail('limited');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await withMetrics.api.post('/auth/login', { email, password: 'not the password' })).status);
    expect(statuses).toEqual([401, 401, 429]);
    const after = await samples();
    expect(valueOf(after, 'rate_limit_rejections_total', { limit: 'auth_per_account' })).toBe(perAccountBefore! + 1);
    expect(valueOf(after, 'rate_limit_rejections_total', { limit: 'auth_per_ip' })).toBe(0);
  });

  it('counts webhook deliveries by outcome, and reports the backlog', async () => {
    const before = await samples();
    expect(valueOf(before, 'webhook_deliveries_total', { outcome: 'succeeded' })).toBe(0);
    expect(valueOf(before, 'webhook_deliveries_pending')).toBe(0);
    expect(valueOf(before, 'webhook_oldest_pending_delivery_age_seconds')).toBe(0);

    const subscription = await owner.api.post<{ id: number }>('/webhooks', { url: receiver.url('/metrics-hook'), events: ['listing.created'] });
    expect(subscription.status).toBe(201);
    expect((await owner.api.post(`/webhooks/${subscription.body.id}/ping`)).status).toBe(202);
    // Generous: under a full CI run on two cores, the first attempt may time out and be retried.
    await receiver.waitFor('/metrics-hook', 1, { timeoutMs: 40_000 }).catch((error: Error) => {
      // What the webhook side logged (its start, its retries) says why, when nothing came.
      const webhookLines = logs.lines.filter((line) => line.context === 'Webhooks');
      throw new Error(`${error.message}\nthe applications' webhook log lines:\n${webhookLines.map((line) => JSON.stringify(line)).join('\n')}`);
    });
    // The success is recorded (and counted) a few milliseconds after the receiver answered.
    const deadline = Date.now() + 10_000;
    let after = await samples();
    while (valueOf(after, 'webhook_deliveries_total', { outcome: 'succeeded' }) !== 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await samples();
    }
    expect(valueOf(after, 'webhook_deliveries_total', { outcome: 'succeeded' })).toBe(1);
    expect(valueOf(after, 'webhook_deliveries_total', { outcome: 'dead' })).toBe(0);
    // The backlog is read at most every 2 s: once it is read after the delivery, nothing is owed.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(valueOf(await samples(), 'webhook_deliveries_pending')).toBe(0);
  });

  it('keeps successful scrapes out of the request log at info level; a refused one is there', async () => {
    const scraped = await scrape();
    const refused = await withMetrics.api.get('/metrics');
    expect(refused.status).toBe(401);
    // Lines are written in order: once the refused scrape's line is there, the successful one's would be too.
    expect(await logs.requestLine(refused.headers.get('x-request-id'))).toMatchObject({ level: 'info', route: '/metrics', status: 401 });
    expect(logs.lines.filter((line) => line.requestId === scraped.headers.get('x-request-id'))).toEqual([]);
    expect(logs.lines.filter((line) => line.route === '/metrics' && line.status === 200)).toEqual([]);
  });
});
