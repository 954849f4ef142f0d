import { Logger } from '@nestjs/common';
import pg from 'pg';
import { freePort } from '@app/dev-database';
import { startAppProcess } from './support/app-process';
import { ApiClient } from './support/http';
import { aListing } from './support/listings';
import { PrivatePostgres } from './support/private-postgres';
import { WebhookReceiver } from './support/webhook-receiver';
import { SignedIn, TestApp, signUp, startTestApp, uniqueEmail } from './support/test-app';

/** Short bounds, so that the drill is quick; the defaults are 5 s, 5 s and 15 s. */
const CONNECT_MS = 1_000;
const ACQUIRE_MS = 1_000;
const STATEMENT_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sample {
  at: number;
  method: string;
  status: number;
  ms: number;
  retryAfter: string | null;
  price?: number;
  listing: number;
  error?: string;
}

/**
 * Users that each change their own listing's price (a new price every time) and read it back, as fast
 * as they can, until stopped: every answer is recorded.
 */
class Traffic {
  readonly samples: Sample[] = [];
  private running = true;
  private readonly loops: Promise<void>[];
  private price = 100_000;

  constructor(
    users: { user: SignedIn; listing: number }[],
    private readonly started = Date.now(),
  ) {
    this.loops = users.map(({ user, listing }) => this.loop(user, listing));
  }

  private async loop(user: SignedIn, listing: number): Promise<void> {
    while (this.running) {
      this.price += 1;
      const price = this.price;
      await this.record('PUT', listing, () => user.api.put(`/listings/${listing}`, aListing({ latest_price_eur: price })), price);
      await this.record('GET', listing, () => user.api.get(`/listings/${listing}`));
      await sleep(20);
    }
  }

  private async record(method: string, listing: number, send: () => Promise<{ status: number; headers: Headers }>, price?: number): Promise<void> {
    const at = Date.now();
    try {
      const response = await send();
      this.samples.push({ at: at - this.started, method, status: response.status, ms: Date.now() - at, retryAfter: response.headers.get('retry-after'), price, listing });
    } catch (error) {
      // No answer, or one the OpenAPI document does not allow (a 500): status 0, and the reason.
      this.samples.push({ at: at - this.started, method, status: 0, ms: Date.now() - at, retryAfter: null, price, listing, error: (error as Error).message.split('\n').slice(0, 3).join(' ') });
    }
  }

  since(ms: number): Sample[] {
    return this.samples.filter((s) => s.at >= ms);
  }

  elapsed(): number {
    return Date.now() - this.started;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

function summary(samples: Sample[]): string {
  const byStatus: Record<string, number[]> = {};
  for (const s of samples) (byStatus[s.status] ??= []).push(s.ms);
  return Object.entries(byStatus)
    .map(([status, ms]) => {
      const sorted = ms.sort((a, b) => a - b);
      return `${status}: ${sorted.length} (p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms)`;
    })
    .join('; ');
}

async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(25);
  }
  return Date.now() - started;
}

