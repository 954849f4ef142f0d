import { randomBytes } from 'node:crypto';
import { ApiClient, nextPageUrl } from './support/http';
import { Listing, PriceEntry, aListing } from './support/listings';
import { TestApp, signUp, startTestApp } from './support/test-app';

describe('key pagination', () => {
  let testApp: TestApp;
  let api: ApiClient;
  // A city no other test file uses: the listings in it are this file's, however many others the run creates.
  const city = `Pageville-${randomBytes(4).toString('hex')}`;
  const inCity = (overrides: Record<string, unknown> = {}) =>
    aListing({ postal_address: { street_address: '1 rue des Pages', postal_code: '75010', city, country: 'FR' }, ...overrides });
  let ids: number[];

  beforeAll(async () => {
    testApp = await startTestApp();
    api = (await signUp(testApp)).api;
    ids = [];
    for (let i = 0; i < 12; i += 1) ids.push((await api.post<Listing>('/listings', inCity())).body.id);
  });
  afterAll(() => testApp.close());

  async function walk<T>(firstPath: string): Promise<{ pages: T[][]; lastStatus: number }> {
    const pages: T[][] = [];
    let path: string | undefined = firstPath;
    let lastStatus = 0;
    while (path) {
      const response: Awaited<ReturnType<typeof api.get<T[]>>> = await api.get<T[]>(path);
      lastStatus = response.status;
      pages.push(response.body);
      path = nextPageUrl(response);
    }
    return { pages, lastStatus };
  }

  it('GET /listings follows Link rel="next" through every listing exactly once, in id order', async () => {
    const { pages, lastStatus } = await walk<Listing>(`/listings?city=${city}&limit=5`);

    expect(lastStatus).toBe(200);
    expect(pages.map((page) => page.length)).toEqual([5, 5, 2]);
    expect(pages.flat().map((l) => l.id)).toEqual(ids);
  });

  it('the last page has no Link header; a full page when more exist has one', async () => {
    const first = await api.get<Listing[]>(`/listings?city=${city}&limit=1`);
    expect(first.headers.get('link')).toMatch(/^<\/listings\?[^>]+>; rel="next"$/);
    expect(Object.fromEntries(new URL(nextPageUrl(first)!, 'http://x').searchParams)).toEqual({ city, limit: '1', cursor: expect.stringMatching(/^[A-Za-z0-9_-]+$/) });
    // All twelve on one page: it is the last one.
    const whole = await api.get<Listing[]>(`/listings?city=${city}&limit=200`);
    expect(whole.body.map((l) => l.id)).toEqual(ids);
    expect(whole.headers.get('link')).toBeNull();
    // A page exactly as long as what is left is the last one too (the server looks one row ahead).
    const exact = await api.get<Listing[]>(`/listings?city=${city}&limit=${ids.length}`);
    expect(exact.body).toHaveLength(ids.length);
    expect(exact.headers.get('link')).toBeNull();
  });

  it('defaults to 50 listings per page', async () => {
    for (let i = 0; i < 40; i += 1) ids.push((await api.post<Listing>('/listings', inCity())).body.id);
    const response = await api.get<Listing[]>(`/listings?city=${city}`);
    expect(response.body.map((l) => l.id)).toEqual(ids.slice(0, 50));
    const rest = await api.get<Listing[]>(nextPageUrl(response)!);
    expect(rest.body.map((l) => l.id)).toEqual(ids.slice(50));
    expect(rest.headers.get('link')).toBeNull();
  });

  it('price history pages follow the same rules, oldest first', async () => {
    const body = aListing({ latest_price_eur: 1 });
    const created = await api.post<Listing>('/listings', body);
    for (let price = 2; price <= 7; price += 1) await api.put(`/listings/${created.body.id}`, { ...body, latest_price_eur: price });

    const { pages } = await walk<PriceEntry>(`/listings/${created.body.id}/prices?limit=2`);
    expect(pages.map((page) => page.map((e) => e.price_eur))).toEqual([[1, 2], [3, 4], [5, 6], [7]]);
  });

  it.each([
    ['/listings?limit=0', 'limit'],
    ['/listings?limit=201', 'limit'],
    ['/listings?limit=abc', 'limit'],
    ['/listings?limit=1.5', 'limit'],
    ['/listings?sort_by=name', 'sort_by'],
    ['/listings/1/prices?limit=1001', 'limit'],
    ['/listings/1/prices?limit=-1', 'limit'],
  ])('%s is a 400 naming the parameter', async (path, field) => {
    const response = await api.get<{ message: string; errors: { field: string }[] }>(path);
    expect(response.status).toBe(400);
    expect(response.body.message).toBe('Invalid query parameters');
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field }));
  });

  it.each(['not-a-cursor', 'eyJpZCI6LTF9', 'eyJpZCI6ImEifQ', Buffer.from('{"at":"yesterday","id":"1"}').toString('base64url')])(
    'a cursor that was not issued by the server (%s) is a 400',
    async (cursor) => {
      const listings = await api.get('/listings?cursor=' + cursor);
      const prices = await api.get('/listings/1/prices?cursor=' + cursor);
      expect([listings.status, prices.status]).toEqual([400, 400]);
      expect(listings.body).toEqual({ message: expect.stringContaining('Invalid cursor') });
    },
  );
});
