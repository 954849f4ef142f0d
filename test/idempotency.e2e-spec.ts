import pg from 'pg';
import { IdempotencyService } from '@app/listings';
import { Listing, aListing } from './support/listings';
import { SignedIn, TestApp, signUp, startTestApp } from './support/test-app';

/** Idempotency-Key on POST /listings: retries are safe, per caller, for 24 hours. */
describe('Idempotency-Key on POST /listings', () => {
  let testApp: TestApp;
  let db: pg.Pool;
  let keys = 0;

  beforeAll(async () => {
    testApp = await startTestApp();
    db = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL, max: 3 });
  });
  afterAll(async () => {
    await db.end();
    await testApp.close();
  });

  const newKey = () => `key-${process.pid}-${Date.now()}-${(keys += 1)}`;
  const create = (user: SignedIn, body: unknown, key: string) => user.api.post<Listing>('/listings', body, { headers: { 'idempotency-key': key } });
  const myListingIds = async (user: SignedIn) => (await user.api.get<Listing[]>('/auth/me/listings?limit=200')).body.map((l) => l.id);

  it('the same key and body again: the original 201 and body, marked as replayed, and only one listing', async () => {
    const user = await signUp(testApp);
    const key = newKey();
    const body = aListing();
    const first = await create(user, body, key);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const again = await create(user, body, key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    // The same JSON with its properties in another order is the same request.
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const third = await user.api.request<Listing>('POST', '/listings', { json: reordered, headers: { 'idempotency-key': `"${key}"` } });
    expect(third.status).toBe(201);
    expect(third.body).toEqual(first.body);

    expect(await myListingIds(user)).toEqual([first.body.id]);
  });

  it('the same key with another body is a 422 with a message, and creates nothing', async () => {
    const user = await signUp(testApp);
    const key = newKey();
    expect((await create(user, aListing({ latest_price_eur: 100_000 }), key)).status).toBe(201);
    const other = await create(user, aListing({ latest_price_eur: 100_001 }), key);
    expect(other.status).toBe(422);
    expect((other.body as unknown as { message: string }).message).toMatch(/Idempotency-Key/);
    expect(await myListingIds(user)).toHaveLength(1);
  });

  it('keys are per caller: another account with the same key creates its own listing', async () => {
    const [alice, bob] = [await signUp(testApp), await signUp(testApp)];
    const key = newKey();
    const body = aListing();
    const byAlice = await create(alice, body, key);
    const byBob = await create(bob, body, key);
    expect([byAlice.status, byBob.status]).toEqual([201, 201]);
    expect(byBob.body.id).not.toBe(byAlice.body.id);
    expect(byBob.headers.get('idempotent-replayed')).toBeNull();
  });

  it('while the first request with a key is still running, the same key is a 409; afterwards it goes through', async () => {
    const user = await signUp(testApp);
    const key = newKey();
    // Stand in for a first request in flight: hold the very lock a create with this key takes.
    const holder = await db.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [user.id, key]);
      const blocked = await create(user, aListing(), key);
      expect(blocked.status).toBe(409);
      expect((blocked.body as unknown as { message: string }).message).toMatch(/in progress/);
    } finally {
      await holder.query('SELECT pg_advisory_unlock_all()');
      holder.release();
    }
    expect(await myListingIds(user)).toEqual([]);
    expect((await create(user, aListing(), key)).status).toBe(201);
  });

  it('ten identical requests at once create exactly one listing: each gets the 201 or a 409', async () => {
    const user = await signUp(testApp);
    const key = newKey();
    const body = aListing();
    const responses = await Promise.all(Array.from({ length: 10 }, () => create(user, body, key)));
    const ids = new Set(responses.filter((r) => r.status === 201).map((r) => r.body.id));
    expect(responses.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(ids.size).toBe(1);
    expect(await myListingIds(user)).toEqual([...ids]);
  });

  it('a failed request is not remembered: the same key then works with a valid body', async () => {
    const user = await signUp(testApp);
    const key = newKey();
    expect((await create(user, aListing({ rooms_count: 0 }), key)).status).toBe(422);
    expect((await create(user, aListing(), key)).status).toBe(201);
  });

  it('after 24 hours a key is new again, and expired keys are purged', async () => {
    const user = await signUp(testApp);
    const [expired, fresh] = [newKey(), newKey()];
    const body = aListing();
    const first = await create(user, body, expired);
    expect((await create(user, aListing(), fresh)).status).toBe(201);
    await db.query(`UPDATE idempotency_key SET created_date = now() - interval '25 hours' WHERE owner_id = $1 AND key = $2`, [user.id, expired]);

    const again = await create(user, body, expired);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(again.body.id).not.toBe(first.body.id);

    await db.query(`UPDATE idempotency_key SET created_date = now() - interval '25 hours' WHERE owner_id = $1 AND key = $2`, [user.id, expired]);
    await testApp.app.get(IdempotencyService).purgeExpired();
    const { rows } = await db.query<{ key: string }>('SELECT key FROM idempotency_key WHERE owner_id = $1 ORDER BY key', [user.id]);
    expect(rows.map((r) => r.key)).toEqual([fresh]);
  });

  it.each([
    ['with a space', 'a b'],
    ['too long', 'x'.repeat(256)],
    ['not ASCII', 'clé'],
  ])('a malformed key (%s) is a 400 with a message, and creates nothing', async (_case, key) => {
    const user = await signUp(testApp);
    const response = await user.api.request('POST', '/listings', { json: aListing(), headers: { 'idempotency-key': key } });
    expect(response.status).toBe(400);
    expect((response.body as { message: string }).message).toMatch(/Idempotency-Key/);
    expect(await myListingIds(user)).toEqual([]);
  });
});
