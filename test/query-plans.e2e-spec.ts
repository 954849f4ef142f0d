import pg from 'pg';
import { encodeCursor, parseQueryInstant } from '@app/common';
import { ListingsQuery } from '../libs/listings/src/dto/listings.query';
import { listingSearchSql, plannedPerExecution, toListingSearch } from '../libs/listings/src/listing-search';
import { BULK_LISTINGS, BULK_PRICES_PER_LISTING, Statement, describePlan, explain, explainGeneric, insertBulkListings, planViolations } from './support/query-plans';
import { chartColumns, historyVersion } from '../libs/prices/src/listing-price.statements';
import { eventsAfter, feedEnd, feedFirstPage, feedNextPage, forgetPrices, purgeEvents, purgeHorizon, relayBatch } from '../libs/listings/src/change-feed/change-feed.statements';
import { findKey, purgeExpiredKeys } from '../libs/listings/src/idempotency/idempotency-key.statements';
import { selectBacklog } from '../libs/webhooks/src/webhook.statements';
import { PrivatePostgres } from './support/private-postgres';
import { summaryMismatches } from './support/price-summary';
import { TestApp, startTestApp, uniqueEmail } from './support/test-app';

/**
 * Every statement the listing and price reads issue, EXPLAINed (and run, with ANALYZE) on a table big
 * enough for the planner to care: 50 000 listings and 200 000 history entries. The rows are inserted
 * on one connection to a PostgreSQL server of this file's own, inside a transaction that stays open until
 * the end. Not on the run's server, even in a database of its own: transaction ids are server-wide, so a
 * transaction open there for a minute would hold back the change feed's horizon for every other file,
 * and their writes would move the statistics under the plans. The service under test (testApp) runs on
 * the run's database and never sees the bulk rows. The rule the plans must follow is `planViolations`
 * in support/query-plans.ts.
 */
