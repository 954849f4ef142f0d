import pg from 'pg';
import { ChangeFeedService } from '@app/listings';
import { createSuiteDatabase, type TestDatabase } from './setup/test-database';
import { ApiClient, type ApiResponse, nextPageUrl } from './support/http';
import { Listing, PriceEntry, aListing } from './support/listings';
import { SignedIn, TestApp, signUp, startTestApp } from './support/test-app';

interface ListingEvent {
  sequence: number;
  listing_id: number;
  type: 'created' | 'updated' | 'price_changed' | 'deleted';
  at: string;
  latest_price_eur: number | null;
}

/**
 * GET /listings/changes, on a database of this file's own: its retention purge moves the feed's purge
 * horizon for every reader of the database (another file's cursor would become a 410), and the feed from
 * the start is then this file's events alone. Each test still looks only at the events of the listings
 * it wrote.
 */
describe('change feed', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let owner: SignedIn;
  let db: pg.Pool;

  beforeAll(async () => {
    database = await createSuiteDatabase();
    testApp = await startTestApp({}, database.url);
    owner = await signUp(testApp);
    db = new pg.Pool({ connectionString: database.url, max: 2 });
  });
  afterAll(async () => {
    await db?.end();
    await testApp?.close();
    await database?.dispose();
  });

  const poll = (url: string) => testApp.api.get<ListingEvent[]>(url);
  const nextOf = (response: ApiResponse) => {
    const next = nextPageUrl(response);
    expect(next).toMatch(/^\/listings\/changes\?/);
    return next as string;
  };

  /** Follows the feed to its current end: the URL to poll from now on, and every event on the way. */
  async function drain(from = '/listings/changes?limit=1000'): Promise<{ next: string; events: ListingEvent[] }> {
    const events: ListingEvent[] = [];
    let url = from;
    for (;;) {
      const page = await poll(url);
      expect(page.status).toBe(200);
      events.push(...page.body);
      url = nextOf(page);
      if (page.body.length === 0) return { next: url, events };
    }
  }

  /**
   * Follows the feed from `from` until `complete` holds for the events seen on the way (or 30 s have
   * passed). The feed shows an event once every transaction older than the one that wrote it has ended,
   * on the whole server (transaction ids are server-wide, whatever the database), so a transaction of
   * another spec file that is still running holds this file's newest events back while it runs.
   */
  async function drainUntil(from: string, complete: (events: ListingEvent[]) => boolean): Promise<{ next: string; events: ListingEvent[] }> {
    const deadline = Date.now() + 30_000;
    const events: ListingEvent[] = [];
    let next = from;
    for (;;) {
      const drained = await drain(next);
      events.push(...drained.events);
      next = drained.next;
      if (complete(events) || Date.now() > deadline) return { next, events };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const hasEvent = (listingId: number, type: ListingEvent['type']) => (events: ListingEvent[]) => events.some((e) => e.listing_id === listingId && e.type === type);

  it('a create, a PUT with and without a price change and a DELETE: four events in order, with the prices until the DELETE', async () => {
    const { next: start } = await drain();
    const body = aListing({ latest_price_eur: 250_000 });
    const created = await owner.api.post<Listing>('/listings', body);
    const id = created.body.id;
    const repriced = await owner.api.put<Listing>(`/listings/${id}`, { ...body, latest_price_eur: 240_000 });
    const renamed = await owner.api.put<Listing>(`/listings/${id}`, { ...body, latest_price_eur: 240_000, name: 'Renamed' });
    const live = (await drainUntil(start, (events) => events.filter((e) => e.listing_id === id).length >= 3)).events.filter((e) => e.listing_id === id);
    expect(live.map(({ type, at, latest_price_eur }) => ({ type, at, latest_price_eur }))).toEqual([
      { type: 'created', at: created.body.created_date, latest_price_eur: 250_000 },
      { type: 'price_changed', at: repriced.body.updated_date, latest_price_eur: 240_000 },
      { type: 'updated', at: renamed.body.updated_date, latest_price_eur: null },
    ]);
    expect((await owner.api.delete(`/listings/${id}`)).status).toBe(204);

    // After the DELETE the earlier events lose their prices (see the next test).
    const mine = (await drainUntil(start, hasEvent(id, 'deleted'))).events.filter((e) => e.listing_id === id);
    expect(mine.map(({ type, at, latest_price_eur }) => ({ type, at, latest_price_eur }))).toEqual([
      { type: 'created', at: created.body.created_date, latest_price_eur: null },
      { type: 'price_changed', at: repriced.body.updated_date, latest_price_eur: null },
      { type: 'updated', at: renamed.body.updated_date, latest_price_eur: null },
      { type: 'deleted', at: expect.any(String), latest_price_eur: null },
    ]);
    expect(Date.parse(mine[3].at)).toBeGreaterThanOrEqual(Date.parse(renamed.body.updated_date));
    const sequences = mine.map((e) => e.sequence);
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
  });

  it('after a DELETE the listing\'s earlier events stay where they were, without its prices; other listings keep theirs', async () => {
    const { next: start } = await drain();
    const body = aListing({ latest_price_eur: 410_000 });
    const doomed = (await owner.api.post<Listing>('/listings', body)).body.id;
    expect((await owner.api.put<Listing>(`/listings/${doomed}`, { ...body, latest_price_eur: 395_000 })).status).toBe(200);
    const otherBody = aListing({ latest_price_eur: 520_000 });
    const kept = (await owner.api.post<Listing>('/listings', otherBody)).body.id;
    expect((await owner.api.put<Listing>(`/listings/${kept}`, { ...otherBody, latest_price_eur: 530_000 })).status).toBe(200);
    const ours = (events: ListingEvent[]) => events.filter((e) => e.listing_id === doomed || e.listing_id === kept);

    const { next: seen, events: beforeEvents } = await drainUntil(start, (events) => ours(events).length >= 4);
    const before = ours(beforeEvents);
    expect(before.map(({ listing_id, type, latest_price_eur }) => ({ listing_id, type, latest_price_eur }))).toEqual([
      { listing_id: doomed, type: 'created', latest_price_eur: 410_000 },
      { listing_id: doomed, type: 'price_changed', latest_price_eur: 395_000 },
      { listing_id: kept, type: 'created', latest_price_eur: 520_000 },
      { listing_id: kept, type: 'price_changed', latest_price_eur: 530_000 },
    ]);

    expect((await owner.api.delete(`/listings/${doomed}`)).status).toBe(204);
    expect((await testApp.api.get(`/listings/${doomed}`)).status).toBe(404);

    // From the start again: the same events in the same order (same sequence numbers), the deleted
    // listing's without a price, then its `deleted` event; the other listing's untouched.
    const after = ours((await drainUntil(start, hasEvent(doomed, 'deleted'))).events);
    expect(after).toEqual([
      ...before.map((e) => (e.listing_id === doomed ? { ...e, latest_price_eur: null } : e)),
      { sequence: expect.any(Number), listing_id: doomed, type: 'deleted', at: expect.any(String), latest_price_eur: null },
    ]);
    // They kept their feed positions too: a cursor taken after them before the DELETE now leads to the deleted event only.
    expect(ours((await drainUntil(seen, hasEvent(doomed, 'deleted'))).events).map(({ listing_id, type }) => ({ listing_id, type }))).toEqual([{ listing_id: doomed, type: 'deleted' }]);
  });

  it('a DELETE neither waits for nor deadlocks with a retention purge that is deleting some of the listing\'s events', async () => {
    const { next: start } = await drain();
    const body = aListing({ latest_price_eur: 610_000 });
    const id = (await owner.api.post<Listing>('/listings', body)).body.id;
    expect((await owner.api.put<Listing>(`/listings/${id}`, { ...body, latest_price_eur: 600_000 })).status).toBe(200);
    const purge = await db.connect();
    try {
      // As the purge does, in a transaction still open: its oldest event deleted, so locked.
      await purge.query('BEGIN');
      await purge.query('DELETE FROM listing_event WHERE sequence = (SELECT min(sequence) FROM listing_event WHERE listing_id = $1)', [id]);
      const waited = new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 3_000).unref());
      const deleted = await Promise.race([owner.api.delete(`/listings/${id}`), waited]);
      expect(deleted === 'waited' ? deleted : deleted.status).toBe(204);
      await purge.query('COMMIT');
    } finally {
      await purge.query('ROLLBACK').catch(() => undefined);
      purge.release();
    }
    const mine = (await drainUntil(start, hasEvent(id, 'deleted'))).events.filter((e) => e.listing_id === id);
    expect(mine.map(({ type, latest_price_eur }) => ({ type, latest_price_eur }))).toEqual([
      { type: 'price_changed', latest_price_eur: null },
      { type: 'deleted', latest_price_eur: null },
    ]);
  });

  it('with nothing new, the page is empty and its Link keeps the same cursor; the next change then shows up there', async () => {
    // Every earlier test waited for all of its events: nothing else writes to this database.
    const { next } = await drain();
    const empty = await poll(next);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual([]);
    expect(nextOf(empty)).toBe(next);

    const created = await owner.api.post<Listing>('/listings', aListing());
    const { events } = await drainUntil(next, hasEvent(created.body.id, 'created'));
    expect(events.filter((e) => e.listing_id === created.body.id).map((e) => e.type)).toEqual(['created']);
  });

  it('pages follow each other through Link with `limit` events each', async () => {
    const { next: start } = await drain();
    const ids: number[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await owner.api.post<Listing>('/listings', aListing())).body.id);
    // Once all five are in the feed, page through them from the start.
    await drainUntil(start, (events) => ids.every((id) => events.some((e) => e.listing_id === id)));
    const first = await poll(start.replace('limit=1000', 'limit=2'));
    expect(first.body).toHaveLength(2);
    const { events } = await drain(nextOf(first));
    const all = [...first.body, ...events].filter((e) => ids.includes(e.listing_id));
    expect(all.map((e) => e.listing_id)).toEqual(ids);
  });

  it('a malformed cursor or limit is a 400 with a message', async () => {
    for (const query of ['after=not-a-cursor', `after=${Buffer.from('{"tx":"1"}').toString('base64url')}`, 'limit=0', 'limit=1001', 'after=']) {
      const response = await testApp.api.get<{ message: string }>(`/listings/changes?${query}`);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(response.body.message).toEqual(expect.any(String));
    }
  });

  it('a cursor older than the retention is a 410 with a message; a cursor after the purged events still works', async () => {
    const { next: before } = await drain();
    const purgedListing = (await owner.api.post<Listing>('/listings', aListing())).body.id;
    const { next: after } = await drainUntil(before, hasEvent(purgedListing, 'created'));
    // Age this listing's events past the retention (7 days by default), then run the purge.
    await db.query(`UPDATE listing_event SET at = now() - interval '8 days' WHERE listing_id = $1`, [purgedListing]);
    await testApp.app.get(ChangeFeedService).purgeExpired();
    expect((await db.query('SELECT 1 FROM listing_event WHERE listing_id = $1', [purgedListing])).rowCount).toBe(0);

    const gone = await testApp.api.get<{ message: string }>(before);
    expect(gone.status).toBe(410);
    expect(gone.body.message).toMatch(/purged/);
    expect((await poll(after)).status).toBe(200);
  });

  it('with 24 concurrent writers and a poller, the poller sees every committed change exactly once, each listing in its history order', async () => {
    const { next: start } = await drain();
    const writers = await Promise.all(Array.from({ length: 4 }, () => signUp(testApp)));
    const bodies = new Map<number, Record<string, unknown>>();
    const ownerOf = new Map<number, SignedIn>();
    const live: number[] = [];
    for (let i = 0; i < 16; i += 1) {
      const writer = writers[i % writers.length];
      const body = aListing({ latest_price_eur: 100_000 + i });
      const created = await writer.api.post<Listing>('/listings', body);
      bodies.set(created.body.id, body);
      ownerOf.set(created.body.id, writer);
      live.push(created.body.id);
    }
    /** Acknowledged writes: each must be exactly one event, keyed by listing and instant. */
    const acknowledged: { listing_id: number; at: string }[] = [];
    const deleted = new Set<number>();
    for (const id of live) acknowledged.push({ listing_id: id, at: '' });
    let nextPrice = 1_000_000;

    // The poller follows the feed, in small pages, while the writers write.
    const seen: ListingEvent[] = [];
    let pollerUrl = start.replace('limit=1000', 'limit=7');
    let writing = true;
    const poller = (async () => {
      while (writing) {
        const page = await poll(pollerUrl);
        expect(page.status).toBe(200);
        seen.push(...page.body);
        pollerUrl = nextOf(page);
        if (page.body.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    const writer = async (w: number) => {
      for (let op = 0; op < 25; op += 1) {
        const roll = (w * 31 + op * 17) % 20;
        if (roll === 0) {
          const author = writers[w % writers.length];
          const body = aListing({ latest_price_eur: (nextPrice += 1) });
          const created = await author.api.post<Listing>('/listings', body);
          expect(created.status).toBe(201);
          bodies.set(created.body.id, body);
          ownerOf.set(created.body.id, author);
          live.push(created.body.id);
          acknowledged.push({ listing_id: created.body.id, at: created.body.created_date });
          continue;
        }
        const id = live[(w * 7 + op * 13) % live.length];
        const api: ApiClient = (ownerOf.get(id) as SignedIn).api;
        if (roll === 1 && live.length > 8) {
          live.splice(live.indexOf(id), 1);
          const response = await api.delete(`/listings/${id}`);
          expect([204, 404]).toContain(response.status);
          if (response.status === 204) {
            deleted.add(id);
            acknowledged.push({ listing_id: id, at: 'deleted' });
          }
          continue;
        }
        // Mostly new prices, sometimes the same body again (an `updated` event).
        const body = roll < 15 ? { ...bodies.get(id), latest_price_eur: (nextPrice += 1) } : bodies.get(id);
        const response = await api.put<Listing>(`/listings/${id}`, body);
        expect([200, 404]).toContain(response.status);
        if (response.status === 200) acknowledged.push({ listing_id: id, at: response.body.updated_date });
      }
    };
    await Promise.all(Array.from({ length: 24 }, (_, w) => writer(w)));

    // Then poll until every acknowledged write has shown up (bounded: transactions of other spec files, on
    // the same server, may hold the horizon back briefly).
    const ours = () => seen.filter((e) => bodies.has(e.listing_id));
    const deadline = Date.now() + 30_000;
    while (ours().length < acknowledged.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    writing = false;
    await poller;
    const events = ours();

    // Nothing twice.
    expect(new Set(events.map((e) => e.sequence)).size).toBe(events.length);
    // Nothing missing: one event per acknowledged write, listing by listing.
    const count = (list: { listing_id: number }[], id: number) => list.filter((e) => e.listing_id === id).length;
    for (const id of bodies.keys()) expect({ id, events: count(events, id) }).toEqual({ id, events: count(acknowledged, id) });

    for (const id of bodies.keys()) {
      const history = events.filter((e) => e.listing_id === id);
      // In the order of the listing's own history: created first, deleted last, numbers and instants increasing.
      expect(history[0].type).toBe('created');
      expect(history.slice(1).every((e) => e.type !== 'created')).toBe(true);
      expect(history.map((e) => e.sequence)).toEqual([...history.map((e) => e.sequence)].sort((a, b) => a - b));
      expect(history.map((e) => e.at)).toEqual([...history.map((e) => e.at)].sort());
      if (deleted.has(id)) {
        expect(history[history.length - 1].type).toBe('deleted');
        expect(history.filter((e) => e.type === 'deleted')).toHaveLength(1);
        continue;
      }
      expect(history.some((e) => e.type === 'deleted')).toBe(false);
      // Every acknowledged PUT is an event at its updated_date.
      const acks = acknowledged.filter((a) => a.listing_id === id && a.at !== '' && a.at !== 'deleted').map((a) => a.at);
      const writes = history.filter((e) => e.type !== 'created').map((e) => e.at);
      expect(writes.filter((at) => !acks.includes(at))).toEqual([]);
      // The prices of the feed are the final history, entry for entry.
      const entries = (await testApp.api.get<PriceEntry[]>(`/listings/${id}/prices?limit=1000`)).body;
      expect(history.filter((e) => e.type !== 'updated').map((e) => ({ price_eur: e.latest_price_eur, created_date: e.at }))).toEqual(entries);
    }
  }, 120_000);
});
