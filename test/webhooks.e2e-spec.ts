import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { createSuiteDatabase, type TestDatabase } from './setup/test-database';
import { ApiClient, type ApiResponse, nextPageUrl } from './support/http';
import { type Listing, aListing } from './support/listings';
import { type SignedIn, type TestApp, signUp, signUpAdmin, startTestApp, uniqueEmail, webhooksStarted } from './support/test-app';
import { DeliveryLogPurgeJob, type DeliveryView } from '@app/webhooks';
import { type AppProcess, startAppProcess } from './support/app-process';
import { type ReceivedDelivery, WebhookReceiver } from './support/webhook-receiver';

interface Subscription {
  id: number;
  url: string;
  events: string[];
  filter: Record<string, unknown>;
  description: string | null;
  active: boolean;
  disabled_reason: string | null;
  owner_id: number;
  created_date: string;
  secret?: string;
  previous_secret_expires_date?: string | null;
}

type Delivery = DeliveryView;

interface EventBody {
  type: string;
  timestamp: string;
  data: { listing?: Listing; previous?: { latest_price_eur: number }; sequence?: number; webhook_id?: number };
}

const MAX_PER_ACCOUNT = 4;
const OVERLAP_SECONDS = 3;

/**
 * Webhooks end to end: the real service on its own database, and a real receiver on 127.0.0.1 that verifies
 * every delivery with the `standardwebhooks` reference library. Retries are fast here (WEBHOOK_RETRY_SCHEDULE)
 * so that the backoff, dead deliveries and auto-disable happen within the test. The reliability drills (an
 * outage of the receiver, a SIGKILL, two instances) are in webhook-reliability.e2e-spec.ts.
 */
