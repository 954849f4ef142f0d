import pg from 'pg';
import { type AppProcess, startAppProcess } from './support/app-process';
import { ApiClient, nextPageUrl } from './support/http';
import { type Listing, type PriceEntry, aListing } from './support/listings';
import { uniqueEmail } from './support/test-app';

/**
 * Two instances of the service, each its own OS process, on one database: concurrent PUTs with price
 * changes, sent to both, spread over a few listings. The row lock must serialise them across
 * processes exactly as within one: no history entry lost or duplicated, the listing's price is its
 * newest entry, and the history is in commit order.
 *
 * CROSS_PROCESS_NAIVE=1 runs both instances with the lock replaced by a plain read (see
 * support/app-process.ts): this test must then fail. That is how it was shown to be able to fail.
 */
const PUTS = Number(process.env.CROSS_PROCESS_PUTS ?? 1_000);
const LISTINGS = 4;
const NAIVE = process.env.CROSS_PROCESS_NAIVE === '1';
/** Listings 0 and 1 get a distinct price on every PUT; 2 and 3 cycle through these, so some PUTs change nothing. */
const FEW_PRICES = [200_000, 210_000, 220_000];

interface Sent {
  listing: number;
  price: number;
  status: number;
  response?: Listing;
  /** The body of a non-200 answer, for the failure message. */
  failure?: unknown;
}

interface StoredEntry {
  id: number;
  price_eur: number;
  created_date: string;
}

describe('two app processes on one database', () => {
  let instances: AppProcess[] = [];
  let db: pg.Client;

  beforeAll(async () => {
    const databaseUrl = process.env.TEST_DATABASE_URL;
    if (!databaseUrl) throw new Error('TEST_DATABASE_URL is not set: run e2e tests through jest');
    // Waiting for a pooled connection is expected here (1 000 requests, 10 connections each): not a 503.
    const env = { DATABASE_ACQUIRE_TIMEOUT_MS: '120000' };
    instances = await Promise.all([0, 1].map(() => startAppProcess({ databaseUrl, env, naiveListingWrites: NAIVE })));
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
  }, 180_000);

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await db?.end();
  }, 60_000);

  it(`${PUTS} concurrent PUTs with price changes over ${LISTINGS} listings, half to each process: no entry lost or duplicated, price = newest entry, commit order`, async () => {
    expect(new Set(instances.map((i) => i.pid)).size).toBe(2);
    const [first, second] = instances.map((instance) => new ApiClient(instance.baseUrl));
    const email = uniqueEmail('xproc');
    const password = 'correct horse battery staple';
    expect((await first.post('/auth/register', { email, password })).status).toBe(201);
    const login = await second.post<{ access_token: string }>('/auth/login', { email, password });
    const clients = [first.as(login.body.access_token), second.as(login.body.access_token)];

    const bodies: Record<string, unknown>[] = [];
    const created: Listing[] = [];
    for (let i = 0; i < LISTINGS; i += 1) {
      bodies.push(aListing({ latest_price_eur: 100_000 + i }));
      const response = await clients[i % 2].post<Listing>('/listings', bodies[i]);
      expect(response.status).toBe(201);
      created.push(response.body);
    }

    const sent: Sent[] = Array.from({ length: PUTS }, (_, n) => {
      const listing = n % LISTINGS;
      const round = Math.floor(n / LISTINGS);
      return { listing, price: listing < 2 ? 1_000_000 + n : FEW_PRICES[round % FEW_PRICES.length], status: 0 };
    });
    await Promise.all(
      sent.map(async (put, n) => {
        const response = await clients[n % 2].put<Listing>(`/listings/${created[put.listing].id}`, { ...bodies[put.listing], latest_price_eur: put.price });
        put.status = response.status;
        if (response.status === 200) put.response = response.body;
        else put.failure = response.body;
      }),
    );

    const problems: string[] = [];
    const statuses = countBy(sent.map((put) => put.status));
    if (statuses.get(200) !== PUTS) {
      problems.push(`statuses: ${JSON.stringify(Object.fromEntries(statuses))} (expected ${PUTS} × 200)`);
      // What the client saw and what the servers logged, so that a rare failure can be explained from one run.
      for (const put of sent.filter((p) => p.failure !== undefined).slice(0, 5)) problems.push(`PUT answered ${put.status}: ${JSON.stringify(put.failure)}`);
      for (const instance of instances) problems.push(...serverErrors(instance.output()));
    }
    for (const put of sent) {
      if (put.response && put.response.latest_price_eur !== put.price) problems.push(`a PUT of ${put.price} answered latest_price_eur ${put.response.latest_price_eur}`);
    }

    for (let i = 0; i < LISTINGS; i += 1) {
      const id = created[i].id;
      const label = `listing ${id} (${i < 2 ? 'distinct prices' : 'three prices'})`;
      const history = await historyOf(clients[i % 2], id);
      const stored = await db.query<StoredEntry>(
        `SELECT id, price_eur::float8 AS price_eur, to_char(created_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_date
         FROM listing_price WHERE listing_id = $1 ORDER BY id`,
        [id],
      );
      const puts = sent.filter((put) => put.listing === i && put.response);
      problems.push(...checkHistory(label, created[i], history, stored.rows, puts));
      // Both processes serve the same listing and the same summary.
      for (const client of clients) {
        const listing = (await client.get<Listing>(`/listings/${id}`)).body;
        const newest = history[history.length - 1];
        if (listing.latest_price_eur !== newest.price_eur) problems.push(`${label}: latest_price_eur ${listing.latest_price_eur}, newest entry ${newest.price_eur}`);
        if (Date.parse(listing.updated_date) < Date.parse(newest.created_date)) problems.push(`${label}: updated_date ${listing.updated_date} before the newest entry ${newest.created_date}`);
        const summary = (await client.get<{ entries: number; latest: PriceEntry; min_price_eur: number; max_price_eur: number }>(`/listings/${id}/prices/summary`)).body;
        const prices = history.map((e) => e.price_eur);
        const expected = { entries: history.length, latest: newest, min_price_eur: Math.min(...prices), max_price_eur: Math.max(...prices) };
        const got = { entries: summary.entries, latest: summary.latest, min_price_eur: summary.min_price_eur, max_price_eur: summary.max_price_eur };
        if (JSON.stringify(got) !== JSON.stringify(expected)) problems.push(`${label}: summary ${JSON.stringify(got)}, history says ${JSON.stringify(expected)}`);
      }
    }
    expect(dedupe(problems)).toEqual([]);
  }, 300_000);
});

