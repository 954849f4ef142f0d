/**
 * The benchmark's webhook subscriptions: saved searches with random (but seeded, so every round and every run
 * gets the same ones) filters, written and removed with SQL. Each one's description starts with BENCH_MARK,
 * which is how the undo step finds them whatever happened to the run.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';

export const BENCH_MARK = 'listing-bench';
/** The service's delivery queue (libs/webhooks/src/delivery/delivery-queue.ts). */
const QUEUE = 'webhook-delivery';

export interface City {
  name: string;
  listings: number;
}

/** A subset of the service's WebhookFilter (libs/webhooks/src/dto/webhook-filter.dto.ts). */
export interface SearchFilter {
  city?: string;
  min_price?: number;
  max_price?: number;
  building_type?: string;
  min_rooms?: number;
  min_change_drop_pct?: number;
}

export interface SavedSearch {
  events: string[];
  filter: SearchFilter;
}

/** The data set's cities with their number of listings: a search's city is drawn with these weights. */
export async function loadCities(client: Client): Promise<City[]> {
  const { rows } = await client.query<{ city: string; listings: number }>('SELECT city, count(*)::int AS listings FROM listing GROUP BY city ORDER BY city');
  if (rows.length === 0) throw new Error('no listings to draw cities from');
  return rows.map((row) => ({ name: row.city, listings: row.listings }));
}

/** mulberry32: a tiny seeded generator, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const roundTo = (value: number, step: number) => Math.round(value / step) * step;

/**
 * `count` searches as people save them: a city (weighted by listings), usually a price range within the
 * range W1 writes (50 000 to 3 000 000), sometimes a building type or a minimum of rooms; 30 % are price-drop
 * alerts (min_change_drop_pct 1 to 10, price changes only), the others want every event, price changes, or
 * creations and price changes.
 */
export function savedSearches(count: number, cities: City[], seed: number): SavedSearch[] {
  const random = seededRandom(seed);
  const total = cities.reduce((sum, city) => sum + city.listings, 0);
  const pickCity = () => {
    let ticket = random() * total;
    for (const city of cities) if ((ticket -= city.listings) < 0) return city.name;
    return cities[cities.length - 1].name;
  };
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const searches: SavedSearch[] = [];
  for (let i = 0; i < count; i++) {
    const filter: SearchFilter = { city: pickCity() };
    if (random() < 0.8) filter.min_price = roundTo(50_000 + random() * 1_450_000, 10_000);
    if (random() < 0.8) filter.max_price = (filter.min_price ?? 50_000) + roundTo(100_000 + random() * 1_400_000, 10_000);
    if (random() < 0.2) filter.building_type = pick(['STUDIO', 'APARTMENT', 'HOUSE']);
    if (random() < 0.2) filter.min_rooms = 1 + Math.floor(random() * 4);
    let events: string[];
    if (random() < 0.3) {
      filter.min_change_drop_pct = 1 + Math.floor(random() * 10);
      events = ['listing.price_changed'];
    } else {
      events = pick([['*'], ['listing.price_changed'], ['listing.created', 'listing.price_changed']]);
    }
    searches.push({ events, filter });
  }
  return searches;
}

/**
 * Inserts the searches as active subscriptions of `ownerId`, search i sending to urlFor(i), each with its own
 * secret in the service's form (`whsec_` + base64 of 32 bytes). Returns their ids.
 */
export async function insertSubscriptions(client: Client, ownerId: number, searches: SavedSearch[], urlFor: (i: number) => string, label: string): Promise<number[]> {
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO webhook_subscription (owner_id, url, events, filter, description, secret)
     SELECT $1, u, string_to_array(e, ','), f::jsonb, $2, s FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS t(u, e, f, s)
     RETURNING id`,
    [
      ownerId,
      `${BENCH_MARK}: ${label}`,
      searches.map((_, i) => urlFor(i)),
      searches.map((s) => s.events.join(',')),
      searches.map((s) => JSON.stringify(s.filter)),
      searches.map(() => `whsec_${randomBytes(32).toString('base64')}`),
    ],
  );
  return rows.map((row) => row.id);
}

/** Removes the benchmark's subscriptions (their deliveries go with them, by cascade); returns how many. */
export async function removeBenchSubscriptions(client: Client): Promise<number> {
  const { rowCount } = await client.query('DELETE FROM webhook_subscription WHERE description LIKE $1', [`${BENCH_MARK}:%`]);
  return rowCount ?? 0;
}

/** The deliveries created for these subscriptions so far, and how many of them have succeeded. */
export async function deliveryCounts(client: Client, subscriptionIds: number[]): Promise<{ created: number; succeeded: number }> {
  const { rows } = await client.query<{ created: number; succeeded: number }>(
    `SELECT count(*)::int AS created, count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded FROM webhook_delivery WHERE subscription_id = ANY($1::int[])`,
    [subscriptionIds],
  );
  return rows[0];
}

const hasQueue = async (client: Client) => (await client.query<{ exists: boolean }>("SELECT to_regclass('pgboss.job') IS NOT NULL AS exists")).rows[0].exists;

/**
 * Waits until the service's delivery queue has no job waiting or running (after the subscriptions are gone, the
 * worker settles the leftover jobs quickly), so that the next measurement does not share the CPU with it.
 */
export async function waitForQueueIdle(client: Client, timeoutMs: number): Promise<{ idle: boolean; remaining: number }> {
  if (!(await hasQueue(client))) return { idle: true, remaining: 0 };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state < 'completed'", [QUEUE]);
    if (rows[0].n === 0 || Date.now() >= deadline) return { idle: rows[0].n === 0, remaining: rows[0].n };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The undo step's part: the subscriptions, and every job of the delivery queue (their deliveries are gone). */
export async function removeWebhookTraces(client: Client): Promise<void> {
  const hasSubscriptions = (await client.query<{ exists: boolean }>("SELECT to_regclass('webhook_subscription') IS NOT NULL AS exists")).rows[0].exists;
  if (hasSubscriptions) await removeBenchSubscriptions(client);
  if (await hasQueue(client)) await client.query('DELETE FROM pgboss.job WHERE name = $1', [QUEUE]);
}
