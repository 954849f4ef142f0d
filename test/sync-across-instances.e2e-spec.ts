import { type ApiResponse, nextPageUrl } from './support/http';
import { Listing, aListing } from './support/listings';
import { SignedIn, TestApp, signUp, startTestApp } from './support/test-app';

/**
 * Two instances of the service (two applications, each with its own pool) on one database: what one
 * issued (an ETag, an idempotency key, a feed cursor) works on the other, since all of it lives in
 * PostgreSQL.
 */
describe('conditional GETs, idempotency keys and the change feed across instances', () => {
  let first: TestApp;
  let second: TestApp;
  let onFirst: SignedIn;

  beforeAll(async () => {
    [first, second] = await Promise.all([startTestApp(), startTestApp()]);
    onFirst = await signUp(first);
  });
  afterAll(async () => {
    await Promise.all([first.close(), second.close()]);
  });

  const sameUserOnSecond = () => second.api.as(onFirst.accessToken);

  it('an ETag from one instance is a 304 on the other', async () => {
    const created = await onFirst.api.post<Listing>('/listings', aListing());
    for (const path of [`/listings/${created.body.id}`, `/listings/${created.body.id}/prices`]) {
      const etag = (await first.api.get(path)).headers.get('etag') as string;
      expect((await second.api.get(path, { headers: { 'if-none-match': etag } })).status).toBe(304);
    }
  });

  it('a key used on one instance replays on the other, and nothing is created twice', async () => {
    const key = `across-${Date.now()}`;
    const body = aListing();
    const created = await onFirst.api.post<Listing>('/listings', body, { headers: { 'idempotency-key': key } });
    const replayed = await sameUserOnSecond().post<Listing>('/listings', body, { headers: { 'idempotency-key': key } });
    expect([created.status, replayed.status]).toEqual([201, 201]);
    expect(replayed.body).toEqual(created.body);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
  });

  it('a feed cursor from one instance continues on the other, without a gap or a repeat', async () => {
    const drain = async (app: TestApp, from: string) => {
      let url = from;
      const events: { listing_id: number; type: string }[] = [];
      for (;;) {
        const page: ApiResponse<{ listing_id: number; type: string }[]> = await app.api.get(url);
        expect(page.status).toBe(200);
        events.push(...page.body);
        url = nextPageUrl(page) as string;
        if (page.body.length === 0) return { url, events };
      }
    };
    const { url } = await drain(first, '/listings/changes?limit=1000');
    const a = await onFirst.api.post<Listing>('/listings', aListing());
    const b = await sameUserOnSecond().post<Listing>('/listings', aListing());
    // The feed shows a write once every older transaction on the server has ended, and other spec files
    // write meanwhile: follow it (for up to 30 s) until both creations are there.
    const ours = (list: { listing_id: number }[]) => list.filter((e) => [a.body.id, b.body.id].includes(e.listing_id));
    const events: { listing_id: number; type: string }[] = [];
    for (let next = url, deadline = Date.now() + 30_000; ours(events).length < 2 && Date.now() < deadline; ) {
      const drained = await drain(second, next);
      events.push(...drained.events);
      next = drained.url;
      if (ours(events).length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(ours(events)).toEqual([
      expect.objectContaining({ listing_id: a.body.id, type: 'created' }),
      expect.objectContaining({ listing_id: b.body.id, type: 'created' }),
    ]);
  });
});
