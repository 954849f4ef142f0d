/**
 * Micro-benchmark: the relay's matching, `matchAll` from libs/webhooks/src/webhook-relay.ts, with 10 000 active
 * subscriptions (saved searches with random filters, as W1h's) and batches of price-change events built from
 * listings of the benchmark's data. It runs the service's production build (dist/, built by the runner), in this
 * process: the benchmark's own compilation leaves the libraries' `@app/...` imports unresolved, Nest's build
 * rewrites them. The time includes building each matched event type's body (one JSON.stringify per event and type).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import type { matchAll as MatchAll } from '../../libs/webhooks/src/webhook-relay';
import { LISTING_COLUMNS, type ListingRow, toListingView } from '../baseline/wire';
import { type City, loadCities, savedSearches, seededRandom } from './subscriptions';
import type { Unavailable } from './webhook-report';

type Interest = Parameters<typeof MatchAll>[0][number];
type RelayedEvent = Parameters<typeof MatchAll>[1][number];

export interface MatchingResult {
  subscriptions: number;
  eventsPerCall: number;
  calls: number;
  microsPerEvent: number;
  /** Deliveries the matching produced per event: how selective the random filters were. */
  deliveriesPerEvent: number;
}

export const MATCHING_SUBSCRIPTIONS = 10_000;
const EVENTS_PER_CALL = 200;

/** Where a build keeps webhook-relay.js, from its main.js (dist/apps/api/src/main.js -> dist/libs/...). */
export function relayModuleOf(appMain: string): string {
  return path.resolve(path.dirname(appMain), '..', '..', '..', 'libs', 'webhooks', 'src', 'webhook-relay.js');
}

export async function measureMatching(relayModule: string, databaseUrl: string, maxListingId: number, budgetMs: number): Promise<MatchingResult> {
  if (!existsSync(relayModule)) throw new Error(`no ${path.basename(relayModule)} in this build (it has no webhooks)`);
  const { matchAll } = (await import(pathToFileURL(relayModule).href)) as { matchAll: typeof MatchAll };

  const random = seededRandom(7);
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  let cities: City[];
  let rows: (ListingRow & { price_drop_pct: number | null })[];
  try {
    cities = await loadCities(client);
    const ids = Array.from({ length: EVENTS_PER_CALL * 2 }, () => 1 + Math.floor(random() * maxListingId));
    ({ rows } = await client.query<ListingRow & { price_drop_pct: number | null }>(`SELECT ${LISTING_COLUMNS}, price_drop_pct FROM listing WHERE id = ANY($1::int[]) LIMIT ${EVENTS_PER_CALL}`, [ids]));
  } finally {
    await client.end();
  }
  if (rows.length === 0) throw new Error('no listings sampled');

  const now = Date.now();
  const interests: Interest[] = savedSearches(MATCHING_SUBSCRIPTIONS, cities, 10).map((search, i) => ({
    id: i + 1,
    events: search.events,
    filter: search.filter,
    createdDate: new Date(now - 3_600_000),
  }));
  // Nine in ten a price change to a random price in W1's range, the rest an update without one.
  const events: RelayedEvent[] = rows.map((row, i) => {
    const priceChange = random() < 0.9;
    const price = priceChange ? 50_000 + Math.floor(random() * 2_950_000) : Number(row.latest_price_eur);
    const listing = toListingView({ ...row, latest_price_eur: String(price) }) as unknown as NonNullable<RelayedEvent['state']>['listing'];
    const drop = row.price_drop_pct;
    return {
      position: { tx: String(1_000_000 + i), sequence: String(i + 1) },
      sequence: i + 1,
      listingId: row.id,
      type: priceChange ? 'price_changed' : 'updated',
      at: new Date(now),
      latestPriceEur: priceChange ? price : null,
      previousPriceEur: priceChange ? Number(row.latest_price_eur) : null,
      state: { listing, priceDropPct: drop === null || !Number.isFinite(drop) ? null : drop },
    };
  });

  let deliveries = matchAll(interests, events).length; // warm-up (JIT), and the selectivity
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(budgetMs) * 1_000_000n;
  let calls = 0;
  do {
    deliveries = matchAll(interests, events).length;
    calls += 1;
  } while (process.hrtime.bigint() < deadline);
  const micros = Number(process.hrtime.bigint() - started) / 1000;
  return {
    subscriptions: interests.length,
    eventsPerCall: events.length,
    calls,
    microsPerEvent: micros / (calls * events.length),
    deliveriesPerEvent: deliveries / events.length,
  };
}

/** The micro-benchmark as the runner runs it, with its printed line. */
export async function matchingSection(o: { relayModule: string; databaseUrl: string; maxListingId: number; budgetMs: number; log: (line: string) => void }): Promise<MatchingResult | Unavailable> {
  o.log(`matchAll micro-benchmark (${MATCHING_SUBSCRIPTIONS} subscriptions)`);
  try {
    const m = await measureMatching(o.relayModule, o.databaseUrl, o.maxListingId, o.budgetMs);
    o.log(`  ${m.microsPerEvent.toFixed(0)} µs per event (${m.calls} × ${m.eventsPerCall} events, ${m.deliveriesPerEvent.toFixed(1)} deliveries per event)`);
    return m;
  } catch (error) {
    o.log(`  n/a: ${(error as Error).message}`);
    return { unavailable: `n/a (${(error as Error).message})` };
  }
}