/** The error and warning lines a process logged (pino JSON, level ≥ 40), at most ten. */
function serverErrors(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => /"level":(4|5|6)0/.test(line) || /Error/.test(line))
    .slice(0, 10)
    .map((line) => `server log: ${line.slice(0, 2000)}`);
}

/** The whole history, following the Link header. */
async function historyOf(api: ApiClient, id: number): Promise<PriceEntry[]> {
  const entries: PriceEntry[] = [];
  let url: string | undefined = `/listings/${id}/prices?limit=1000`;
  while (url) {
    const page: Awaited<ReturnType<typeof api.get<PriceEntry[]>>> = await api.get<PriceEntry[]>(url);
    expect(page.status).toBe(200);
    entries.push(...page.body);
    url = nextPageUrl(page);
  }
  return entries;
}

/**
 * What the history of one listing must be after the PUTs, whatever order they committed in:
 * - the API's order (created_date, id) is the insertion order (ids come from a sequence, drawn under
 *   the row lock, so in commit order);
 * - no two consecutive entries have the same price (a PUT that does not change the price appends nothing);
 * - every entry after the first is the change of one acknowledged PUT: same price, stamped with that
 *   PUT's updated_date, and no PUT accounts for two entries (nothing duplicated);
 * - every acknowledged PUT is in the history: either its entry, or the price in force at its
 *   updated_date is its price (it changed nothing) — nothing lost;
 * - with distinct prices, exactly one entry per PUT.
 */
function checkHistory(label: string, created: Listing, history: PriceEntry[], stored: StoredEntry[], puts: Sent[]): string[] {
  const problems: string[] = [];
  const key = (e: { price_eur: number; created_date: string }) => `${e.price_eur}@${e.created_date}`;
  const storedOrder = stored.map(key);
  const apiOrder = history.map(key);
  if (storedOrder.join() !== apiOrder.join()) {
    const at = apiOrder.findIndex((k, n) => k !== storedOrder[n]);
    problems.push(`${label}: the history is not in commit order: entry ${at} is ${apiOrder[at]} by date but ${storedOrder[at]} by insertion`);
  }
  if (key(history[0]) !== `${created.latest_price_eur}@${created.created_date}`) problems.push(`${label}: first entry ${key(history[0])}, created at ${created.latest_price_eur}`);
  for (let n = 1; n < history.length; n += 1) {
    if (history[n].price_eur === history[n - 1].price_eur) problems.push(`${label}: entries ${n - 1} and ${n} both have price ${history[n].price_eur} (a duplicated entry)`);
  }
  const acknowledged = countBy(puts.map((put) => `${put.price}@${put.response?.updated_date}`));
  const appended = countBy(history.slice(1).map(key));
  for (const [entry, count] of appended) {
    if (count > (acknowledged.get(entry) ?? 0)) problems.push(`${label}: entry ${entry} appears ${count} times, acknowledged ${acknowledged.get(entry) ?? 0} times`);
  }
  for (const put of puts) {
    const at = put.response!.updated_date;
    if (appended.has(`${put.price}@${at}`)) continue;
    const inForce = new Set([...history.filter((e) => e.created_date === at).map((e) => e.price_eur), history.filter((e) => e.created_date < at).at(-1)?.price_eur]);
    if (!inForce.has(put.price)) problems.push(`${label}: the PUT of ${put.price} acknowledged at ${at} is lost: no entry, and the price then was ${[...inForce].join(' or ')}`);
  }
  const distinct = puts.length > 0 && new Set(puts.map((put) => put.price)).size === puts.length;
  if (distinct && history.length !== 1 + puts.length) problems.push(`${label}: ${history.length} entries for 1 creation + ${puts.length} price changes`);
  return problems;
}

function countBy<T>(values: T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** The first few of each kind of problem, so a broken run prints a readable list. */
function dedupe(problems: string[]): string[] {
  const byKind = new Map<string, string[]>();
  for (const problem of problems) {
    const kind = problem.replace(/\d+/g, '#');
    byKind.set(kind, [...(byKind.get(kind) ?? []), problem]);
  }
  return [...byKind.values()].flatMap((list) => (list.length > 3 ? [...list.slice(0, 3), `… and ${list.length - 3} more like these`] : list));
}