describe('webhooks', () => {
  let database: TestDatabase;
  let strictDatabase: TestDatabase;
  let testApp: TestApp;
  let strictApp: AppProcess;
  let receiver: WebhookReceiver;
  let owner: SignedIn;
  let other: SignedIn;
  let db: pg.Pool;
  let strictDb: pg.Pool;
  let paths = 0;

  beforeAll(async () => {
    [database, strictDatabase] = await Promise.all([createSuiteDatabase(), createSuiteDatabase()]);
    const env = {
      WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      WEBHOOK_RETRY_SCHEDULE: '200ms,400ms',
      WEBHOOK_TIMEOUT_MS: '1000',
      WEBHOOK_DISABLE_AFTER_DEAD: '2',
      WEBHOOK_MAX_PER_ACCOUNT: String(MAX_PER_ACCOUNT),
      WEBHOOK_SECRET_OVERLAP_SECONDS: String(OVERLAP_SECONDS),
      WEBHOOK_DISPATCH_INTERVAL_MS: '20',
    };
    [testApp, strictApp, receiver] = await Promise.all([
      startTestApp(env, database.url),
      // The production rule for destinations (no private addresses). On a database of its own (its worker would
      // otherwise take the other instance's jobs and refuse their loopback destinations), in a process of its own
      // (passport's strategies are per process: two in-process apps on two databases would share one).
      startAppProcess({ databaseUrl: strictDatabase.url, env: { ...env, WEBHOOK_ALLOW_PRIVATE_URLS: 'false' } }),
      WebhookReceiver.start(),
    ]);
    [owner, other] = await Promise.all([signUp(testApp, 'hooks'), signUp(testApp, 'hooks-other'), webhooksStarted(testApp)]);
    db = new pg.Pool({ connectionString: database.url, max: 2 });
    strictDb = new pg.Pool({ connectionString: strictDatabase.url, max: 1 });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([db?.end(), strictDb?.end()]);
    await Promise.all([testApp?.close(), strictApp?.stop()]);
    await receiver?.close();
    await Promise.all([database?.dispose(), strictDatabase?.dispose()]);
  });

  /** A fresh receiver path per subscription, so tests do not see each other's deliveries. */
  const freshPath = () => `/hooks/${(paths += 1)}`;

  async function subscribe(as: SignedIn, body: Record<string, unknown>): Promise<Subscription & { path: string; secret: string }> {
    const path = freshPath();
    const response = await as.api.post<Subscription>('/webhooks', { url: receiver.url(path), ...body });
    expect(response.status).toBe(201);
    const secret = response.body.secret as string;
    receiver.setSecrets(path, [secret]);
    return { ...response.body, path, secret };
  }

  async function deliveriesOf(as: SignedIn | ApiClient, id: number): Promise<Delivery[]> {
    const client = as instanceof ApiClient ? as : as.api;
    const response = await client.get<Delivery[]>(`/webhooks/${id}/deliveries?limit=200`);
    expect(response.status).toBe(200);
    return response.body;
  }

  /** Polls the delivery log until `done` holds (bounded), and returns it. */
  async function deliveriesUntil(as: SignedIn | ApiClient, id: number, done: (log: Delivery[]) => boolean, timeoutMs = 15_000): Promise<Delivery[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = await deliveriesOf(as, id);
      if (done(log)) return log;
      if (Date.now() > deadline) throw new Error(`delivery log never reached the expected state: ${JSON.stringify(log, null, 1)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** A new account on the strict instance (a process: signed up through its API). */
  async function strictAccount(prefix: string): Promise<ApiClient> {
    const api = new ApiClient(strictApp.baseUrl);
    const email = uniqueEmail(prefix);
    const password = 'correct horse battery staple';
    expect((await api.post('/auth/register', { email, password })).status).toBe(201);
    const login = await api.post<{ access_token: string }>('/auth/login', { email, password });
    return api.as(login.body.access_token);
  }

  const bodyOf = (delivery: ReceivedDelivery) => delivery.body as EventBody;

  describe('subscriptions', () => {
    it('creates one with a Standard Webhooks secret shown once, and never shows it again', async () => {
      const created = await subscribe(owner, { events: ['listing.created'], description: 'new flats' });
      expect(created).toMatchObject({ events: ['listing.created'], filter: {}, description: 'new flats', active: true, disabled_reason: null, owner_id: owner.id });
      expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(created.secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
      const again = await owner.api.get<Subscription>(`/webhooks/${created.id}`);
      expect(again.status).toBe(200);
      expect(again.body).not.toHaveProperty('secret');
      expect(again.text).not.toContain(created.secret);
    });

    it('is its owner\'s: another account gets 404 on every route, an admin sees and changes it', async () => {
      const mine = await subscribe(owner, { events: ['*'] });
      const theirs = other.api;
      for (const [method, path] of [
        ['GET', `/webhooks/${mine.id}`],
        ['PATCH', `/webhooks/${mine.id}`],
        ['DELETE', `/webhooks/${mine.id}`],
        ['POST', `/webhooks/${mine.id}/secret`],
        ['GET', `/webhooks/${mine.id}/deliveries`],
        ['POST', `/webhooks/${mine.id}/ping`],
      ]) {
        const response = await theirs.request(method, path, method === 'PATCH' ? { json: { description: 'mine now' } } : {});
        expect(`${method} ${path} ${response.status}`).toBe(`${method} ${path} 404`);
      }
      const listed = await theirs.get<Subscription[]>('/webhooks');
      expect(listed.body.map((s) => s.id)).not.toContain(mine.id);

      const admin = await signUpAdmin(testApp);
      expect((await admin.api.get<Subscription>(`/webhooks/${mine.id}`)).status).toBe(200);
      const patched = await admin.api.patch<Subscription>(`/webhooks/${mine.id}`, { description: 'checked by an admin' });
      expect(patched.body.description).toBe('checked by an admin');
      const all = await admin.api.get<Subscription[]>('/webhooks?limit=200');
      expect(all.body.map((s) => s.id)).toContain(mine.id);
      expect((await testApp.api.get('/webhooks')).status).toBe(401);
    });

    it('PATCH changes the fields given, null removes the filter, and DELETE removes it (204, then 404)', async () => {
      const created = await subscribe(owner, { events: ['listing.created'], filter: { city: 'Lyon' } });
      const patched = await owner.api.patch<Subscription>(`/webhooks/${created.id}`, { events: ['listing.deleted', 'listing.updated'], filter: { min_rooms: 3 }, active: false });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ events: ['listing.deleted', 'listing.updated'], filter: { min_rooms: 3 }, active: false, url: created.url });
      const cleared = await owner.api.patch<Subscription>(`/webhooks/${created.id}`, { filter: null, description: null });
      expect(cleared.body).toMatchObject({ filter: {}, description: null });
      expect((await owner.api.delete(`/webhooks/${created.id}`)).status).toBe(204);
      expect((await owner.api.get(`/webhooks/${created.id}`)).status).toBe(404);
    });

    it('pages the caller\'s list by key with a Link header', async () => {
      const someone = await signUp(testApp, 'hooks-pages');
      const ids: number[] = [];
      for (let i = 0; i < 3; i += 1) ids.push((await subscribe(someone, { events: ['*'] })).id);
      const first = await someone.api.get<Subscription[]>('/webhooks?limit=2');
      expect(first.body.map((s) => s.id)).toEqual(ids.slice(0, 2));
      const next = nextPageUrl(first);
      expect(next).toMatch(/^\/webhooks\?/);
      const second = await someone.api.get<Subscription[]>(next as string);
      expect(second.body.map((s) => s.id)).toEqual(ids.slice(2));
      expect(nextPageUrl(second as ApiResponse)).toBeUndefined();
    });

    it(`caps an account at WEBHOOK_MAX_PER_ACCOUNT (${MAX_PER_ACCOUNT}), also when the creates race, with a 409`, async () => {
      const someone = await signUp(testApp, 'hooks-cap');
      const attempts = await Promise.all(
        Array.from({ length: MAX_PER_ACCOUNT + 3 }, () => someone.api.post<Subscription>('/webhooks', { url: receiver.url(freshPath()), events: ['*'] })),
      );
      const statuses = attempts.map((r) => r.status).sort();
      expect(statuses).toEqual([...Array<number>(MAX_PER_ACCOUNT).fill(201), 409, 409, 409]);
      const refused = attempts.find((r) => r.status === 409) as unknown as ApiResponse<{ message: string }>;
      expect(refused.body.message).toContain(`at most ${MAX_PER_ACCOUNT}`);
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_subscription WHERE owner_id = $1', [someone.id]);
      expect(rows[0].n).toBe(MAX_PER_ACCOUNT);
    });

    it('refuses bad bodies with a 422 naming each field, with the same filter rules as GET /listings, and creates nothing', async () => {
      const before = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_subscription');
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ events: [] }, 'events', /at least one/],
        [{ events: ['listing.sold'] }, 'events', /must be one of/],
        [{ events: 'listing.created' }, 'events', /array/],
        [{ events: ['*'], filter: { country: 'fr' } }, 'filter.country', /ISO 3166-1 alpha-2/],
        [{ events: ['*'], filter: { min_price: 500, max_price: 100 } }, 'filter.max_price', /not be less than min_price/],
        [{ events: ['*'], filter: { min_rooms: 0 } }, 'filter.min_rooms', /min_rooms/],
        [{ events: ['*'], filter: { min_drop_pct: 101 } }, 'filter.min_drop_pct', /min_drop_pct/],
        [{ events: ['*'], filter: { min_change_drop_pct: '5' } }, 'filter.min_change_drop_pct', /must be a number/],
        [{ events: ['*'], filter: { building_type: 'CASTLE' } }, 'filter.building_type', /must be one of/],
        [{ events: ['*'], filter: { colour: 'blue' } }, 'filter.colour', /should not exist/],
        [{ events: ['*'], url: 'ftp://127.0.0.1/x' }, 'url', /http or https/],
        [{ events: ['*'], url: 'http://user:pw@127.0.0.1:9/x' }, 'url', /user name or password/],
      ];
      for (const [body, field, message] of cases) {
        const response = await owner.api.post<{ message: string; errors: { field: string; message: string }[] }>('/webhooks', { url: receiver.url('/never'), ...body });
        expect(`${JSON.stringify(body)} → ${response.status}`).toBe(`${JSON.stringify(body)} → 422`);
        const error = response.body.errors.find((e) => e.field === field);
        expect(error?.message).toMatch(message);
      }
      const after = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_subscription');
      expect(after.rows[0].n).toBe(before.rows[0].n);
    });
  });

  it('answers any malformed body with a 4xx and a JSON message, never a 5xx, and creates nothing', async () => {
    const someone = await signUp(testApp, 'hooks-junk');
    const bodies: unknown[] = [
      null, [], 'text', 42, {}, { url: null, events: null }, { url: 42, events: ['*'] }, { url: receiver.url('/x'), events: [null] },
      { url: receiver.url('/x'), events: ['*', '*'] }, { url: receiver.url('/x'), events: [['*']] }, { url: receiver.url('/x'), events: ['*'], filter: [] },
      { url: receiver.url('/x'), events: ['*'], filter: 'Paris' }, { url: receiver.url('/x'), events: ['*'], filter: { city: { $ne: 1 } } },
      { url: receiver.url('/x'), events: ['*'], filter: { min_price: 1e300 } }, { url: receiver.url('/x'), events: ['*'], filter: { min_surface: -1 } },
      { url: receiver.url('/x'), events: ['*'], description: 'x'.repeat(501) }, { url: `http://127.0.0.1/${'a'.repeat(3000)}`, events: ['*'] },
      { url: 'http://[::1', events: ['*'] }, { url: receiver.url('/x'), events: ['*'], active: false },
      JSON.parse(`{"url":"${receiver.url('/x')}","events":["*"],"__proto__":{"admin":true}}`), { url: receiver.url('/x'), events: ['*'], filter: { constructor: {} } },
    ];
    for (const body of bodies) {
      const response = await someone.api.post<{ message: string }>('/webhooks', body);
      expect(`${JSON.stringify(body)} → ${response.status}`).toMatch(/ → 4\d\d$/);
      expect(typeof response.body.message).toBe('string');
    }
    for (const body of bodies.slice(0, 15)) {
      const response = await someone.api.patch<{ message: string }>('/webhooks/1', body);
      expect(`PATCH ${JSON.stringify(body)} → ${response.status}`).toMatch(/ → 4\d\d$/);
    }
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_subscription WHERE owner_id = $1', [someone.id]);
    expect(rows[0].n).toBe(0);
  });

  describe('deliveries', () => {
    // An account per test: the per-account cap is low here.
    beforeEach(async () => {
      owner = await signUp(testApp, 'hooks-deliveries');
    });

    it('delivers each event type, signed (Standard Webhooks), with the listing as GET shows it, previous price and feed sequence', async () => {
      const hook = await subscribe(owner, { events: ['*'], filter: { city: 'Montpellier' } });
      const listing = await owner.api.post<Listing>('/listings', aListing({ postal_address: { street_address: '1 rue A', postal_code: '34000', city: 'Montpellier', country: 'FR' }, latest_price_eur: 300_000 }));
      const body = aListing({ postal_address: { street_address: '1 rue A', postal_code: '34000', city: 'Montpellier', country: 'FR' } });
      await owner.api.put(`/listings/${listing.body.id}`, { ...body, latest_price_eur: 270_000 });
      const updated = await owner.api.put<Listing>(`/listings/${listing.body.id}`, { ...body, latest_price_eur: 270_000, description: 'Repainted.' });
      // Deleted once the others are delivered: a deletion forgets the listing's prices, also in its feed events
      // not relayed yet (their `previous` would then be null).
      await receiver.waitFor(hook.path, 3);
      await owner.api.delete(`/listings/${listing.body.id}`);

      const got = await receiver.waitFor(hook.path, 4);
      expect(got.map((d) => bodyOf(d).type)).toEqual(expect.arrayContaining(['listing.created', 'listing.price_changed', 'listing.updated', 'listing.deleted']));
      for (const delivery of got) {
        expect(delivery.verified).toBe(true);
        expect(delivery.headers['content-type']).toMatch(/^application\/json/);
        expect(Math.abs(delivery.timestamp - Date.now() / 1000)).toBeLessThan(60);
        expect(delivery.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
        // Independently of the receiver: the reference library verifies the raw body with the secret.
        expect(() => new Webhook(hook.secret).verify(delivery.rawBody, delivery.headers)).not.toThrow();
        expect(typeof bodyOf(delivery).data.sequence).toBe('number');
      }
      const byType = new Map(got.map((d) => [bodyOf(d).type, d]));
      const changed = bodyOf(byType.get('listing.price_changed') as ReceivedDelivery);
      expect(changed.data.previous).toEqual({ latest_price_eur: 300_000 });
      expect(changed.data.listing?.latest_price_eur).toBe(270_000);
      const deleted = bodyOf(byType.get('listing.deleted') as ReceivedDelivery);
      expect(deleted.data.listing).toEqual(updated.body);
      expect(bodyOf(byType.get('listing.created') as ReceivedDelivery).data).not.toHaveProperty('previous');
      // The webhook-id names the event: the feed's sequence and the type.
      for (const [type, delivery] of byType) expect(delivery.id).toBe(`evt_${bodyOf(delivery).data.sequence}_${type.slice('listing.'.length)}`);
      // Sequences follow the listing's history.
      const order = ['listing.created', 'listing.price_changed', 'listing.updated', 'listing.deleted'].map((t) => bodyOf(byType.get(t) as ReceivedDelivery).data.sequence as number);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      // The feed's events keep the deleted listing's state only until they are relayed.
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM listing_event WHERE listing_id = $1 AND state IS NOT NULL', [listing.body.id]);
      expect(rows[0].n).toBe(0);
    });

    it('filters: a saved search with a price-drop alert hears only the drops of at least min_change_drop_pct on matching listings', async () => {
      const city = 'Nantes';
      const address = { street_address: '2 quai B', postal_code: '44000', city, country: 'FR' };
      const alert = await subscribe(owner, { events: ['listing.price_changed'], filter: { city, min_rooms: 3, min_change_drop_pct: 10 } });
      const updates = await subscribe(owner, { events: ['listing.updated'], filter: { city } });
      const big = await owner.api.post<Listing>('/listings', aListing({ postal_address: address, rooms_count: 4, latest_price_eur: 200_000 }));
      const small = await owner.api.post<Listing>('/listings', aListing({ postal_address: address, rooms_count: 2, latest_price_eur: 200_000 }));
      const elsewhere = await owner.api.post<Listing>('/listings', aListing({ rooms_count: 4, latest_price_eur: 200_000 }));
      const put = (l: Listing, price: number, rooms: number, city2 = city) =>
        owner.api.put(`/listings/${l.id}`, aListing({ postal_address: { ...address, city: city2 }, rooms_count: rooms, latest_price_eur: price, name: l.name }));
      await put(big.body, 190_000, 4); // -5%: under the alert's threshold
      await put(big.body, 171_000, 4); // -10%: an alert
      await put(big.body, 180_000, 4); // up: no alert
      await put(small.body, 100_000, 2); // -44% but 2 rooms: no alert
      await put(elsewhere.body, 100_000, 4, 'Paris'); // another city: no alert
      const marker = await owner.api.post<Listing>('/listings', aListing({ postal_address: address, rooms_count: 5, latest_price_eur: 100_000 }));
      await put(marker.body, 50_000, 5); // -50%: an alert, the last one

      const alerts = await receiver.waitFor(alert.path, 2);
      await new Promise((resolve) => setTimeout(resolve, 500)); // nothing else may arrive
      expect(receiver.deliveries(alert.path).map((d) => [bodyOf(d).data.listing?.id, bodyOf(d).data.listing?.latest_price_eur, bodyOf(d).data.previous?.latest_price_eur])).toEqual(
        expect.arrayContaining([
          [big.body.id, 171_000, 190_000],
          [marker.body.id, 50_000, 100_000],
        ]),
      );
      expect(receiver.deliveries(alert.path)).toHaveLength(2);
      expect(alerts.every((d) => d.verified && bodyOf(d).type === 'listing.price_changed')).toBe(true);
      // A subscription to listing.updated only hears price changes as listing.updated (all five in the city).
      const heard = await receiver.waitFor(updates.path, 5);
      expect(heard.every((d) => bodyOf(d).type === 'listing.updated' && bodyOf(d).data.listing?.postal_address.city === city)).toBe(true);
    });

    it('retries a failing receiver with the same webhook-id until it answers 2xx, and logs each attempt', async () => {
      const hook = await subscribe(owner, { events: ['listing.created'] });
      receiver.respond(hook.path, [{ status: 500, body: 'x'.repeat(5000) }, 503, 204]);
      await owner.api.post('/listings', aListing());
      const got = await receiver.waitFor(hook.path, 3);
      expect(new Set(got.map((d) => d.id)).size).toBe(1);
      expect(got.every((d) => d.verified)).toBe(true);
      // Backoff: the second attempt comes at least ~150 ms (200 ms − 25% jitter) after the first.
      expect(got[1].receivedAt - got[0].receivedAt).toBeGreaterThanOrEqual(140);
      const log = await deliveriesUntil(owner, hook.id, (l) => l[0]?.status === 'succeeded');
      expect(log[0]).toMatchObject({ status: 'succeeded', attempts: 3, response_status: 204, error: null, next_attempt_date: null, event_id: got[0].id });
    });

    it('keeps at most 1 KB of a receiver\'s answer, and gives up after the schedule (dead)', async () => {
      const hook = await subscribe(owner, { events: ['listing.created'] });
      receiver.respond(hook.path, { status: 500, body: 'é'.repeat(3000) });
      await owner.api.post('/listings', aListing());
      const log = await deliveriesUntil(owner, hook.id, (l) => l[0]?.status === 'dead');
      expect(log[0]).toMatchObject({ status: 'dead', attempts: 3, response_status: 500, next_attempt_date: null });
      expect(Buffer.byteLength(log[0].response_body as string)).toBeLessThanOrEqual(1024);
      expect((log[0].response_body as string).length).toBeGreaterThan(100);
      expect(receiver.deliveries(hook.path)).toHaveLength(3);
    });

    it('410 Gone disables the subscription at once, with the reason', async () => {
      const hook = await subscribe(owner, { events: ['listing.created'] });
      receiver.respond(hook.path, 410);
      await owner.api.post('/listings', aListing());
      const log = await deliveriesUntil(owner, hook.id, (l) => l[0]?.status === 'dead');
      expect(log[0]).toMatchObject({ attempts: 1, response_status: 410 });
      const after = await owner.api.get<Subscription>(`/webhooks/${hook.id}`);
      expect(after.body).toMatchObject({ active: false });
      expect(after.body.disabled_reason).toMatch(/410/);
      // Nothing more is sent to it; re-enabling clears the reason.
      await owner.api.post('/listings', aListing());
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(receiver.deliveries(hook.path)).toHaveLength(1);
      const enabled = await owner.api.patch<Subscription>(`/webhooks/${hook.id}`, { active: true });
      expect(enabled.body).toMatchObject({ active: true, disabled_reason: null });
    });

    it('disables a subscription after WEBHOOK_DISABLE_AFTER_DEAD (2) dead deliveries in a row', async () => {
      const hook = await subscribe(owner, { events: ['listing.created'] });
      receiver.respond(hook.path, 500);
      await owner.api.post('/listings', aListing());
      await deliveriesUntil(owner, hook.id, (l) => l[0]?.status === 'dead');
      expect((await owner.api.get<Subscription>(`/webhooks/${hook.id}`)).body.active).toBe(true);
      await owner.api.post('/listings', aListing());
      await deliveriesUntil(owner, hook.id, (l) => l.length === 2 && l.every((d) => d.status === 'dead'));
      const after = await owner.api.get<Subscription>(`/webhooks/${hook.id}`);
      expect(after.body.active).toBe(false);
      expect(after.body.disabled_reason).toMatch(/2 consecutive deliveries/);
    });

    it('a manual retry sends a dead delivery again now, with the same webhook-id (202)', async () => {
      const hook = await subscribe(owner, { events: ['listing.created'] });
      receiver.respond(hook.path, [500, 500, 500, 204]);
      await owner.api.post('/listings', aListing());
      const [dead] = await deliveriesUntil(owner, hook.id, (l) => l[0]?.status === 'dead');
      const retried = await owner.api.post<Delivery>(`/webhooks/${hook.id}/deliveries/${dead.id}/retry`);
      expect(retried.status).toBe(202);
      expect(retried.body).toMatchObject({ id: dead.id, status: 'pending' });
      const got = await receiver.waitFor(hook.path, 4);
      expect(got[3]).toMatchObject({ id: dead.event_id, status: 204, verified: true });
      await deliveriesUntil(owner, hook.id, (l) => l[0]?.status === 'succeeded' && l[0].attempts === 4);
      expect((await owner.api.post(`/webhooks/${hook.id}/deliveries/999999/retry`)).status).toBe(404);
    });

    it('ping delivers a webhook.ping event (202), and an inactive subscription gets 409', async () => {
      const hook = await subscribe(owner, { events: ['listing.deleted'] });
      const ping = await owner.api.post<Delivery>(`/webhooks/${hook.id}/ping`);
      expect(ping.status).toBe(202);
      const [got] = await receiver.waitFor(hook.path, 1);
      expect(got).toMatchObject({ id: ping.body.event_id, verified: true });
      expect(bodyOf(got)).toMatchObject({ type: 'webhook.ping', data: { webhook_id: hook.id } });
      await owner.api.patch(`/webhooks/${hook.id}`, { active: false });
      expect((await owner.api.post(`/webhooks/${hook.id}/ping`)).status).toBe(409);
    });

    it('secret rotation: both secrets sign during the overlap, only the new one after it', async () => {
      const hook = await subscribe(owner, { events: ['listing.deleted'] });
      const rotated = await owner.api.post<Subscription>(`/webhooks/${hook.id}/secret`);
      expect(rotated.status).toBe(200);
      const fresh = rotated.body.secret as string;
      expect(fresh).toMatch(/^whsec_/);
      expect(fresh).not.toBe(hook.secret);
      expect(Date.parse(rotated.body.previous_secret_expires_date as string) - Date.now()).toBeGreaterThan((OVERLAP_SECONDS - 2) * 1000);
      receiver.setSecrets(hook.path, [fresh]);

      await owner.api.post(`/webhooks/${hook.id}/ping`);
      const [during] = await receiver.waitFor(hook.path, 1);
      expect(during.signature.split(' ')).toHaveLength(2);
      expect(receiver.verifiesWith(during, fresh)).toBe(true);
      expect(receiver.verifiesWith(during, hook.secret)).toBe(true);

      await new Promise((resolve) => setTimeout(resolve, OVERLAP_SECONDS * 1000 + 200));
      await owner.api.post(`/webhooks/${hook.id}/ping`);
      const [, after] = await receiver.waitFor(hook.path, 2);
      expect(after.signature.split(' ')).toHaveLength(1);
      expect(receiver.verifiesWith(after, fresh)).toBe(true);
      expect(receiver.verifiesWith(after, hook.secret)).toBe(false);
    }, 20_000);

    it('the hourly purge removes settled deliveries older than 30 days, never pending or failed ones', async () => {
      const hook = await subscribe(owner, { events: ['listing.deleted'] });
      const day = 86_400_000;
      const insert = async (eventId: string, status: string, ageDays: number) =>
        (
          await db.query<{ id: string }>(
            `INSERT INTO webhook_delivery (subscription_id, event_id, event_type, payload, status, created_date) VALUES ($1, $2, 'listing.deleted', '{}', $3, $4) RETURNING id::text AS id`,
            [hook.id, eventId, status, new Date(Date.now() - ageDays * day)],
          )
        ).rows[0].id;
      const old = { succeeded: await insert('old-ok', 'succeeded', 31), dead: await insert('old-dead', 'dead', 31), failed: await insert('old-failed', 'failed', 31), pending: await insert('old-pending', 'pending', 31) };
      const recent = await insert('recent-ok', 'succeeded', 29);
      await testApp.app.get(DeliveryLogPurgeJob).run();
      const { rows } = await db.query<{ id: string }>('SELECT id::text AS id FROM webhook_delivery WHERE subscription_id = $1 ORDER BY id', [hook.id]);
      expect(rows.map((r) => r.id)).toEqual([old.failed, old.pending, recent]);
    });

    it('the delivery log is newest first and paged by key, also across a power of ten (99, 100, 101: not ordered as text)', async () => {
      const hook = await subscribe(owner, { events: ['listing.deleted'] });
      // The next ids straddle a power of ten, where text order ('99' > '101') and number order disagree.
      const { rows } = await db.query<{ max: string }>('SELECT coalesce(max(id), 0)::text AS max FROM webhook_delivery');
      const boundary = 10 ** String(Number(rows[0].max) + 1).length;
      await db.query("SELECT setval(pg_get_serial_sequence('webhook_delivery', 'id'), $1)", [Math.max(boundary - 2, Number(rows[0].max))]);
      for (let i = 0; i < 3; i += 1) await owner.api.post(`/webhooks/${hook.id}/ping`);
      await receiver.waitFor(hook.path, 3);
      const first = await owner.api.get<Delivery[]>(`/webhooks/${hook.id}/deliveries?limit=2`);
      expect(first.body).toHaveLength(2);
      expect(first.body[0].id).toBeGreaterThan(first.body[1].id);
      const second = await owner.api.get<Delivery[]>(nextPageUrl(first) as string);
      expect(second.body).toHaveLength(1);
      expect(second.body[0].id).toBeLessThan(first.body[1].id);
      expect([...first.body, ...second.body].map((delivery) => delivery.id)).toEqual([boundary + 1, boundary, boundary - 1]);
    });
  });

  describe('SSRF: destinations must be public addresses (unless WEBHOOK_ALLOW_PRIVATE_URLS=true)', () => {
    const refused = [
      'http://127.0.0.1:9/hook',
      'http://127.1.2.3/hook',
      'http://localhost:9/hook',
      'http://sub.localhost/hook',
      'http://10.0.0.1/hook',
      'http://172.16.5.4/hook',
      'http://192.168.1.1/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://100.64.0.1/hook',
      'http://224.0.0.1/hook',
      'http://0.0.0.0/hook',
      'http://2130706433/hook',
      'http://0x7f000001/hook',
      'http://%31%32%37.0.0.1/hook',
      'http://[::1]/hook',
      'http://[::]/hook',
      'http://[fd00::1]/hook',
      'http://[fe80::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[::ffff:169.254.169.254]/hook',
    ];

    it('refuses each private, loopback, link-local, CGNAT, multicast or unspecified destination with a 422 on url, on create and on PATCH', async () => {
      const someone = await strictAccount('hooks-ssrf');
      for (const url of refused) {
        const response = await someone.post<{ errors: { field: string; message: string }[] }>('/webhooks', { url, events: ['*'] });
        expect(`${url} → ${response.status}`).toBe(`${url} → 422`);
        expect(response.body.errors.map((e) => e.field)).toEqual(['url']);
      }
      // A name is only checked when the service connects: accepted here, never delivered to (no event is sent to it).
      const named = await someone.post<Subscription>('/webhooks', { url: 'https://hooks.example.com/listings', events: ['listing.deleted'], filter: { city: 'Nowhere-at-all' } });
      expect(named.status).toBe(201);
      const patched = await someone.patch<{ errors: { field: string }[] }>(`/webhooks/${named.body.id}`, { url: 'http://192.168.0.10/hook' });
      expect(patched.status).toBe(422);
      expect(patched.body.errors.map((e) => e.field)).toEqual(['url']);
      expect((await someone.delete(`/webhooks/${named.body.id}`)).status).toBe(204);
    });

    it('checks a name again on the address it resolves to at connection time (DNS rebinding): "destination not allowed", nothing sent', async () => {
      // A name is accepted when the subscription is made (here one for deletions only, so nothing is ever sent to
      // it); then, as a DNS change would, it comes to resolve to loopback: pointed (in the database) at a name that
      // resolves to 127.0.0.1. The strict instance's worker must refuse to connect.
      const someone = await strictAccount('hooks-rebind');
      const created = await someone.post<Subscription>('/webhooks', { url: 'https://hooks.example.com/listings', events: ['listing.deleted'] });
      expect(created.status).toBe(201);
      const path = freshPath();
      await strictDb.query('UPDATE webhook_subscription SET url = $2 WHERE id = $1', [created.body.id, `http://localhost:${receiver.port}${path}`]);
      const ping = await someone.post<Delivery>(`/webhooks/${created.body.id}/ping`);
      expect(ping.status).toBe(202);
      const log = await deliveriesUntil(someone, created.body.id, (l) => l.some((d) => d.error !== null));
      expect(log[0]).toMatchObject({ event_type: 'webhook.ping', error: 'destination not allowed', response_status: null, status: 'failed' });
      expect(receiver.deliveries(path)).toEqual([]);
      await someone.delete(`/webhooks/${created.body.id}`);
    }, 30_000);
  });
});
