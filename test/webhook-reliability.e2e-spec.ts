import type { DeliveryView } from '@app/webhooks';
import pg from 'pg';
import { createSuiteDatabase, type TestDatabase } from './setup/test-database';
import { type AppProcess, startAppProcess } from './support/app-process';
import { ApiClient, nextPageUrl } from './support/http';
import { type Listing, aListing } from './support/listings';
import { signUp, startTestApp, uniqueEmail } from './support/test-app';
import { type ReceivedDelivery, WebhookReceiver } from './support/webhook-receiver';

/**
 * Issue 18's reliability promises, end to end: a receiver that is away for a minute loses nothing, an
 * instance killed in the middle of a delivery does not lose it either (another one sends it again with the
 * same webhook-id), and two instances sharing a burst never send one event twice at once. Real app
 * instances (in-process, or OS processes where one must die), real PostgreSQL and pg-boss, a real HTTP
 * receiver on 127.0.0.1 that checks every signature with the Standard Webhooks reference library.
 *
 * A database of this file's own: its subscriptions ("*", every listing) would otherwise get every other
 * file's listing events, and its pg-boss queue and relay position are the database's. Each test has its
 * own receiver, and its subscription is switched off after it, so one test's deliveries never reach the next.
 */

/** The receiver is on 127.0.0.1: loopback destinations are refused unless allowed. */
const WEBHOOK_ENV = { WEBHOOK_ALLOW_PRIVATE_URLS: 'true' };

interface WebhookWithSecret {
  id: number;
  secret: string;
}

type Delivery = DeliveryView;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** What a delivery is about, from its body: its type, listing and (price changes) the price before. */
function aboutOf(delivery: ReceivedDelivery): string {
  const { type, data } = delivery.body as { type: string; data: { listing: Listing; previous?: { latest_price_eur: number } } };
  return type === 'listing.price_changed' ? `${type} ${data.listing.id} from ${data.previous?.latest_price_eur}` : `${type} ${data.listing.id}`;
}

/** The webhook-id the service gives an event: `evt_<sequence>_<type without "listing.">`. */
function expectedIdOf(delivery: ReceivedDelivery): string {
  const { type, data } = delivery.body as { type: string; data: { sequence: number } };
  return `evt_${data.sequence}_${type.slice('listing.'.length)}`;
}

/** Nearest-rank percentile. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function subscribe(api: ApiClient, url: string): Promise<WebhookWithSecret> {
  const created = await api.post<WebhookWithSecret>('/webhooks', { url, events: ['*'] });
  expect(created.status).toBe(201);
  return created.body;
}

/** A new account, registered and signed in on `api`'s instance; its token works on every instance of the database. */
async function accountOn(api: ApiClient): Promise<string> {
  const email = uniqueEmail('webhooks');
  const password = 'correct horse battery staple';
  expect((await api.post('/auth/register', { email, password })).status).toBe(201);
  const login = await api.post<{ access_token: string }>('/auth/login', { email, password });
  expect(login.status).toBe(200);
  return login.body.access_token;
}

/** The whole delivery log of a subscription, every page; it must be newest first (by id) across the pages. */
async function deliveryLog(api: ApiClient, webhookId: number): Promise<Delivery[]> {
  const log: Delivery[] = [];
  let url: string | undefined = `/webhooks/${webhookId}/deliveries?limit=200`;
  while (url) {
    const page = await api.get<Delivery[]>(url);
    expect(page.status).toBe(200);
    log.push(...page.body);
    url = nextPageUrl(page);
  }
  const ids = log.map((delivery) => delivery.id);
  expect(ids).toEqual([...new Set(ids)].sort((a, b) => b - a));
  return log;
}

