import { ApiClient, type ApiResponse, nextPageUrl } from './support/http';
import { Listing, aListing } from './support/listings';
import { TestApp, signUp, startTestApp } from './support/test-app';

/** ETag / If-None-Match on the listing, each page of its history, its summary and its chart. */
describe('conditional GETs', () => {
  let testApp: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    testApp = await startTestApp();
    api = (await signUp(testApp)).api;
  });
  afterAll(() => testApp.close());

  const etagOf = (response: ApiResponse) => {
    const etag = response.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);
    return etag as string;
  };
  const revalidate = (path: string, etag: string) => testApp.api.get(path, { headers: { 'if-none-match': etag } });

  const expectNotModified = (response: ApiResponse, etag: string) => {
    expect(response.status).toBe(304);
    expect(response.text).toBe('');
    expect(response.headers.get('etag')).toBe(etag);
    expect(response.headers.get('cache-control')).toBe('no-cache');
  };

  async function createListing(price = 100_000): Promise<{ id: number; body: Record<string, unknown> }> {
    const body = aListing({ latest_price_eur: price });
    const created = await api.post<Listing>('/listings', body);
    expect(created.status).toBe(201);
    return { id: created.body.id, body };
  }

  describe('GET /listings/{id}', () => {
    it('200 with an ETag and Cache-Control: no-cache, then 304 with no body for that ETag, in every If-None-Match form', async () => {
      const { id } = await createListing();
      const first = await testApp.api.get(`/listings/${id}`);
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toBe('no-cache');
      const etag = etagOf(first);

      expectNotModified(await revalidate(`/listings/${id}`, etag), etag);
      expectNotModified(await revalidate(`/listings/${id}`, `W/${etag}`), etag);
      expectNotModified(await revalidate(`/listings/${id}`, `"something-else", ${etag}`), etag);
      expectNotModified(await revalidate(`/listings/${id}`, '*'), etag);

      const other = await revalidate(`/listings/${id}`, '"something-else"');
      expect(other.status).toBe(200);
      expect(other.body).toEqual(first.body);
    });

    it('the ETag changes with a PUT, with or without a price change, and the old one then gets a 200', async () => {
      const { id, body } = await createListing(100_000);
      const etag0 = etagOf(await testApp.api.get(`/listings/${id}`));

      expect((await api.put(`/listings/${id}`, { ...body, name: 'Renamed, same price' })).status).toBe(200);
      const renamed = await revalidate(`/listings/${id}`, etag0);
      expect(renamed.status).toBe(200);
      expect((renamed.body as Listing).name).toBe('Renamed, same price');
      const etag1 = etagOf(renamed);
      expect(etag1).not.toBe(etag0);

      expect((await api.put(`/listings/${id}`, { ...body, name: 'Renamed, same price', latest_price_eur: 90_000 })).status).toBe(200);
      const repriced = await revalidate(`/listings/${id}`, etag1);
      expect(repriced.status).toBe(200);
      expect((repriced.body as Listing).latest_price_eur).toBe(90_000);
      expect(etagOf(repriced)).not.toBe(etag1);
    });

    it('an unknown listing is a 404 whatever If-None-Match says', async () => {
      expect((await testApp.api.get('/listings/2147483000', { headers: { 'if-none-match': '*' } })).status).toBe(404);
    });
  });

  describe('GET /listings/{id}/prices', () => {
    it('each page has its own ETag and answers 304; a PUT without a price change keeps them, a price change changes them', async () => {
      const { id, body } = await createListing(100_000);
      for (const price of [110_000, 120_000]) expect((await api.put(`/listings/${id}`, { ...body, latest_price_eur: price })).status).toBe(200);

      const page1 = await testApp.api.get(`/listings/${id}/prices?limit=2`);
      expect(page1.status).toBe(200);
      expect(page1.headers.get('cache-control')).toBe('no-cache');
      const page2Url = nextPageUrl(page1) as string;
      const page2 = await testApp.api.get(page2Url);
      expect(page2.body).toEqual([{ price_eur: 120_000, created_date: expect.any(String) }]);
      const [etag1, etag2] = [etagOf(page1), etagOf(page2)];
      expect(etag1).not.toBe(etag2);

      expectNotModified(await revalidate(`/listings/${id}/prices?limit=2`, etag1), etag1);
      expectNotModified(await revalidate(page2Url, etag2), etag2);
      // Another page's tag does not validate this one.
      expect((await revalidate(page2Url, etag1)).status).toBe(200);

      // Same price: the history did not change, so neither do its pages.
      expect((await api.put(`/listings/${id}`, { ...body, name: 'Renamed', latest_price_eur: 120_000 })).status).toBe(200);
      expectNotModified(await revalidate(`/listings/${id}/prices?limit=2`, etag1), etag1);
      expectNotModified(await revalidate(page2Url, etag2), etag2);

      // A new price appends an entry: every page's tag changes (the last page gets the new entry).
      expect((await api.put(`/listings/${id}`, { ...body, latest_price_eur: 130_000 })).status).toBe(200);
      const fresh1 = await revalidate(`/listings/${id}/prices?limit=2`, etag1);
      const fresh2 = await revalidate(page2Url, etag2);
      expect([fresh1.status, fresh2.status]).toEqual([200, 200]);
      expect((fresh2.body as { price_eur: number }[]).map((e) => e.price_eur)).toEqual([120_000, 130_000]);
      expect(etagOf(fresh1)).not.toBe(etag1);
      expect(etagOf(fresh2)).not.toBe(etag2);
      expectNotModified(await revalidate(page2Url, etagOf(fresh2)), etagOf(fresh2));
    });

    it('an unknown listing is a 404 when revalidating too', async () => {
      expect((await testApp.api.get('/listings/2147483000/prices', { headers: { 'if-none-match': '"x"' } })).status).toBe(404);
    });
  });

  describe('GET /listings/{id}/prices/summary and chart.svg', () => {
    it('the summary answers 304 until the price changes', async () => {
      const { id, body } = await createListing(200_000);
      const first = await testApp.api.get(`/listings/${id}/prices/summary`);
      const etag = etagOf(first);
      expectNotModified(await revalidate(`/listings/${id}/prices/summary`, etag), etag);

      expect((await api.put(`/listings/${id}`, { ...body, latest_price_eur: 210_000 })).status).toBe(200);
      const changed = await revalidate(`/listings/${id}/prices/summary`, etag);
      expect(changed.status).toBe(200);
      expect((changed.body as { entries: number }).entries).toBe(2);
      expect(etagOf(changed)).not.toBe(etag);
    });

    it('the chart answers 304 until the history changes, per size', async () => {
      const { id, body } = await createListing(300_000);
      const chart = await testApp.api.get(`/listings/${id}/prices/chart.svg`);
      expect(chart.status).toBe(200);
      expect(chart.headers.get('cache-control')).toBe('no-cache');
      let etag = etagOf(chart);
      let revalidated = await revalidate(`/listings/${id}/prices/chart.svg`, etag);
      // The axis ends at the current minute: a minute boundary between the two requests changes the tag
      // (and the drawing), once; two boundaries cannot pass between two requests.
      if (revalidated.status === 200) {
        expect(etagOf(revalidated)).not.toBe(etag);
        etag = etagOf(revalidated);
        revalidated = await revalidate(`/listings/${id}/prices/chart.svg`, etag);
      }
      expectNotModified(revalidated, etag);
      expect((await revalidate(`/listings/${id}/prices/chart.svg?width=400`, etag)).status).toBe(200);

      expect((await api.put(`/listings/${id}`, { ...body, latest_price_eur: 310_000 })).status).toBe(200);
      const changed = await revalidate(`/listings/${id}/prices/chart.svg`, etag);
      expect(changed.status).toBe(200);
      expect(changed.text).toContain('<svg');
      expect(etagOf(changed)).not.toBe(etag);
    });
  });
});
