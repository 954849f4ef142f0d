import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { ApiClient } from './support/http';
import { Listing, PriceEntry, aListing } from './support/listings';
import { summaryMismatches } from './support/price-summary';
import { TestApp, signUp, startTestApp } from './support/test-app';

interface PriceSummary {
  listing_id: number;
  entries: number;
  first: PriceEntry;
  latest: PriceEntry;
  previous_price_eur?: number;
  min_price_eur: number;
  max_price_eur: number;
  change_since_first_eur: number;
  change_since_first_pct?: number;
  change_since_previous_pct?: number;
  last_changed_date?: string;
  days_at_current_price: number;
  chart_url: string;
}

/** (to - from) / from in percent, rounded half away from zero to 2 decimals, exactly (BigInt); undefined from 0. */
function pct(from: number, to: number): number | undefined {
  if (from === 0) return undefined;
  const numerator = BigInt(to - from) * 10_000n;
  const denominator = BigInt(from);
  let quotient = numerator / denominator;
  const remainder = numerator % denominator;
  if (2n * (remainder < 0n ? -remainder : remainder) >= denominator) quotient += numerator < 0n ? -1n : 1n;
  return Number(quotient) / 100;
}

/** The summary the full history gives, computed here from GET /listings/{id}/prices (all but the day count). */
function summaryOf(id: number, history: PriceEntry[]): Omit<PriceSummary, 'days_at_current_price'> {
  const first = history[0];
  const latest = history[history.length - 1];
  const previous = history.length > 1 ? history[history.length - 2] : undefined;
  const prices = history.map((entry) => entry.price_eur);
  const summary: Omit<PriceSummary, 'days_at_current_price'> = {
    listing_id: id,
    entries: history.length,
    first,
    latest,
    min_price_eur: Math.min(...prices),
    max_price_eur: Math.max(...prices),
    change_since_first_eur: latest.price_eur - first.price_eur,
    chart_url: `/listings/${id}/prices/chart.svg`,
  };
  if (previous) summary.previous_price_eur = previous.price_eur;
  const sinceFirst = pct(first.price_eur, latest.price_eur);
  if (sinceFirst !== undefined) summary.change_since_first_pct = sinceFirst;
  const sincePrevious = previous && pct(previous.price_eur, latest.price_eur);
  if (sincePrevious !== undefined) summary.change_since_previous_pct = sincePrevious;
  if (previous) summary.last_changed_date = latest.created_date;
  return summary;
}

/** A small deterministic PRNG (mulberry32): the same walk on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The invariant of the price summary: the aggregates stored with each listing (kept up to date by the
 * write that appends a history entry, in its transaction) always equal what the full history gives.
 * Checked through the API (summary against history) and in the database (every listing's stored
 * columns against an aggregate of its history, in one snapshot), after sequential changes with
 * repeated prices and prices of 0, after concurrent changes, and for the migration's backfill.
 */