/** Reads until `done` holds (every 250 ms); fails with the last value read after `timeoutMs`. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; last read: ${JSON.stringify(value).slice(0, 3000)}`);
    await sleep(250);
  }
}

describe('webhook delivery reliability', () => {
  let database: TestDatabase;
  let db: pg.Pool;

  beforeAll(async () => {
    database = await createSuiteDatabase();
    db = new pg.Pool({ connectionString: database.url, max: 1 });
  });
  afterEach(async () => {
    // Whatever a test left behind (a failed one may not have got to the end) delivers nothing to the next.
    await db.query('UPDATE webhook_subscription SET active = false WHERE active');
  });
  afterAll(async () => {
    await db?.end();
    await database?.dispose();
  });

  it('the receiver refuses connections for 60 s, then comes back: every event is delivered, none lost', async () => {
    const started = Date.now();
    const receiver = await WebhookReceiver.start();
    // Retries 1 s, 2 s, 4 s, 8 s, then every 10 s: 95 s in all, at least 71 s with the ±25% jitter, so every
    // delivery still has attempts left when the receiver comes back after 60 s, and gets one within 12.5 s.
    const app = await startTestApp({ ...WEBHOOK_ENV, WEBHOOK_RETRY_SCHEDULE: '1s,2s,4s,8s,10s,10s,10s,10s,10s,10s,10s,10s' }, database.url);
    try {
      const owner = await signUp(app, 'outage');
      const path = '/outage';
      const hook = await subscribe(owner.api, receiver.url(path));
      receiver.setSecrets(path, [hook.secret]);

      await receiver.pause();
      const pausedAt = Date.now();
      // 10 creates and 10 price changes: 20 events, each written while the receiver refuses connections.
      const expected: string[] = [];
      for (let i = 0; i < 10; i += 1) {
        const body = aListing({ latest_price_eur: 300_000 + i });
        const created = await owner.api.post<Listing>('/listings', body);
        expect(created.status).toBe(201);
        expected.push(`listing.created ${created.body.id}`);
        const repriced = await owner.api.put<Listing>(`/listings/${created.body.id}`, { ...body, latest_price_eur: 290_000 + i });
        expect(repriced.status).toBe(200);
        expected.push(`listing.price_changed ${created.body.id} from ${300_000 + i}`);
      }

      // While it is away every delivery has been tried, refused, and waits for its next attempt.
      const refused = await eventually(
        () => deliveryLog(owner.api, hook.id),
        (log) => log.length === expected.length && log.every((delivery) => delivery.attempts >= 1),
        20_000,
        'every delivery attempted while the receiver is away',
      );
      expect(refused.map(({ status, error, response_status }) => ({ status, error, response_status }))).toEqual(
        expected.map(() => ({ status: 'failed', error: 'connection refused', response_status: null })),
      );
      expect(Date.now() - pausedAt).toBeLessThan(60_000);

      await sleep(pausedAt + 60_000 - Date.now());
      await receiver.resume();
      const resumedAt = Date.now();

      const arrived = await receiver.waitFor(path, expected.length, { timeoutMs: 45_000, where: (delivery) => delivery.occurrence === 1 });
      const lastArrival = Math.max(...arrived.map((delivery) => delivery.receivedAt));
      expect(arrived.filter((delivery) => !delivery.verified).map((delivery) => `${delivery.id}: ${delivery.verifyError}`)).toEqual([]);
      expect(arrived.map(aboutOf).sort()).toEqual([...expected].sort());
      expect(arrived.map((delivery) => delivery.id)).toEqual(arrived.map(expectedIdOf));

      // The log agrees: each of them succeeded, after the refused attempts, under the webhook-id that arrived.
      const log = await eventually(
        () => deliveryLog(owner.api, hook.id),
        (entries) => entries.length === expected.length && entries.every((delivery) => delivery.status === 'succeeded'),
        10_000,
        'every delivery succeeded in the log',
      );
      expect(log.filter((delivery) => delivery.attempts < 2 || delivery.response_status !== 204)).toEqual([]);
      expect(log.map((delivery) => delivery.event_id).sort()).toEqual(arrived.map((delivery) => delivery.id).sort());
      // Each exactly once: a retry after the outage is not sent again once it succeeded.
      expect(receiver.deliveries(path).map((delivery) => delivery.id).sort()).toEqual(arrived.map((delivery) => delivery.id).sort());

      const attempts = log.map((delivery) => delivery.attempts).sort((a, b) => a - b);
      console.log(
        `[webhook reliability] receiver away 60 s: ${expected.length} events, all delivered ${((lastArrival - resumedAt) / 1000).toFixed(1)} s after it came back; ` +
          `attempts per delivery ${attempts[0]}..${attempts[attempts.length - 1]}; test took ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    } finally {
      await app.close();
      await receiver.close();
    }
  }, 150_000);

  it('SIGKILL mid-delivery and restart: the delivery still arrives, with the same webhook-id', async () => {
    const started = Date.now();
    const receiver = await WebhookReceiver.start();
    const path = '/crash';
    // The first request is never answered: the instance that sent it is killed while it waits.
    receiver.respond(path, ['hang', 204]);
    // 3 s per attempt: time enough to kill the instance while its request is open, even on a busy machine.
    // Its job then expires after ceil(3) + 5 = 8 s, well before the new instance's first maintenance run (15 s).
    const env = { ...WEBHOOK_ENV, WEBHOOK_TIMEOUT_MS: '3000' };
    const doomed = await startAppProcess({ databaseUrl: database.url, env });
    let successor: AppProcess | undefined;
    try {
      const anonymous = new ApiClient(doomed.baseUrl);
      const token = await accountOn(anonymous);
      const api = anonymous.as(token);
      const hook = await subscribe(api, receiver.url(path));
      receiver.setSecrets(path, [hook.secret]);
      const created = await api.post<Listing>('/listings', aListing());
      expect(created.status).toBe(201);

      const [hanging] = await receiver.waitFor(path, 1, { timeoutMs: 15_000 });
      process.kill(doomed.pid, 'SIGKILL');
      const killedAt = Date.now();
      expect((await doomed.exit).signal).toBe('SIGKILL');
      // Killed before its 3 s timeout: the attempt was in flight, and nothing of it was recorded.
      expect(killedAt - hanging.receivedAt).toBeLessThan(3_000);

      successor = await startAppProcess({ databaseUrl: database.url, env });
      const restartedAt = Date.now();
      // The dead instance's job expires (8 s after it was fetched), the new instance's pg-boss maintenance (15 s
      // after its start, then every 15 s) puts it back for a retry 5 s later, and the new instance sends it.
      const [first, again] = await receiver.waitFor(path, 2, { timeoutMs: 90_000 });
      expect(first).toBe(hanging);
      expect(hanging).toMatchObject({ answer: 'hang', abandoned: true, verified: true });
      expect(hanging.id).toMatch(/^evt_\d+_created$/);
      expect(hanging.id).toBe(expectedIdOf(hanging));
      expect(aboutOf(hanging)).toBe(`listing.created ${created.body.id}`);
      expect(again).toMatchObject({ id: hanging.id, occurrence: 2, answer: 'status', status: 204, verified: true, rawBody: hanging.rawBody });

      const successorApi = new ApiClient(successor.baseUrl).as(token);
      const log = await eventually(
        () => deliveryLog(successorApi, hook.id),
        (entries) => entries.length === 1 && entries[0].status === 'succeeded',
        10_000,
        'the delivery succeeded in the log',
      );
      // One attempt recorded: the killed one died before it could record anything.
      expect(log).toEqual([expect.objectContaining({ event_id: hanging.id, event_type: 'listing.created', status: 'succeeded', attempts: 1, response_status: 204, error: null })]);
      expect(receiver.deliveries(path)).toHaveLength(2);
      expect(receiver.concurrentDuplicates()).toEqual({ max: 1, ids: [] });

      console.log(
        `[webhook reliability] SIGKILL mid-delivery: sent again ${((again.receivedAt - killedAt) / 1000).toFixed(1)} s after the kill ` +
          `(${((again.receivedAt - restartedAt) / 1000).toFixed(1)} s after the new instance was ready); test took ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    } finally {
      await successor?.stop();
      await doomed.stop();
      await receiver.close();
    }
  }, 150_000);

  it('two instances deliver a burst of 1 000 events: each arrives, none concurrently twice', async () => {
    const started = Date.now();
    const LANES = 20;
    const PRICE_CHANGES_PER_LISTING = 49;
    const EVENTS = LANES * (1 + PRICE_CHANGES_PER_LISTING);
    expect(EVENTS).toBe(1_000);

    const receiver = await WebhookReceiver.start();
    // Waiting for a pooled connection is expected under this load (requests and deliveries share 10 per instance): not a 503.
    const env = { ...WEBHOOK_ENV, DATABASE_ACQUIRE_TIMEOUT_MS: '120000' };
    const instances = await Promise.all([0, 1].map(() => startAppProcess({ databaseUrl: database.url, env })));
    try {
      expect(new Set(instances.map((instance) => instance.pid)).size).toBe(2);
      const anonymous = instances.map((instance) => new ApiClient(instance.baseUrl));
      const token = await accountOn(anonymous[0]);
      const clients = anonymous.map((client) => client.as(token));
      const path = '/burst';
      const hook = await subscribe(clients[0], receiver.url(path));
      receiver.setSecrets(path, [hook.secret]);

      // 20 listings, each created and then repriced 49 times in a row (20 requests in flight), alternately on
      // either instance: 20 listing.created and 980 listing.price_changed events.
      const expected: string[] = [];
      const writeStart = Date.now();
      await Promise.all(
        Array.from({ length: LANES }, async (_, lane) => {
          let price = 500_000 + lane * 10_000;
          const body = aListing({ latest_price_eur: price });
          const created = await clients[lane % 2].post<Listing>('/listings', body);
          expect(created.status).toBe(201);
          const id = created.body.id;
          expected.push(`listing.created ${id}`);
          for (let n = 1; n <= PRICE_CHANGES_PER_LISTING; n += 1) {
            const repriced = await clients[(lane + n) % 2].put<Listing>(`/listings/${id}`, { ...body, latest_price_eur: price - 100 });
            expect(repriced.status).toBe(200);
            expected.push(`listing.price_changed ${id} from ${price}`);
            price -= 100;
          }
        }),
      );
      const writeEnd = Date.now();
      expect(expected).toHaveLength(EVENTS);

      const arrived = await receiver.waitFor(path, EVENTS, { timeoutMs: 90_000, where: (delivery) => delivery.occurrence === 1 });
      const all = receiver.deliveries(path);
      expect(all.filter((delivery) => !delivery.verified).map((delivery) => `${delivery.id}: ${delivery.verifyError}`)).toEqual([]);
      expect(arrived.map(aboutOf).sort()).toEqual([...expected].sort());
      expect(arrived.filter((delivery) => delivery.id !== expectedIdOf(delivery)).map((delivery) => delivery.id)).toEqual([]);
      expect(receiver.concurrentDuplicates()).toEqual({ max: 1, ids: [] });

      // The log agrees: 1 000 deliveries, each succeeded, under the webhook-ids that arrived.
      const log = await eventually(
        () => deliveryLog(clients[1], hook.id),
        (entries) => entries.length === EVENTS && entries.every((delivery) => delivery.status === 'succeeded'),
        15_000,
        'every delivery succeeded in the log',
      );
      expect(log.map((delivery) => delivery.event_id).sort()).toEqual(arrived.map((delivery) => delivery.id).sort());
      // Only the ids of these 1 000 events ever arrived.
      expect(new Set(all.map((delivery) => delivery.id)).size).toBe(EVENTS);

      const latencies = arrived.map((delivery) => delivery.receivedAt - Date.parse((delivery.body as { timestamp: string }).timestamp)).sort((a, b) => a - b);
      const firstArrival = Math.min(...arrived.map((delivery) => delivery.receivedAt));
      const lastArrival = Math.max(...arrived.map((delivery) => delivery.receivedAt));
      const seconds = (ms: number) => (ms / 1000).toFixed(2);
      console.log(
        [
          `[webhook reliability] burst of ${EVENTS} events, 2 instances (OS processes), ${LANES} writers:`,
          `  written in ${seconds(writeEnd - writeStart)} s (${Math.round(EVENTS / ((writeEnd - writeStart) / 1000))} events/s)`,
          `  delivered: first write to last arrival ${seconds(lastArrival - writeStart)} s = ${Math.round(EVENTS / ((lastArrival - writeStart) / 1000))} deliveries/s; ` +
            `first to last arrival ${seconds(lastArrival - firstArrival)} s; last arrival ${seconds(lastArrival - writeEnd)} s after the last write`,
          `  event-to-delivery latency (receivedAt - body timestamp): p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies[latencies.length - 1]} ms`,
          `  requests received ${all.length} (one event sent more than once: ${all.length - EVENTS}); deliveries with more than one attempt: ${log.filter((d) => d.attempts > 1).length}`,
          `  test took ${seconds(Date.now() - started)} s`,
        ].join('\n'),
      );
    } finally {
      await Promise.all(instances.map((instance) => instance.stop()));
      await receiver.close();
    }
  }, 180_000);
});