describe('database outage drill (a private PostgreSQL stopped, frozen and restarted under traffic)', () => {
  let server: PrivatePostgres;
  let databaseUrl: string;
  let testApp: TestApp;
  let users: { user: SignedIn; listing: number }[];
  const logs = { warn: [] as string[], log: [] as string[], error: [] as string[] };

  beforeAll(async () => {
    server = await PrivatePostgres.start();
    databaseUrl = await server.createMigratedDatabase('listing_outage');
    // Whatever logger backs Nest's Logger, every line goes through these methods.
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void logs.warn.push(String(message)));
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void logs.error.push(String(message)));
    jest.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => void logs.log.push(String(message)));
    testApp = await startTestApp(
      { DATABASE_POOL_SIZE: '4', DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_MS), DATABASE_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_MS), DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_MS) },
      databaseUrl,
    );
    users = [];
    for (let i = 0; i < 6; i += 1) {
      const user = await signUp(testApp, 'outage');
      const created = await user.api.post<{ id: number }>('/listings', aListing());
      users.push({ user, listing: created.body.id });
    }
  }, 120_000); // a PostgreSQL server of its own to initialise and start: slow on a loaded machine

  afterAll(async () => {
    await testApp?.close();
    await server?.destroy();
    jest.restoreAllMocks();
  });

  beforeEach(() => {
    logs.warn.length = 0;
    logs.log.length = 0;
    logs.error.length = 0;
  });

  const outageWarnings = () => logs.warn.filter((line) => line.startsWith('Database unavailable'));
  const recoveries = () => logs.log.filter((line) => line.startsWith('Database reachable again'));

  it('stopped: 503 with Retry-After at once, one warning; started again: 200s without restarting the service, no acknowledged write lost', async () => {
    const traffic = new Traffic(users);
    await sleep(1_000);
    const stopAt = traffic.elapsed();
    await server.stopServer();
    const stoppedAt = traffic.elapsed();
    await sleep(3_000);
    const restartAt = traffic.elapsed();
    await server.startServer();
    const startedAt = traffic.elapsed();
    const recoveredIn = await waitFor('a 200 after the restart', () => traffic.since(startedAt).some((s) => s.status === 200), 15_000);
    await sleep(1_000);
    await traffic.stop();

    const before = traffic.samples.filter((s) => s.at + s.ms < stopAt);
    const outage = traffic.samples.filter((s) => s.at >= stoppedAt && s.at + s.ms < restartAt);
    const after = traffic.since(startedAt + recoveredIn + 200);
    process.stdout.write(
      `[outage drill: stopped] before: ${summary(before)}\n  stop took ${stoppedAt - stopAt} ms; while stopped: ${summary(outage)}\n` +
        `  first 200 ${recoveredIn} ms after the server accepted connections again; after: ${summary(after)}\n  log: ${[...outageWarnings(), ...recoveries(), ...logs.error].join(' | ')}\n`,
    );

    expect(before.length).toBeGreaterThan(0);
    expect(before.every((s) => s.status === 200)).toBe(true);
    // Stopped: every request is answered 503 with Retry-After, within the bound, never a 500.
    expect(outage.length).toBeGreaterThan(20);
    expect(outage.filter((s) => s.status !== 503)).toEqual([]);
    expect(outage.filter((s) => !/^\d+$/.test(s.retryAfter ?? ''))).toEqual([]);
    expect(Math.max(...outage.map((s) => s.ms))).toBeLessThanOrEqual(ACQUIRE_MS + 500);
    // Nothing else but 200 and 503 at any time, around the stop and the restart included.
    expect(traffic.samples.filter((s) => s.status !== 200 && s.status !== 503)).toEqual([]);
    // Back without a restart of the service.
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((s) => s.status !== 200)).toEqual([]);
    // The log: one warning for the outage, one line for its end, no error (no stack per request).
    expect(outageWarnings()).toHaveLength(1);
    expect(recoveries()).toHaveLength(1);
    expect(logs.error).toEqual([]);

    // Every price change that was acknowledged (200) is in its listing's history.
    const acknowledged = traffic.samples.filter((s) => s.method === 'PUT' && s.status === 200);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const history = await client.query<{ listing_id: number; price_eur: string }>('SELECT listing_id, price_eur FROM listing_price WHERE listing_id = ANY($1)', [users.map((u) => u.listing)]);
      const recorded = new Set(history.rows.map((row) => `${row.listing_id}:${Number(row.price_eur)}`));
      expect(acknowledged.filter((s) => !recorded.has(`${s.listing}:${s.price}`))).toEqual([]);
    } finally {
      await client.end();
    }
  }, 60_000);

  it('frozen (SIGSTOP: no answer at all): 503 within the configured bounds; thawed: 200s again', async () => {
    const traffic = new Traffic(users);
    await sleep(500);
    const frozenAt = traffic.elapsed();
    server.freeze(true);
    let thawedAt: number;
    try {
      await sleep(2 * (STATEMENT_MS + 1_000) + 1_000);
    } finally {
      thawedAt = traffic.elapsed();
      server.freeze(false);
    }
    const recoveredIn = await waitFor('a 200 after thawing', () => traffic.since(thawedAt).some((s) => s.status === 200), 15_000);
    // The availability probe may still be waiting on a connection the freeze stalled (bounded by the
    // client-side timeouts): the recovery line can follow the first 200 by a few seconds.
    await waitFor('the recovery log line', () => recoveries().length > 0, 2 * (STATEMENT_MS + 1_000) + 2_000);
    await sleep(500);
    await traffic.stop();

    const frozen = traffic.samples.filter((s) => s.at >= frozenAt && s.at + s.ms < thawedAt);
    const after = traffic.since(thawedAt + recoveredIn + 200);
    process.stdout.write(`[outage drill: frozen] while frozen: ${summary(frozen)}; first 200 ${recoveredIn} ms after thawing; after: ${summary(after)}\n  log: ${[...outageWarnings(), ...recoveries(), ...logs.error].join(' | ')}\n`);

    const failed = frozen.filter((s) => s.status !== 200);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.filter((s) => s.status !== 503)).toEqual([]);
    // A statement the server cannot cancel is given up by the client a second after statement_timeout;
    // a request makes at most two such waits (its account check, then its own statement).
    expect(Math.max(...frozen.map((s) => s.ms))).toBeLessThanOrEqual(2 * (STATEMENT_MS + 1_000) + 500);
    expect(after.filter((s) => s.status !== 200)).toEqual([]);
    expect(outageWarnings()).toHaveLength(1);
    expect(recoveries()).toHaveLength(1);
    expect(logs.error).toEqual([]);
  }, 60_000);

  it('started while the database is stopped: once it is back, webhooks start without a restart, and a subscription made before they did gets its events', async () => {
    const receiver = await WebhookReceiver.start();
    // A database of its own: the in-process instance's worker (loopback destinations refused) must not take its jobs.
    const lateUrl = await server.createMigratedDatabase('listing_outage_late');
    await server.stopServer();
    // Ready means the database answers: the launch settles only after the server is started again below.
    const port = await freePort();
    const launching = startAppProcess({
      port,
      databaseUrl: lateUrl,
      env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_DISPATCH_INTERVAL_MS: '20', DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_MS) },
      startTimeoutMs: 90_000,
    });
    let instance: Awaited<typeof launching> | undefined;
    try {
      // Up and answering 503 (database away) before the database comes back, however slowly it started.
      const deadline = Date.now() + 90_000;
      while ((await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.status !== 503) {
        if (Date.now() > deadline) throw new Error('the instance never answered readiness 503 while the database was stopped');
        await sleep(100);
      }
      await server.startServer();
      instance = await launching;
      expect(instance.output()).toContain('webhooks not started yet');
      const api = new ApiClient(instance.baseUrl);
      const credentials = { email: uniqueEmail('late'), password: 'correct horse battery staple' };
      expect((await api.post('/auth/register', credentials)).status).toBe(201);
      const login = await api.post<{ access_token: string }>('/auth/login', credentials);
      const owner = api.as(login.body.access_token);
      const listing = await owner.post<{ id: number }>('/listings', aListing({ latest_price_eur: 200_000 }));
      expect(listing.status).toBe(201);
      const created = await owner.post<{ id: number; secret: string }>('/webhooks', { url: receiver.url('/late'), events: ['listing.price_changed'] });
      expect(created.status).toBe(201);
      receiver.setSecrets('/late', [created.body.secret]);
      expect((await owner.put(`/listings/${listing.body.id}`, aListing({ latest_price_eur: 123_456 }))).status).toBe(200);
      // Made before the webhooks' start was retried (every 5 s): the subscription placed the relay's start
      // position, so this event is still for it.
      const [delivery] = await receiver.waitFor('/late', 1, { timeoutMs: 15_000 });
      expect(delivery.verified).toBe(true);
      expect((delivery.body as { data: { listing: { latest_price_eur: number } } }).data.listing.latest_price_eur).toBe(123_456);
    } finally {
      await server.startServer().catch(() => undefined);
      instance ??= await launching.catch(() => undefined);
      await instance?.stop();
      await receiver.close();
    }
  }, 120_000);
});