describe('the price summary always equals what the full history gives', () => {
  let testApp: TestApp;
  let api: ApiClient;
  let ownerId: number;
  let db: pg.Pool;

  beforeAll(async () => {
    // The concurrent PUTs below queue for the pool's connections behind one row lock: with many test
    // workers on few cores that wait outlasts the default DATABASE_ACQUIRE_TIMEOUT_MS (a 503). What these
    // tests check is what gets written, so the wait is allowed to last.
    testApp = await startTestApp({ DATABASE_ACQUIRE_TIMEOUT_MS: '120000' });
    const owner = await signUp(testApp, 'summary');
    api = owner.api;
    ownerId = owner.id;
    db = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL, max: 2 });
  });
  afterAll(async () => {
    await db?.end();
    await testApp?.close();
  });

  async function check(id: number): Promise<void> {
    const history = await api.get<PriceEntry[]>(`/listings/${id}/prices?limit=1000`);
    const summary = await api.get<PriceSummary>(`/listings/${id}/prices/summary`);
    expect(summary.status).toBe(200);
    const { days_at_current_price: days, ...rest } = summary.body;
    expect(rest).toEqual(summaryOf(id, history.body));
    expect(days).toBe(Math.floor((Date.now() - Date.parse(history.body[history.body.length - 1].created_date)) / 86_400_000));
  }

  it('after every step of a random walk of prices: rises, drops, repeats (no entry) and zeros', async () => {
    const next = random(11);
    const choices = [0, 1, 99_999, 100_000, 100_001, 250_000, 999_999_999_999];
    const listings: { id: number; body: Record<string, unknown> }[] = [];
    for (const price of [100_000, 0, 999_999_999_999]) {
      const body = aListing({ latest_price_eur: price });
      const created = await api.post<Listing>('/listings', body);
      listings.push({ id: created.body.id, body });
      await check(created.body.id);
    }
    for (let step = 0; step < 60; step++) {
      const listing = listings[Math.floor(next() * listings.length)];
      const price = choices[Math.floor(next() * choices.length)];
      expect((await api.put(`/listings/${listing.id}`, { ...listing.body, latest_price_eur: price })).status).toBe(200);
      await check(listing.id);
    }
    expect(await summaryMismatches(db, [ownerId])).toEqual([]);
  });

  it('after 300 concurrent PUTs on three listings, some repeating the price they race with', async () => {
    const listings = await Promise.all(
      [500_000, 400_000, 300_000].map(async (price) => {
        const body = aListing({ latest_price_eur: price });
        return { id: (await api.post<Listing>('/listings', body)).body.id, body };
      }),
    );
    const next = random(42);
    // Few distinct prices: whether a PUT appends an entry depends on the order the row lock gives them.
    const writes = Array.from({ length: 300 }, () => ({ listing: listings[Math.floor(next() * 3)], price: 100_000 * (1 + Math.floor(next() * 6)) }));

    const responses = await Promise.all(writes.map(({ listing, price }) => api.put<Listing>(`/listings/${listing.id}`, { ...listing.body, latest_price_eur: price })));

    expect(responses.every((response) => response.status === 200)).toBe(true);
    for (const listing of listings) await check(listing.id);
    expect(await summaryMismatches(db, [ownerId])).toEqual([]);
  }, 180_000);

  it('for every listing in the database, in one snapshot', async () => {
    expect(await summaryMismatches(db)).toEqual([]);
  });

  it('the migration\'s backfill computes the same summaries from the history', async () => {
    const created = await api.post<Listing>('/listings', aListing({ latest_price_eur: 100_000 }));
    for (const price of [120_000, 90_000, 95_000]) {
      await api.put(`/listings/${created.body.id}`, aListing({ latest_price_eur: price }));
    }
    const directory = join(__dirname, '..', 'prisma', 'migrations');
    const migration = readdirSync(directory).find((name) => name.endsWith('_price_summary'));
    const sql = readFileSync(join(directory, migration!, 'migration.sql'), 'utf8');
    const backfill = /^UPDATE "listing" AS l[\s\S]*?;$/m.exec(sql)?.[0];
    // Run on this file's listings only: as written it updates, and so locks until the rollback, every
    // listing of the run's database, which other files are writing to.
    expect(backfill).toMatch(/WHERE h\."listing_id" = l\."id";$/);
    const ownBackfill = `${backfill!.slice(0, -1)} AND l."owner_id" = $1`;

    const client = await db.connect();
    try {
      await client.query('BEGIN');
      // What a listing written before the migration looks like to it: a summary that is not its history's
      // (a one-entry summary of its current price, which the table's check allows).
      await client.query(
        `UPDATE listing SET price_entries = 1, first_price_eur = latest_price_eur, previous_price_eur = NULL, min_price_eur = latest_price_eur,
           max_price_eur = latest_price_eur, price_changed_date = NULL, price_drop_pct = 0 WHERE owner_id = $1`,
        [ownerId],
      );
      expect((await summaryMismatches(client, [ownerId])).map((m) => m.id)).toContain(created.body.id);
      await client.query(ownBackfill, [ownerId]);
      expect(await summaryMismatches(client, [ownerId])).toEqual([]);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
