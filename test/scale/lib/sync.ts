/**
 * The sync-and-retry features across instances: nothing of them is kept in process memory, so an ETag
 * issued by one instance is honoured by the other, an Idempotency-Key sent to one is replayed by the
 * other, and the change feed read through nginx (either instance, any page) holds every committed
 * change of the run exactly once, in each listing's own order.
 */
import { type Answer, HttpClient, json, nextPage } from './http';
import type { Check } from './checks';
import { withClient } from './postgres';
import { listingBody } from './traffic';

export interface FeedEvent {
  sequence: number;
  listing_id: number;
  type: 'created' | 'updated' | 'price_changed' | 'deleted';
  at: string;
  latest_price_eur: number | null;
}

const PASSWORD = 'scale test password';

/** `apps`: the two instances' base URLs, both running. `seeded`: listings 1..seeded were inserted by SQL (no events). */
export async function probeSync(apps: [string, string], nginxUrl: string, primaryUrl: string, runId: string, seeded: number): Promise<Check> {
  const detail: string[] = [];
  const problems: string[] = [];
  const [one, two] = apps.map((url) => new HttpClient(url, '127.0.201.1'));
  const viaNginx = new HttpClient(nginxUrl, '127.0.201.2');
  try {
    const email = `sync-${runId}@example.test`;
    await one.request('POST', '/auth/register', { body: { email, password: PASSWORD } });
    const token = json<{ access_token: string }>(await two.request('POST', '/auth/login', { body: { email, password: PASSWORD } }))?.access_token;
    if (!token) return { name: 'sync and retry across instances', ok: false, detail: ['could not sign in'] };

    // Idempotency-Key: the retry goes to the other instance.
    const key = `scale-${runId}`;
    const body = listingBody(`Sync ${runId}`, 400_000);
    const first = await one.request('POST', '/listings', { token, body, headers: { 'idempotency-key': key } });
    const retry = await two.request('POST', '/listings', { token, body, headers: { 'idempotency-key': key } });
    const id = json<{ id: number }>(first)?.id;
    const copies = await withClient(primaryUrl, async (db) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM listing WHERE name = $1', [body.name])).rows[0].n);
    detail.push(`Idempotency-Key: app1 ${first.status}, retry on app2 ${retry.status} (replayed: ${String(retry.headers['idempotent-replayed'])}), listings created: ${copies}`);
    if (first.status !== 201 || retry.status !== 201 || json<{ id: number }>(retry)?.id !== id || retry.headers['idempotent-replayed'] !== 'true' || copies !== 1) {
      problems.push('the retried create was not replayed once');
    }

    // ETag: issued by app1, revalidated by app2; a price change through app2 changes the history's.
    const etags: string[] = [];
    for (const path of [`/listings/${id}`, `/listings/${id}/prices`]) {
      const fresh = await one.request('GET', path);
      const etag = String(fresh.headers.etag ?? '');
      const again = await two.request('GET', path, { headers: { 'if-none-match': etag } });
      etags.push(etag);
      detail.push(`ETag of ${path}: app1 ${fresh.status} ${etag}, app2 with If-None-Match ${again.status}`);
      if (fresh.status !== 200 || !etag || again.status !== 304 || again.body !== '') problems.push(`${path}: no 304 from the other instance`);
    }
    const changed = await two.request('PUT', `/listings/${id}`, { token, body: { ...body, latest_price_eur: 390_000 } });
    // With the token, as the writer reads after its own write: served by the primary. An anonymous read goes to
    // the replica, which may not have the change yet (a 304 for a few milliseconds is replica lag, not an ETag bug).
    const stale = await one.request('GET', `/listings/${id}/prices`, { token, headers: { 'if-none-match': etags[1] } });
    detail.push(`after a price change on app2: history on app1 with the old ETag ${stale.status}`);
    if (changed.status !== 200 || stale.status !== 200) problems.push('the history was not sent again after its price changed');

    const { events, problem } = await readChangeFeed(viaNginx);
    if (problem) problems.push(problem);
    const sequences = new Set(events.map((e) => e.sequence));
    // Every listing the API created (ids above the seeded ones): its created and price_changed events,
    // in feed order, are its price history, entry for entry.
    const histories = await withClient(primaryUrl, async (db) =>
      (await db.query<{ listing_id: number; prices: string[] }>(
        'SELECT listing_id, array_agg(price_eur::text ORDER BY created_date, id) AS prices FROM listing_price WHERE listing_id > $1 GROUP BY listing_id',
        [seeded],
      )).rows,
    );
    const fromFeed = new Map<number, string[]>();
    for (const e of events) {
      if (e.type !== 'created' && e.type !== 'price_changed') continue;
      fromFeed.set(e.listing_id, [...(fromFeed.get(e.listing_id) ?? []), String(e.latest_price_eur)]);
    }
    const wrong = histories.filter((h) => JSON.stringify(fromFeed.get(h.listing_id) ?? []) !== JSON.stringify(h.prices));
    const changes = histories.reduce((n, h) => n + h.prices.length, 0);
    detail.push(`change feed via nginx: ${events.length} events, ${sequences.size} distinct; ${histories.length} listings created through the API, ${changes} prices: ${histories.length - wrong.length} match their history exactly`);
    if (sequences.size !== events.length) problems.push(`${events.length - sequences.size} events seen twice`);
    for (const h of wrong.slice(0, 3)) problems.push(`listing ${h.listing_id}: history ${h.prices.join(',')}, feed ${(fromFeed.get(h.listing_id) ?? []).join(',') || 'nothing'}`);
    if (wrong.length > 3) problems.push(`… and ${wrong.length - 3} more listings`);
  } finally {
    for (const client of [one, two, viaNginx]) client.close();
  }
  return { name: 'sync and retry across instances (Idempotency-Key replayed by the other instance, its ETags honoured, the change feed whole)', ok: problems.length === 0, detail: [...detail, ...problems] };
}

/** The change feed (GET /listings/changes) from the start until an empty page; `problem` names a page that failed. */
export async function readChangeFeed(client: HttpClient): Promise<{ events: FeedEvent[]; problem?: string }> {
  const events: FeedEvent[] = [];
  let path = '/listings/changes?limit=1000';
  for (let pages = 0; pages < 10_000; pages++) {
    const page: Answer = await client.request('GET', path);
    const got = json<FeedEvent[]>(page);
    if (page.status !== 200 || !got) return { events, problem: `feed page ${pages + 1}: ${page.status} ${page.body.slice(0, 200)}` };
    events.push(...got);
    const next = nextPage(page);
    if (got.length === 0 || !next) break;
    path = next;
  }
  return { events };
}