describe('query plans on 50 000 listings', () => {
  let server: PrivatePostgres;
  let testApp: TestApp;
  let client: pg.Client;
  let ownerId: number;
  /** An account that owns 50 of the bulk listings (the bulk owner owns nearly every listing). */
  let smallOwnerId: number;
  /** A listing near the end of the id order, the middle of the price order, and so on: deep cursors. */
  let deep: { id: number; price: number; created: string };
  let paris: { id: number; price: number; created: string };
  let town: { id: number; city: string; created: string };
  let postalCode: string;
  let entry: { listingId: number; at: string; id: string };

  beforeAll(async () => {
    server = await PrivatePostgres.start();
    testApp = await startTestApp();
    client = new pg.Client({ connectionString: await server.createMigratedDatabase('listing_plans') });
    await client.connect();
    await client.query('BEGIN');
    ownerId = await insertBulkListings(client, uniqueEmail('bulk-owner'));
    const small = await client.query<{ id: number }>(`INSERT INTO app_user (email, password_hash) VALUES ($1, '!no-login') RETURNING id`, [uniqueEmail('small-owner')]);
    smallOwnerId = small.rows[0].id;
    await client.query('UPDATE listing SET owner_id = $1 WHERE owner_id = $2 AND id % 1000 = 0', [smallOwnerId, ownerId]);
    // ANALYZE in the transaction sees its own rows: the planner works from the statistics of the big table.
    await client.query('ANALYZE listing');
    await client.query('ANALYZE listing_price');

    const at = async (orderBy: string, offset: number, where = 'TRUE') => {
      const { rows } = await client.query<{ id: number; price: string; created: Date; city: string; postal_code: string }>(
        `SELECT id, latest_price_eur AS price, created_date AS created, city, postal_code FROM listing
         WHERE owner_id = $1 AND ${where} ORDER BY ${orderBy} OFFSET $2 LIMIT 1`,
        [ownerId, offset],
      );
      const row = rows[0];
      return { id: row.id, price: Number(row.price), created: row.created.toISOString(), city: row.city, postalCode: row.postal_code };
    };
    deep = await at('id', Math.floor(BULK_LISTINGS * 0.9));
    const middle = await at('latest_price_eur, id', BULK_LISTINGS / 2);
    deep = { ...deep, price: middle.price };
    paris = await at('latest_price_eur, id', 2_000, `city = 'Paris'`);
    town = await at('created_date DESC, id DESC', 100, `city = 'Town 7'`);
    postalCode = (await at('id', 123)).postalCode;
    const history = await client.query<{ id: string; created_date: Date }>(
      'SELECT id::text AS id, created_date FROM listing_price WHERE listing_id = $1 ORDER BY created_date, id OFFSET 1 LIMIT 1',
      [deep.id],
    );
    entry = { listingId: deep.id, at: history.rows[0].created_date.toISOString(), id: history.rows[0].id };
  }, 120_000);

  afterAll(async () => {
    await client?.query('ROLLBACK');
    await client?.end();
    await testApp?.close();
    await server?.destroy();
  });

  it('the bulk rows are there, on this file\'s own server only', async () => {
    const counts = await client.query<{ listings: string; prices: string }>(
      `SELECT count(*) AS listings,
         (SELECT count(*) FROM listing_price p JOIN listing l ON l.id = p.listing_id WHERE l.owner_id IN ($1, $2)) AS prices
       FROM listing WHERE owner_id IN ($1, $2)`,
      [ownerId, smallOwnerId],
    );
    expect(counts.rows[0]).toEqual({ listings: String(BULK_LISTINGS), prices: String(BULK_LISTINGS * BULK_PRICES_PER_LISTING) });
    // Their price summaries are what their histories give, as the service would have kept them.
    expect(await summaryMismatches(client, [ownerId, smallOwnerId])).toEqual([]);
    expect((await testApp.api.get(`/listings/${deep.id}`)).status).toBe(404);
  });

  const instant = (text: string) => parseQueryInstant(text)!;

  /** The statement the service runs for this query (the service calls the same two functions). */
  const searchStatement = (query: Partial<ListingsQuery>, owner?: number): Statement => {
    const sql = listingSearchSql(toListingSearch(Object.assign(new ListingsQuery(), query), owner));
    return { text: sql.text, values: sql.values };
  };

  // [name, query (cursors are built from rows found above, so these are functions)]
  const listingShapes: [string, () => Partial<ListingsQuery>][] = [
    ['by id, first page', () => ({})],
    ['by id, deep cursor', () => ({ cursor: encodeCursor({ id: deep.id }) })],
    ['sort=price, first page', () => ({ sort: 'price' })],
    ['sort=price, cursor', () => ({ sort: 'price', cursor: encodeCursor({ price: deep.price, id: deep.id }) })],
    ['sort=-price, first page', () => ({ sort: '-price' })],
    ['sort=-price, cursor', () => ({ sort: '-price', cursor: encodeCursor({ '-price': deep.price, id: deep.id }) })],
    ['sort=-created, first page', () => ({ sort: '-created' })],
    ['sort=-created, cursor', () => ({ sort: '-created', cursor: encodeCursor({ '-created': '2025-06-01T12:00:00.000Z', id: deep.id }) })],
    ['city (large) + sort=price', () => ({ city: 'Paris', sort: 'price' })],
    ['city (large) + sort=price, cursor', () => ({ city: 'Paris', sort: 'price', cursor: encodeCursor({ price: paris.price, id: paris.id }) })],
    ['city + min_price + sort=price (the benchmark query)', () => ({ city: 'Paris', min_price: 500_000, sort: 'price' })],
    ['city + price range + sort=-price', () => ({ city: 'Paris', min_price: 300_000, max_price: 900_000, sort: '-price' })],
    ['city (small) by id', () => ({ city: 'Town 7' })],
    ['city (small) by id, cursor', () => ({ city: 'Town 7', cursor: encodeCursor({ id: town.id }) })],
    ['city (small) + sort=-created, cursor', () => ({ city: 'Town 7', sort: '-created', cursor: encodeCursor({ '-created': town.created, id: town.id }) })],
    ['building_type by id', () => ({ building_type: 'HOUSE' })],
    ['building_type + sort=price, cursor', () => ({ building_type: 'STUDIO', sort: 'price', cursor: encodeCursor({ price: deep.price, id: deep.id }) })],
    ['country (rare) by id', () => ({ country: 'LU' })],
    ['country (rare) + sort=-created', () => ({ country: 'LU', sort: '-created' })],
    ['country + sort=price', () => ({ country: 'DE', sort: 'price' })],
    ['min_price + max_price by id', () => ({ min_price: 400_000, max_price: 800_000 })],
    ['narrow price range + sort=-created', () => ({ min_price: 500_000, max_price: 510_000, sort: '-created' })],
    ['min_price + sort=price, cursor', () => ({ min_price: 1_000_000, sort: 'price', cursor: encodeCursor({ price: deep.price, id: deep.id }) })],
    ['min_rooms by id', () => ({ min_rooms: 4 })],
    ['min_rooms + sort=-price', () => ({ min_rooms: 6, sort: '-price' })],
    ['min_surface by id, cursor', () => ({ min_surface: 200, cursor: encodeCursor({ id: deep.id }) })],
    ['min_surface + min_rooms + sort=-created', () => ({ min_surface: 100.5, min_rooms: 3, sort: '-created' })],
    ['postal_code by id', () => ({ postal_code: postalCode })],
    ['postal_code + sort=price', () => ({ postal_code: postalCode, sort: 'price' })],
    [
      'every filter + sort=price',
      () => ({ city: 'Paris', building_type: 'HOUSE', country: 'FR', min_price: 100_000, max_price: 1_500_000, min_rooms: 3, min_surface: 50, sort: 'price' }),
    ],
    // Price movement (the price summary columns): min_drop_pct, changed_since, sort=drop.
    ['sort=drop, first page', () => ({ sort: 'drop' })],
    ['sort=drop, cursor', () => ({ sort: 'drop', cursor: encodeCursor({ drop: 5.5, id: deep.id }) })],
    ['min_drop_pct + sort=drop (the benchmark query)', () => ({ min_drop_pct: 10, sort: 'drop' })],
    ['min_drop_pct + sort=drop, cursor', () => ({ min_drop_pct: 10, sort: 'drop', cursor: encodeCursor({ drop: 20, id: deep.id }) })],
    ['min_drop_pct (common) by id', () => ({ min_drop_pct: 10 })],
    ['min_drop_pct (rare) by id', () => ({ min_drop_pct: 30 })],
    ['min_drop_pct (rare) by id, cursor', () => ({ min_drop_pct: 30, cursor: encodeCursor({ id: deep.id }) })],
    ['min_drop_pct + sort=price, cursor', () => ({ min_drop_pct: 10, sort: 'price', cursor: encodeCursor({ price: deep.price, id: deep.id }) })],
    ['min_drop_pct + sort=-created', () => ({ min_drop_pct: 20, sort: '-created' })],
    ['changed_since (recent) by id', () => ({ changed_since: instant('2026-10-25T00:00:00Z') })],
    ['changed_since (recent) by id, cursor', () => ({ changed_since: instant('2026-10-25T00:00:00Z'), cursor: encodeCursor({ id: deep.id }) })],
    ['changed_since + sort=drop', () => ({ changed_since: instant('2026-10-25T00:00:00Z'), sort: 'drop' })],
    ['changed_since + sort=-created', () => ({ changed_since: instant('2026-06-01T00:00:00Z'), sort: '-created' })],
    ['changed_since + min_drop_pct + sort=price', () => ({ changed_since: instant('2026-06-01T00:00:00Z'), min_drop_pct: 5, sort: 'price' })],
    ['city (large) + min_drop_pct + sort=drop', () => ({ city: 'Paris', min_drop_pct: 10, sort: 'drop' })],
    ['city (large) + min_drop_pct + sort=price', () => ({ city: 'Paris', min_drop_pct: 10, sort: 'price' })],
    ['city (small) + sort=drop', () => ({ city: 'Town 7', sort: 'drop' })],
    ['city (small) + changed_since by id', () => ({ city: 'Town 7', changed_since: instant('2025-01-01T00:00:00Z') })],
    ['country (rare) + min_drop_pct + sort=drop', () => ({ country: 'LU', min_drop_pct: 10, sort: 'drop' })],
    ['building_type + sort=drop, cursor', () => ({ building_type: 'HOUSE', sort: 'drop', cursor: encodeCursor({ drop: 5.5, id: deep.id }) })],
    ['min_price + sort=drop', () => ({ min_price: 400_000, sort: 'drop' })],
    ['narrow price range + sort=drop', () => ({ min_price: 500_000, max_price: 510_000, sort: 'drop' })],
  ];

  it.each(listingShapes)('GET /listings %s: every row from an index, no unbounded sort', async (name, query) => {
    const plan = await explain(client, searchStatement(query()));
    // SHOW_PLANS=1 npm run test:e2e -- --testPathPatterns query-plans prints every plan.
    if (process.env.SHOW_PLANS) console.log(`${name}\n${describePlan(plan)}`);
    expect({ violations: planViolations(plan), plan: describePlan(plan) }).toEqual({ violations: [], plan: expect.any(String) });
  });

  // The service prepares every shape but those with changed_since, which it sends unnamed so that each
  // execution is planned with its instant (plannedPerExecution): only the prepared ones have a generic plan.
  const preparedShapes = listingShapes.filter(([name]) => !name.includes('changed_since'));

  it('only the changed_since shapes are planned per execution', () => {
    const perExecution = listingShapes.filter(([, query]) => plannedPerExecution(toListingSearch(Object.assign(new ListingsQuery(), query())))).map(([name]) => name);
    expect(perExecution).toEqual(listingShapes.filter(([name]) => !preparedShapes.some(([prepared]) => prepared === name)).map(([name]) => name));
    expect(perExecution.length).toBeGreaterThan(0);
  });

  /**
   * A concurrent autovacuum ANALYZE of listing overwrites pg_class.reltuples in place with the count it
   * can see, without the bulk rows: the planner then costs an empty table. The statistics are what
   * changed, not the statement, so the plan is taken again after this transaction's own ANALYZE. (On
   * this file's own server nothing else writes to the table; kept in case autovacuum runs anyway.)
   */
  async function explainGenericWithOwnStatistics(statement: Statement) {
    const plan = await explainGeneric(client, statement);
    if (planViolations(plan).length === 0) return plan;
    await client.query('ANALYZE listing');
    return explainGeneric(client, statement);
  }

  it.each(preparedShapes)('GET /listings %s, as a generic plan (a prepared statement reused): same rule', async (name, query) => {
    const plan = await explainGenericWithOwnStatistics(searchStatement(query()));
    if (process.env.SHOW_PLANS) console.log(`generic: ${name}\n${describePlan(plan)}`);
    expect({ violations: planViolations(plan), plan: describePlan(plan) }).toEqual({ violations: [], plan: expect.any(String) });
  });

  it('the rule does fail a bad plan: sorting every listing by name', async () => {
    const plan = await explain(client, { text: 'SELECT id FROM listing ORDER BY name LIMIT 51', values: [] });
    expect(planViolations(plan)).toEqual(expect.arrayContaining(['Seq Scan on listing', expect.stringMatching(/^Sort over \d+ rows$/)]));
  });

  it.each([
    ['the owner of nearly every listing, first page', () => ownerId, () => ({})],
    ['the owner of nearly every listing, cursor', () => ownerId, () => ({ cursor: encodeCursor({ id: deep.id - 100 }) })],
    ['an owner of 50 listings, first page', () => smallOwnerId, () => ({})],
    ['an owner of 50 listings, cursor', () => smallOwnerId, () => ({ cursor: encodeCursor({ id: deep.id - 10_000 }) })],
  ] as [string, () => number, () => Partial<ListingsQuery>][])('GET /auth/me/listings, %s: every row from an index, no sort', async (_name, owner, query) => {
    const plan = await explain(client, searchStatement(query(), owner()));
    expect({ violations: planViolations(plan), plan: describePlan(plan) }).toEqual({ violations: [], plan: expect.any(String) });
    expect(describePlan(plan)).not.toContain('Sort');
  });

  /**
   * The price history's statements live in libs/prices; rather than copy them, capture what the service
   * really sends to PostgreSQL while it answers the request (the app's connections cannot see the bulk
   * rows, so it answers 404, but it runs the same statements: the page, then the existence check).
   */
  async function capturedStatements(path: string): Promise<Statement[]> {
    type Query = (this: pg.Client, config: string | pg.QueryConfig, values?: unknown[], callback?: unknown) => unknown;
    const prototype = pg.Client.prototype as unknown as { query: Query };
    const original = prototype.query;
    const seen: Statement[] = [];
    prototype.query = function (this: pg.Client, config, values, callback) {
      if (this !== client) {
        const text = typeof config === 'string' ? config : config.text;
        seen.push({ text, values: (typeof config === 'string' ? undefined : config.values) ?? values ?? [] });
      }
      return original.call(this, config, values, callback);
    };
    try {
      await testApp.api.get(path);
    } finally {
      prototype.query = original;
    }
    return seen.filter((statement) => /\bfrom\s+"?listing(_price)?"?\b/i.test(statement.text));
  }

  it('the service runs exactly the statement the plans are checked on', async () => {
    const query = { city: 'Paris', min_price: 500_000, sort: 'price' } as const;
    const captured = await capturedStatements('/listings?city=Paris&min_price=500000&sort=price');
    expect(captured.map((s) => s.text)).toEqual([searchStatement(query).text]);
  });

  it.each([
    ['first page', () => `/listings/${entry.listingId}/prices`],
    ['cursor', () => `/listings/${entry.listingId}/prices?cursor=${encodeCursor({ at: entry.at, id: entry.id })}`],
    ['window from', () => `/listings/${entry.listingId}/prices?from=${encodeURIComponent(entry.at)}`],
    ['window to', () => `/listings/${entry.listingId}/prices?to=${encodeURIComponent(entry.at)}`],
    ['window from and to, cursor', () => `/listings/${entry.listingId}/prices?from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z&cursor=${encodeCursor({ at: entry.at, id: entry.id })}`],
    ['at a date (one backward probe, then the first entry when none)', () => `/listings/${entry.listingId}/prices/at?date=${encodeURIComponent(entry.at)}`],
  ])('GET /listings/{id}/prices %s: index scans of listing_price_history_idx only (and the version: a primary-key probe)', async (_name, path) => {
    const statements = await capturedStatements(path());
    expect(statements.length).toBeGreaterThanOrEqual(2);
    for (const statement of statements) {
      const plan = await explain(client, statement);
      if (statement.text === historyVersion(0).text) {
        expect(describePlan(plan)).toMatch(/^Index Scan using listing_pkey on listing \(rows=1, removed=0\)$/);
        continue;
      }
      expect({ violations: planViolations(plan), plan: describePlan(plan) }).toEqual({ violations: [], plan: expect.any(String) });
      expect(describePlan(plan)).toContain('listing_price_history_idx');
    }
  });

  it('a revalidated history page (If-None-Match, 304) reads the listing row only, never the history', async () => {
    const path = `/listings/${entry.listingId}/prices`;
    const plan = await explain(client, historyVersion(entry.listingId));
    expect(describePlan(plan)).toMatch(/^Index Scan using listing_pkey on listing \(rows=1, removed=0\)$/);
    // What the service sends when If-None-Match is present: the version probe first (the app cannot see
    // the bulk rows, so it stops there with a 404).
    type Query = (this: pg.Client, config: string | pg.QueryConfig, values?: unknown[], callback?: unknown) => unknown;
    const prototype = pg.Client.prototype as unknown as { query: Query };
    const original = prototype.query;
    const seen: string[] = [];
    prototype.query = function (this: pg.Client, config, values, callback) {
      if (this !== client) seen.push(typeof config === 'string' ? config : config.text);
      return original.call(this, config, values, callback);
    };
    try {
      await testApp.api.get(path, { headers: { 'if-none-match': '"x"' } });
    } finally {
      prototype.query = original;
    }
    // The webhook relay's background rounds (listing_event, webhook_*) are not the request's.
    expect(seen.filter((text) => /listing/.test(text) && !/listing_event|webhook_|pgboss/.test(text))).toEqual([historyVersion(0).text]);
  });

  describe('the change feed, idempotency keys and the webhook backlog, on 200 000 events, 50 000 keys and 100 000 deliveries', () => {
    let position: { tx: string; sequence: string };

    beforeAll(async () => {
      // Events of long-finished transactions (small tx), so that they are all below the horizon.
      await client.query(
        `INSERT INTO listing_event (listing_id, type, at, latest_price_eur, tx)
         SELECT n % 50000, 'price_changed', now() - (n || ' seconds')::interval, n, n / 4 + 1 FROM generate_series(1, 200000) AS n`,
      );
      await client.query(
        `INSERT INTO idempotency_key (owner_id, key, request_hash, status, response, created_date)
         SELECT $1, 'bulk-' || n, 'hash', 201, '{}', now() - (n || ' seconds')::interval FROM generate_series(1, 50000) AS n`,
        [ownerId],
      );
      await client.query('ANALYZE listing_event');
      await client.query('ANALYZE idempotency_key');
      const { rows } = await client.query<{ tx: string; sequence: string }>('SELECT tx::text, sequence::text FROM listing_event ORDER BY tx, sequence OFFSET 150000 LIMIT 1');
      position = rows[0];
    }, 60_000);

    it.each([
      ['first page', () => feedFirstPage(101)],
      ['after a cursor', () => feedNextPage(position, 101)],
    ])('GET /listings/changes, %s: an index range scan of listing_event_feed_idx, no sort', async (_name, statement) => {
      const plan = await explain(client, statement());
      expect({ violations: planViolations(plan), plan: describePlan(plan) }).toEqual({ violations: [], plan: expect.any(String) });
      expect(describePlan(plan)).toContain('listing_event_feed_idx');
      expect(describePlan(plan)).not.toContain('Sort');
    });

    it.each([
      ['batch after its position', () => relayBatch(position, 500)],
      ['end of the feed', () => feedEnd()],
    ])('the webhook relay\'s %s: listing_event_feed_idx, no sort', async (_name, statement) => {
      const plan = await explain(client, statement());
      expect({ violations: planViolations(plan), plan: describePlan(plan) }).toEqual({ violations: [], plan: expect.any(String) });
      expect(describePlan(plan)).toContain('listing_event_feed_idx');
      expect(describePlan(plan)).not.toContain('Sort');
    });

    it('the webhook relay\'s check for anything new (EXISTS, once per round on every instance): one probe of listing_event_feed_idx', async () => {
      const plan = await explain(client, eventsAfter(position));
      const text = describePlan(plan);
      expect(text).toContain('listing_event_feed_idx');
      expect(text).not.toContain('Seq Scan');
      expect(text).not.toContain('Sort');
    });

    it('the purge horizon is a primary-key probe', async () => {
      const plan = await explain(client, purgeHorizon());
      expect(describePlan(plan)).not.toContain('Seq Scan');
    });

    it('the retention purge finds its cutoff through listing_event_at_idx and deletes through the feed index', async () => {
      await client.query('SAVEPOINT purge');
      const plan = await explain(client, purgeEvents(new Date(Date.now() - 190_000_000)));
      await client.query('ROLLBACK TO SAVEPOINT purge');
      const text = describePlan(plan);
      expect(text).not.toContain('Seq Scan');
      expect(text).toContain('listing_event_at_idx');
      expect(text).toContain('listing_event_feed_idx');
    });

    it.each([
      ['its own plan', (statement: Statement) => explain(client, statement)],
      ['a generic plan (the statement is prepared)', (statement: Statement) => explainGeneric(client, statement)],
    ])('a DELETE clears its listing\'s event prices through listing_event_by_listing_idx, %s', async (name, plan) => {
      // The bulk events spread over listing ids 0..49 999, four each.
      await client.query('SAVEPOINT forget');
      const text = describePlan(await plan(forgetPrices(12_345)));
      await client.query('ROLLBACK TO SAVEPOINT forget');
      if (process.env.SHOW_PLANS) console.log(`forget prices: ${name}\n${text}`);
      expect(text).not.toContain('Seq Scan');
      // Index or bitmap scan, as the planner likes: either way this listing's four events only, from the index.
      expect(text).toMatch(/(Index Scan|Bitmap Index Scan) using listing_event_by_listing_idx .*\(rows=4, removed=0\)/);
    });

    it('a key is looked up with one primary-key probe', async () => {
      const plan = await explain(client, findKey(ownerId, 'bulk-123'));
      expect(describePlan(plan)).toMatch(/^Index Scan using idempotency_key_pkey on idempotency_key \(rows=1, removed=0\)$/);
    });

    it('the idempotency key purge deletes through idempotency_key_created_date_idx', async () => {
      await client.query('SAVEPOINT purge');
      const plan = await explain(client, purgeExpiredKeys());
      await client.query('ROLLBACK TO SAVEPOINT purge');
      const text = describePlan(plan);
      expect(text).not.toContain('Seq Scan');
      expect(text).toContain('idempotency_key_created_date_idx');
    });

    it('the webhook backlog (read at every metrics scrape) counts through webhook_delivery_unsettled_idx, not the settled log', async () => {
      await client.query('SAVEPOINT backlog');
      const subscription = await client.query<{ id: number }>(
        `INSERT INTO webhook_subscription (owner_id, url, events, filter, secret) VALUES ($1, 'https://receiver.test/hook', '{*}', '{}', 'whsec_plan') RETURNING id`,
        [ownerId],
      );
      // 100 000 settled deliveries (the log a month of traffic leaves) and 25 still owed.
      await client.query(
        `INSERT INTO webhook_delivery (subscription_id, event_id, event_type, payload, status, created_date)
         SELECT $1, 'evt_' || n, 'listing.price_changed', '{}', CASE WHEN n <= 25 THEN (CASE WHEN n % 2 = 0 THEN 'pending' ELSE 'failed' END) ELSE 'succeeded' END,
           now() - (n || ' seconds')::interval
         FROM generate_series(1, 100000) AS n`,
        [subscription.rows[0].id],
      );
      await client.query('ANALYZE webhook_delivery');
      const text = describePlan(await explain(client, selectBacklog()));
      await client.query('ROLLBACK TO SAVEPOINT backlog');
      expect(text).not.toContain('Seq Scan');
      expect(text).toContain('webhook_delivery_unsettled_idx');
    });
  });

  it('GET /listings/{id}/prices/summary: one primary-key read of the listing row, whatever the history', async () => {
    const statements = await capturedStatements(`/listings/${entry.listingId}/prices/summary`);
    expect(statements).toHaveLength(1);
    const plan = await explain(client, statements[0]);
    expect(describePlan(plan)).toMatch(/^Index Scan using listing_pkey on listing \(rows=1, removed=0\)$/);
  });

  it('GET /listings/{id}/prices/chart.svg: one index range scan of the listing\'s history, grouped by pixel column', async () => {
    const history = await client.query<{ created_date: Date }>('SELECT created_date FROM listing WHERE id = $1', [entry.listingId]);
    const plan = await explain(client, chartColumns(entry.listingId, history.rows[0].created_date, 30 * 86_400_000, 600));
    const text = describePlan(plan);
    // Index-only or bitmap, as the planner likes: either way only this listing's entries, from the history index.
    expect(text).toMatch(/(Index Only Scan|Bitmap Index Scan) using listing_price_history_idx .*\(rows=4, removed=0\)/);
    expect(text).not.toContain('Seq Scan');
  });
});
