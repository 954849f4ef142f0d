import { ApiClient, nextPageUrl } from './support/http';
import { Listing, PriceEntry, aListing } from './support/listings';
import { TestApp, signUp, startTestApp } from './support/test-app';

describe('key pagination', () => {
  let testApp: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    testApp = await startTestApp();
    api = (await signUp(testApp)).api;
    // Enough rows that the default page size (50) cannot hold them all, whatever else the run created.
    for (let i = 0; i < 12; i += 1) await api.post('/listings', aListing());
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
    const all = (await api.get<Listing[]>('/listings?limit=200')).body;
    const { pages, lastStatus } = await walk<Listing>('/listings?limit=5');

    expect(lastStatus).toBe(200);
    expect(pages.slice(0, -1).every((page) => page.length === 5)).toBe(true);
    const walked = pages.flat().map((l) => l.id);
    expect(walked).toEqual([...walked].sort((a, b) => a - b));
    expect(new Set(walked).size).toBe(walked.length);
    expect(walked.slice(0, all.length)).toEqual(all.map((l) => l.id));
  });

  it('the last page has no Link header; a full page when more exist has one', async () => {
    const first = await api.get<Listing[]>('/listings?limit=1');
    expect(first.headers.get('link')).toMatch(/^<\/listings\?limit=1&cursor=[A-Za-z0-9_-]+>; rel="next"$/);
    const huge = await api.get<Listing[]>('/listings?limit=200');
    if (huge.body.length < 200) expect(huge.headers.get('link')).toBeNull();
  });

  it('defaults to 50 listings per page', async () => {
    for (let i = 0; i < 40; i += 1) await api.post('/listings', aListing());
    const response = await api.get<Listing[]>('/listings');
    expect(response.body).toHaveLength(50);
    expect(nextPageUrl(response)).toBeDefined();
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
