/** What a rolling upgrade must keep: every request answered (after retries), every acknowledged write, the history. */
import { Check, countBy, historyInvariant } from '../../scale/lib/checks';
import { withClient } from '../../scale/lib/postgres';
import { log } from '../../scale/lib/supervisor';
import { Attempt, MAX_ATTEMPTS, Outcome, UpgradeTraffic } from './traffic';

export interface Stop {
  instance: string;
  release: string;
  exit: string;
  ms: number;
}

export function judgeRequests(outcomes: Outcome[]): Check {
  const failed = outcomes.filter((outcome) => !outcome.ok);
  return {
    name: 'no failed request after retries (every operation got its 200/201 in the end)',
    ok: outcomes.length > 0 && failed.length === 0,
    detail: [
      `${outcomes.length} operations, ${failed.length} failed; most attempts any operation needed: ${outcomes.length ? Math.max(...outcomes.map((o) => o.attempts)) : 0} (at most ${MAX_ATTEMPTS})`,
      ...failed.slice(0, 10).map((o) => `${o.phase}: ${o.path} → ${o.status || 'no answer'} after ${o.attempts} attempts: ${o.error ?? ''}`),
    ],
  };
}

/** The old release served every kind of request against the migrated schema, which is the point of the test. */
export function judgeOldOnNewSchema(outcomes: Outcome[], phase: string): Check {
  const served = countBy(outcomes.filter((o) => o.phase === phase && o.ok).map((o) => o.op));
  const missing = ['create', 'update', 'listing', 'prices'].filter((op) => !served[op]);
  return {
    name: 'the old release kept serving creates, price changes and reads on the migrated schema',
    ok: missing.length === 0,
    detail: [`successful operations in phase "${phase}": ${JSON.stringify(served)}${missing.length ? `; none of: ${missing.join(', ')}` : ''}`],
  };
}

export function judgeStops(stops: Stop[], shutdownTimeoutMs: number): Check {
  return {
    name: `each replaced instance stopped on SIGTERM with exit 0 within SHUTDOWN_TIMEOUT_MS=${shutdownTimeoutMs} ms + 2 s`,
    ok: stops.length === 2 && stops.every((stop) => stop.exit === 'exit 0' && stop.ms <= shutdownTimeoutMs + 2000),
    detail: stops.map((stop) => `${stop.instance} (${stop.release}): ${stop.exit} after ${stop.ms} ms`),
  };
}

export async function judgeMigrations(primaryUrl: string, expected: string[]): Promise<Check> {
  const rows = await withClient(primaryUrl, async (client) => (await client.query<{ name: string; finished: boolean }>('SELECT migration_name AS name, finished_at IS NOT NULL AND rolled_back_at IS NULL AS finished FROM _prisma_migrations')).rows);
  const applied = new Set(rows.filter((row) => row.finished).map((row) => row.name));
  const missing = expected.filter((name) => !applied.has(name));
  return {
    name: "HEAD's migrations were applied (prisma migrate deploy) while the old release served",
    ok: missing.length === 0,
    detail: [`${expected.length} migration(s) of HEAD in _prisma_migrations, finished: ${expected.length - missing.length}${missing.length ? `; missing: ${missing.join(', ')}` : ''}`],
  };
}

/**
 * Every 201 is one listing, exactly once per Idempotency-Key (the listing's name carries the key); every
 * acknowledged price is in that listing's history, which is exactly the acknowledged prices in order,
 * starting with the creation price; and across the whole database the newest entry is the listing's price.
 */
