import { ApiClient } from './support/http';
import { Listing, PriceEntry, aListing } from './support/listings';
import { TestApp, signUp, startTestApp } from './support/test-app';

describe('price history', () => {
  let testApp: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    // The concurrent PUTs below queue for the pool's connections behind one row lock: with many test
    // workers on few cores that wait outlasts the default DATABASE_ACQUIRE_TIMEOUT_MS (a 503). What these
    // tests check is what gets written, so the wait is allowed to last.
    testApp = await startTestApp({ DATABASE_ACQUIRE_TIMEOUT_MS: '120000' });
    api = (await signUp(testApp)).api;
  });
  afterAll(() => testApp.close());

  const pricesOf = async (id: number) => (await api.get<PriceEntry[]>(`/listings/${id}/prices?limit=1000`)).body;

  // The contract's Gherkin scenario.
  it('create at 100 000, update to 150 000, then 125 000: three entries, oldest first, stamped with each write', async () => {
    const body = aListing({ latest_price_eur: 100_000 });
    const created = await api.post<Listing>('/listings', body);
    const first = await api.put<Listing>(`/listings/${created.body.id}`, { ...body, latest_price_eur: 150_000 });
    const second = await api.put<Listing>(`/listings/${created.body.id}`, { ...body, latest_price_eur: 125_000 });

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await pricesOf(created.body.id)).toEqual([
      { price_eur: 100_000, created_date: created.body.created_date },
      { price_eur: 150_000, created_date: first.body.updated_date },
      { price_eur: 125_000, created_date: second.body.updated_date },
    ]);
    expect(second.body.latest_price_eur).toBe(125_000);
  });

  it('a PUT with an unchanged price appends nothing, even when other fields change', async () => {
    const body = aListing({ latest_price_eur: 200_000 });
    const created = await api.post<Listing>('/listings', body);
    const updated = await api.put<Listing>(`/listings/${created.body.id}`, { ...body, name: 'Other name' });

    expect(updated.status).toBe(200);
    expect(updated.body.name).toBe('Other name');
    expect(await pricesOf(created.body.id)).toEqual([{ price_eur: 200_000, created_date: created.body.created_date }]);
  });

  it('a rejected PUT changes nothing: listing and history stay as they were', async () => {
    const body = aListing({ latest_price_eur: 300_000 });
    const created = await api.post<Listing>('/listings', body);
    const rejected = await api.put(`/listings/${created.body.id}`, { ...body, latest_price_eur: 310_000, rooms_count: 0 });

    expect(rejected.status).toBe(422);
    expect((await api.get(`/listings/${created.body.id}`)).body).toEqual(created.body);
    expect(await pricesOf(created.body.id)).toHaveLength(1);
  });

  it('under 200 concurrent PUTs on one listing no acknowledged change is lost and the newest entry is the listing price', async () => {
    const body = aListing({ latest_price_eur: 1 });
    const created = await api.post<Listing>('/listings', body);
    const id = created.body.id;
    // Distinct prices, none equal to the initial one, so every acknowledged PUT appends exactly one entry.
    const prices = Array.from({ length: 200 }, (_, i) => 1_000 + i);

    const responses = await Promise.all(prices.map((price) => api.put<Listing>(`/listings/${id}`, { ...body, latest_price_eur: price })));

    expect(responses.map((r) => r.status)).toEqual(prices.map(() => 200));
    const history = await pricesOf(id);
    expect(history).toHaveLength(201);
    expect(history[0]).toEqual({ price_eur: 1, created_date: created.body.created_date });
    expect(history.slice(1).map((e) => e.price_eur).sort((a, b) => a - b)).toEqual(prices);

    // History order is write order: timestamps never go backwards, and each response's updated_date is
    // the timestamp of the entry its change appended.
    const times = history.map((e) => Date.parse(e.created_date));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const response of responses) {
      expect(history).toContainEqual({ price_eur: response.body.latest_price_eur, created_date: response.body.updated_date });
    }
    const listing = await api.get<Listing>(`/listings/${id}`);
    expect(listing.body.latest_price_eur).toBe(history[history.length - 1].price_eur);
    expect(listing.body.updated_date).toBe(history[history.length - 1].created_date);
  }, 180_000);
});
