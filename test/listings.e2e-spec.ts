import { ApiClient } from './support/http';
import { Listing, PriceEntry, aListing } from './support/listings';
import { TestApp, signUp, startTestApp } from './support/test-app';

const RFC3339_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('listings (contract endpoints)', () => {
  let testApp: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    testApp = await startTestApp();
    api = (await signUp(testApp)).api;
  });
  afterAll(() => testApp.close());

  it('POST /listings creates a listing in the contract shape, with its initial price as the first history entry', async () => {
    const body = aListing({ latest_price_eur: 380_000 });
    const created = await api.post<Listing>('/listings', body);

    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      ...body,
      id: expect.any(Number),
      created_date: expect.stringMatching(RFC3339_UTC_MS),
      updated_date: created.body.created_date,
    });

    const prices = await api.get<PriceEntry[]>(`/listings/${created.body.id}/prices`);
    expect(prices.status).toBe(200);
    expect(prices.body).toEqual([{ price_eur: 380_000, created_date: created.body.created_date }]);
  });

  it('GET /listings/{id} returns the stored listing, and 404 with a message for an unknown one', async () => {
    const created = await api.post<Listing>('/listings', aListing());
    const fetched = await api.get<Listing>(`/listings/${created.body.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);

    const missing = await api.get('/listings/2147483647');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ message: 'Listing 2147483647 not found' });
  });

  it('a listing without a phone number omits the field rather than sending null', async () => {
    const body = aListing();
    delete body.contact_phone_number;
    const created = await api.post<Listing>('/listings', body);
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty('contact_phone_number');
  });

  it('PUT /listings/{id} replaces every writable field, keeps created_date and moves updated_date forward', async () => {
    const created = await api.post<Listing>('/listings', aListing());
    const replacement = aListing({
      name: 'Renamed',
      description: 'New description',
      building_type: 'HOUSE',
      surface_area_m2: 120,
      rooms_count: 5,
      bedrooms_count: 3,
      postal_address: { street_address: '1 rue de la Paix', postal_code: '69001', city: 'Lyon', country: 'FR' },
      latest_price_eur: created.body.latest_price_eur,
    });
    delete replacement.contact_phone_number;

    const updated = await api.put<Listing>(`/listings/${created.body.id}`, replacement);

    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({ ...replacement, id: created.body.id, created_date: created.body.created_date, updated_date: expect.stringMatching(RFC3339_UTC_MS) });
    expect(Date.parse(updated.body.updated_date)).toBeGreaterThanOrEqual(Date.parse(created.body.updated_date));
    expect((await api.get(`/listings/${created.body.id}`)).body).toEqual(updated.body);
  });

  it('PUT on a listing that does not exist is a 404 and creates nothing (no upsert)', async () => {
    const response = await api.put('/listings/2147483000', aListing());
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ message: 'Listing 2147483000 not found' });
    expect((await api.get('/listings/2147483000')).status).toBe(404);
  });

  it('GET /listings/{id}/prices is a 404 for an unknown listing', async () => {
    const response = await api.get('/listings/2147483001/prices');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ message: 'Listing 2147483001 not found' });
  });

  it.each([
    ['GET', '/listings/abc'],
    ['GET', '/listings/-1'],
    ['GET', '/listings/1.5'],
    ['GET', '/listings/2147483648'],
    ['GET', '/listings/99999999999999999999'],
    ['PUT', '/listings/abc'],
    ['GET', '/listings/abc/prices'],
    ['GET', '/listings/2147483648/prices'],
  ])('%s %s: a non-numeric or out-of-range id is a 400 with a message', async (method, path) => {
    const response = await api.request(method, path, method === 'PUT' ? { json: aListing() } : {});
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ message: expect.stringContaining('Invalid id') });
  });
});