export async function verifyUpgradeWrites(primaryUrl: string, traffic: UpgradeTraffic): Promise<Check[]> {
  return withClient(primaryUrl, async (client) => {
    const stored = new Map<string, number[]>();
    const rows = await client.query<{ name: string; id: number }>('SELECT name, id FROM listing WHERE name LIKE $1 ORDER BY id', [`upgrade-${traffic.runId} %`]);
    for (const row of rows.rows) stored.set(row.name, [...(stored.get(row.name) ?? []), row.id]);
    const acknowledged = new Set(traffic.listings.map((listing) => listing.name));
    const unacknowledged = new Set(traffic.unacknowledgedKeys.map((key) => `upgrade-${traffic.runId} ${key}`));
    const lost: string[] = [];
    const duplicated: string[] = [];
    for (const listing of traffic.listings) {
      const ids = stored.get(listing.name) ?? [];
      if (!ids.includes(listing.id)) lost.push(`${listing.key} (#${listing.id})`);
      if (ids.length > 1) duplicated.push(`${listing.key}: #${ids.join(', #')}`);
    }
    for (const [name, ids] of stored) {
      if (!acknowledged.has(name) && (ids.length > 1 || !unacknowledged.has(name))) duplicated.push(`${name}: #${ids.join(', #')} never acknowledged`);
    }

    const history = new Map<number, number[]>();
    const ids = traffic.listings.map((listing) => listing.id);
    const entries = await client.query<{ id: number; price: string }>('SELECT listing_id AS id, price_eur::text AS price FROM listing_price WHERE listing_id = ANY($1::int[]) ORDER BY listing_id, created_date, id', [ids]);
    for (const entry of entries.rows) history.set(entry.id, [...(history.get(entry.id) ?? []), Number(entry.price)]);
    const wrongHistory: string[] = [];
    let changes = 0;
    for (const listing of traffic.listings) {
      changes += listing.prices.length - 1;
      const got = (history.get(listing.id) ?? []).join();
      // A PUT that never got its 200 may have been applied: then it is the newest entry, once.
      const accepted = [listing.prices, ...(listing.inDoubt === undefined ? [] : [[...listing.prices, listing.inDoubt]])].map((prices) => prices.join());
      if (!accepted.includes(got)) wrongHistory.push(`#${listing.id}: acknowledged ${listing.prices.join(',')}${listing.inDoubt ? ` (+${listing.inDoubt}?)` : ''}, history ${got || '(none)'}`);
    }
    const invariant = await historyInvariant(client);
    const repeated = Number((await client.query<{ n: string }>(`
      SELECT count(*) AS n FROM (
        SELECT price_eur, lag(price_eur) OVER (PARTITION BY listing_id ORDER BY created_date, id) AS previous FROM listing_price
      ) entries WHERE price_eur = previous`)).rows[0].n);

    return [
      {
        name: 'no acknowledged write lost: every 201 is stored, exactly once per Idempotency-Key',
        ok: lost.length === 0 && duplicated.length === 0,
        detail: [
          `${traffic.listings.length} acknowledged creates, ${rows.rowCount} stored listings of this run; keys never acknowledged: ${traffic.unacknowledgedKeys.length}`,
          ...lost.slice(0, 10).map((key) => `lost: ${key}`),
          ...duplicated.slice(0, 10).map((line) => `more than once: ${line}`),
        ],
      },
      {
        name: 'price history invariant: starts with the creation price, holds exactly the acknowledged changes, newest = latest_price_eur, no repeated entry',
        ok: wrongHistory.length === 0 && invariant.mismatched === 0 && invariant.withoutEntry === 0 && repeated === 0,
        detail: [
          `this run's ${traffic.listings.length} listings, ${changes} acknowledged price changes: ${traffic.listings.length - wrongHistory.length} have exactly their acknowledged prices as history`,
          `all ${invariant.listings} listings: ${invariant.mismatched} with latest_price_eur ≠ newest entry, ${invariant.withoutEntry} without any entry; ${repeated} entries repeating the previous price`,
          ...wrongHistory.slice(0, 10),
        ],
      },
    ];
  });
}

/** Per phase: requests sent (retries included), retries, operations, failures, and the non-2xx statuses seen. */
export function printPhases(phases: { name: string; seconds: number }[], attempts: Attempt[], outcomes: Outcome[]): void {
  log(`\n  ${'phase'.padEnd(34)} ${'s'.padStart(5)} ${'requests'.padStart(8)} ${'retries'.padStart(7)} ${'ops'.padStart(6)} ${'failed'.padStart(6)}  non-2xx answers (before retries)`);
  const row = (name: string, seconds: string, a: Attempt[], o: Outcome[]) => {
    const non2xx = countBy(a.filter((x) => x.status < 200 || x.status >= 300).map((x) => `${x.op} ${x.status || 'no answer'}`));
    log(`  ${name.padEnd(34)} ${seconds.padStart(5)} ${String(a.length).padStart(8)} ${String(a.filter((x) => x.retry > 0).length).padStart(7)} ${String(o.length).padStart(6)} ${String(o.filter((x) => !x.ok).length).padStart(6)}  ${JSON.stringify(non2xx)}`);
  };
  for (const phase of phases) row(phase.name, phase.seconds.toFixed(1), attempts.filter((a) => a.phase === phase.name), outcomes.filter((o) => o.phase === phase.name));
  row('all', phases.reduce((sum, phase) => sum + phase.seconds, 0).toFixed(1), attempts, outcomes);
}
