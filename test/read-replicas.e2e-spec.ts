import { createSecretKey } from 'node:crypto';
import { Logger } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { createSuiteDatabase, type TestDatabase } from './setup/test-database';
import { type Listing, type PriceEntry, aListing } from './support/listings';
import { type SignedIn, TEST_JWT_SECRET, type TestApp, signUp, startTestApp } from './support/test-app';

async function onDatabase<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The "replica" is another database on the test server (a copy of the run's migrated template) with
 * different rows, so every answer shows which pool served it: a listing that exists only there can only
 * come from the replica, one created through the service only from the primary.
 */
describe('read replicas (DATABASE_REPLICA_URL)', () => {
  const primaryUrl = process.env.TEST_DATABASE_URL ?? '';
  const city = `Replicaville ${process.pid} ${Date.now().toString(36)}`;
  let replica: TestDatabase;
  let replicaUrl: string;

  let testApp: TestApp;
  let owner: SignedIn;
  /** Exists only in the replica database. */
  let onReplica: Listing;
  /** Created through the service under test: exists only in the primary. */
  let onPrimary: Listing;
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string>, databaseUrl?: string) => {
    const started = await startTestApp(env, databaseUrl);
    apps.push(started);
    return started;
  };

  beforeAll(async () => {
    replica = await createSuiteDatabase();
    replicaUrl = replica.url;
    // Ids far above the primary's, so that an id found in one database is missing from the other.
    await onDatabase(replicaUrl, (client) =>
      client.query("SELECT setval(pg_get_serial_sequence('listing', 'id'), 1000000000), setval(pg_get_serial_sequence('app_user', 'id'), 1000000000)"),
    );
    // Fill the replica through the API of an instance whose primary it is.
    const replicaWriter = await start({}, replicaUrl);
    const replicaOwner = await signUp(replicaWriter, 'replica-owner');
    onReplica = (await replicaOwner.api.post<Listing>('/listings', aListing({ name: 'Only on the replica', latest_price_eur: 111_111, postal_address: { street_address: '1 rue', postal_code: '75001', city, country: 'FR' } }))).body;
    expect(onReplica.id).toBeGreaterThan(1_000_000_000);

    testApp = await start({ DATABASE_REPLICA_URL: replicaUrl });
    owner = await signUp(testApp, 'primary-owner');
    const created = await owner.api.post<Listing>('/listings', aListing({ name: 'On the primary', latest_price_eur: 222_222, postal_address: { street_address: '2 rue', postal_code: '75002', city, country: 'FR' } }));
    expect(created.status).toBe(201);
    onPrimary = created.body;
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await replica?.dispose();
  });

  const names = (listings: Listing[]) => listings.map((listing) => listing.name);

  it('anonymous reads come from the replica: listing pages and search, one listing, its price history', async () => {
    expect(names((await testApp.api.get<Listing[]>(`/listings?city=${encodeURIComponent(city)}`)).body)).toEqual(['Only on the replica']);
    expect(names((await testApp.api.get<Listing[]>(`/listings?city=${encodeURIComponent(city)}&sort=price`)).body)).toEqual(['Only on the replica']);
    const one = await testApp.api.get<Listing>(`/listings/${onReplica.id}`);
    expect(one.status).toBe(200);
    expect(one.body.name).toBe('Only on the replica');
    const prices = await testApp.api.get<PriceEntry[]>(`/listings/${onReplica.id}/prices`);
    expect(prices.status).toBe(200);
    expect(prices.body.map((entry) => entry.price_eur)).toEqual([111_111]);
    // What only the primary has is not found by an anonymous reader (as while a replica lags behind).
    expect((await testApp.api.get(`/listings/${onPrimary.id}`)).status).toBe(404);
    expect((await testApp.api.get(`/listings/${onPrimary.id}/prices`)).status).toBe(404);
  });

  it('a caller with a bearer token reads the primary, so it sees its own writes at once', async () => {
    expect(names((await owner.api.get<Listing[]>(`/listings?city=${encodeURIComponent(city)}`)).body)).toEqual(['On the primary']);
    expect((await owner.api.get<Listing>(`/listings/${onPrimary.id}`)).body.name).toBe('On the primary');
    expect((await owner.api.get<PriceEntry[]>(`/listings/${onPrimary.id}/prices`)).body.map((entry) => entry.price_eur)).toEqual([222_222]);
    expect((await owner.api.get(`/listings/${onReplica.id}`)).status).toBe(404);
    expect(names((await owner.api.get<Listing[]>('/auth/me/listings')).body)).toEqual(['On the primary']);
    // The per-request account check read the primary too: the replica has never heard of this account.
    const onReplicaAccounts = await onDatabase(replicaUrl, (client) => client.query('SELECT 1 FROM app_user WHERE id = $1', [owner.id]));
    expect(onReplicaAccounts.rowCount).toBe(0);
  });

  describe('which callers count as signed in: a token that verifies, and nothing else', () => {
    const sign = (payload: object, options: jwt.SignOptions, secret = TEST_JWT_SECRET) =>
      jwt.sign(payload, createSecretKey(Buffer.from(secret)), { algorithm: 'HS256', issuer: 'listing-api', audience: 'listing-api', ...options });
    /** Which database served a public read with this Authorization header: both kinds of route. */
    const servedBy = async (authorization: string) => {
      const headers = { authorization };
      const page = names((await testApp.api.get<Listing[]>(`/listings?city=${encodeURIComponent(city)}`, { headers })).body);
      const prices = await testApp.api.get<PriceEntry[]>(`/listings/${onReplica.id}/prices`, { headers });
      if (page.join() === 'Only on the replica' && prices.status === 200) return 'replica';
      if (page.join() === 'On the primary' && prices.status === 404) return 'primary';
      return `neither: ${JSON.stringify(page)}, prices ${prices.status}`;
    };

    it.each([
      ['not a bearer token at all', () => 'x'],
      ['another scheme', () => 'Basic dXNlcjpwYXNzd29yZA=='],
      ['a bearer token that is not a JWT', () => 'Bearer not-a-jwt'],
      ['an API-key-like bearer token', () => 'Bearer lak_0123456789abcdef0123456789abcdef'],
      ['an expired token', () => `Bearer ${sign({ ver: 0, exp: Math.floor(Date.now() / 1000) - 10 }, { subject: String(owner.id) })}`],
      ['a token signed with another key', () => `Bearer ${sign({ ver: 0 }, { subject: String(owner.id), expiresIn: 60 }, 'another-secret-that-is-long-enough-0123456789')}`],
    ])('%s reads the replica, like an anonymous caller', async (_name, authorization) => {
      expect(await servedBy(authorization())).toBe('replica');
    });

    it('a token that verifies reads the primary (the header as clients send it, in any case of "Bearer")', async () => {
      expect(await servedBy(`Bearer ${owner.accessToken}`)).toBe('primary');
      expect(await servedBy(`bearer ${owner.accessToken}`)).toBe('primary');
    });
  });

  it('POST and PUT write to the primary; the replica is untouched', async () => {
    const posted = await owner.api.post<Listing>('/listings', aListing({ name: 'Posted', latest_price_eur: 300_000 }));
    expect(posted.status).toBe(201);
    const put = await owner.api.put<Listing>(`/listings/${onPrimary.id}`, aListing({ name: 'On the primary', latest_price_eur: 233_333, postal_address: { street_address: '2 rue', postal_code: '75002', city, country: 'FR' } }));
    expect(put.status).toBe(200);

    const onPrimaryRows = await onDatabase(primaryUrl, async (client) => ({
      posted: (await client.query('SELECT name FROM listing WHERE id = $1', [posted.body.id])).rows,
      history: (await client.query<{ price_eur: string }>('SELECT price_eur FROM listing_price WHERE listing_id = $1 ORDER BY created_date, id', [onPrimary.id])).rows,
    }));
    expect(onPrimaryRows.posted).toEqual([{ name: 'Posted' }]);
    expect(onPrimaryRows.history.map((row) => Number(row.price_eur))).toEqual([222_222, 233_333]);
    const onReplicaRows = await onDatabase(replicaUrl, (client) => client.query('SELECT id FROM listing WHERE id = ANY($1)', [[posted.body.id, onPrimary.id]]));
    expect(onReplicaRows.rowCount).toBe(0);

    // Right after the write: its author sees it, an anonymous reader asks the replica.
    expect((await owner.api.get<PriceEntry[]>(`/listings/${onPrimary.id}/prices`)).body.map((entry) => entry.price_eur)).toEqual([222_222, 233_333]);
    expect((await testApp.api.get(`/listings/${posted.body.id}`)).status).toBe(404);
  });

  it('several replicas are taken in turn', async () => {
    // The primary's database doubles as a second "replica" here: its rows differ from the first's.
    const twoReplicas = await start({ DATABASE_REPLICA_URL: `${replicaUrl},${primaryUrl}` });
    const seen: string[][] = [];
    for (let read = 0; read < 4; read += 1) seen.push(names((await twoReplicas.api.get<Listing[]>(`/listings?city=${encodeURIComponent(city)}`)).body));
    expect(seen).toEqual([['Only on the replica'], ['On the primary'], ['Only on the replica'], ['On the primary']]);
  });

  it('an unreachable replica: its reads go to the primary, without an error, and that is logged once', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      const noReplica = await start({ DATABASE_REPLICA_URL: 'postgresql://postgres@127.0.0.1:1/nowhere' });
      for (let read = 0; read < 3; read += 1) {
        const page = await noReplica.api.get<Listing[]>(`/listings?city=${encodeURIComponent(city)}`);
        expect(page.status).toBe(200);
        expect(names(page.body)).toEqual(['On the primary']);
      }
      expect((await noReplica.api.get(`/listings/${onPrimary.id}`)).status).toBe(200);
      const replicaWarnings = warn.mock.calls.map(([message]) => String(message)).filter((message) => message.startsWith('Read replica'));
      expect(replicaWarnings).toEqual([expect.stringMatching(/^Read replica 127\.0\.0\.1:1\/nowhere unavailable \(.+\): its reads go to the primary for 5 s$/)]);
    } finally {
      warn.mockRestore();
    }
  });
});
