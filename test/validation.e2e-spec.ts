import { ApiClient, nextPageUrl } from './support/http';
import { aListing } from './support/listings';
import { TestApp, signUp, startTestApp } from './support/test-app';

interface ValidationBody {
  message: string;
  errors: { field: string; message: string }[];
}

const address = { street_address: '1 rue de la Paix', postal_code: '75002', city: 'Paris', country: 'FR' };

/** Each case breaks one rule of the contract's ListingWrite / PostalAddress schemas. */
const INVALID: [string, Record<string, unknown>, string][] = [
  ['name missing', { name: undefined }, 'name'],
  ['name empty', { name: '' }, 'name'],
  ['name not a string', { name: 42 }, 'name'],
  ['name with a NUL character', { name: 'a\u0000b' }, 'name'],
  ['description missing', { description: undefined }, 'description'],
  ['description empty', { description: '' }, 'description'],
  ['building_type missing', { building_type: undefined }, 'building_type'],
  ['building_type outside the enum', { building_type: 'CASTLE' }, 'building_type'],
  ['building_type in lower case', { building_type: 'house' }, 'building_type'],
  ['latest_price_eur missing', { latest_price_eur: undefined }, 'latest_price_eur'],
  ['latest_price_eur negative', { latest_price_eur: -1 }, 'latest_price_eur'],
  ['latest_price_eur as a string', { latest_price_eur: '100000' }, 'latest_price_eur'],
  ['latest_price_eur with cents', { latest_price_eur: 100_000.5 }, 'latest_price_eur'],
  ['latest_price_eur too large', { latest_price_eur: 1e15 }, 'latest_price_eur'],
  ['surface_area_m2 missing', { surface_area_m2: undefined }, 'surface_area_m2'],
  ['surface_area_m2 negative', { surface_area_m2: -0.5 }, 'surface_area_m2'],
  ['surface_area_m2 as a string', { surface_area_m2: '43' }, 'surface_area_m2'],
  ['rooms_count missing', { rooms_count: undefined }, 'rooms_count'],
  ['rooms_count below 1', { rooms_count: 0 }, 'rooms_count'],
  ['rooms_count not an integer', { rooms_count: 2.5 }, 'rooms_count'],
  ['rooms_count beyond a 32-bit integer', { rooms_count: 3_000_000_000 }, 'rooms_count'],
  ['bedrooms_count missing', { bedrooms_count: undefined }, 'bedrooms_count'],
  ['bedrooms_count negative', { bedrooms_count: -1 }, 'bedrooms_count'],
  ['bedrooms_count null', { bedrooms_count: null }, 'bedrooms_count'],
  ['contact_phone_number not E.164', { contact_phone_number: '0612345678' }, 'contact_phone_number'],
  ['contact_phone_number too long', { contact_phone_number: '+1234567890123456' }, 'contact_phone_number'],
  ['contact_phone_number null', { contact_phone_number: null }, 'contact_phone_number'],
  ['postal_address missing', { postal_address: undefined }, 'postal_address'],
  ['postal_address not an object', { postal_address: 'Paris' }, 'postal_address'],
  ['street_address missing', { postal_address: { ...address, street_address: undefined } }, 'postal_address.street_address'],
  ['street_address empty', { postal_address: { ...address, street_address: '' } }, 'postal_address.street_address'],
  ['postal_code missing', { postal_address: { ...address, postal_code: undefined } }, 'postal_address.postal_code'],
  ['postal_code empty', { postal_address: { ...address, postal_code: '' } }, 'postal_address.postal_code'],
  ['city missing', { postal_address: { ...address, city: undefined } }, 'postal_address.city'],
  ['city empty', { postal_address: { ...address, city: '' } }, 'postal_address.city'],
  ['country missing', { postal_address: { ...address, country: undefined } }, 'postal_address.country'],
  ['country of three letters', { postal_address: { ...address, country: 'FRA' } }, 'postal_address.country'],
  ['country of one letter', { postal_address: { ...address, country: 'F' } }, 'postal_address.country'],
  ['unknown property on the listing', { owner_id: 1 }, 'owner_id'],
  ['read-only id in the body', { id: 5 }, 'id'],
  ['read-only created_date in the body', { created_date: '2020-01-01T00:00:00.000Z' }, 'created_date'],
  ['unknown property on the address', { postal_address: { ...address, floor: 2 } }, 'postal_address.floor'],
];

/** The ids of the caller's own listings: what a write by that caller would change (other files write to the database too). */
async function ownListingIds(api: ApiClient): Promise<number[]> {
  const response = await api.get<{ id: number }[]>('/auth/me/listings?limit=200');
  expect(response.status).toBe(200);
  expect(nextPageUrl(response)).toBeUndefined();
  return response.body.map((listing) => listing.id);
}

function withChange(change: Record<string, unknown>): Record<string, unknown> {
  const body = { ...aListing(), ...change };
  for (const [key, value] of Object.entries(change)) if (value === undefined) delete body[key];
  const nested = body.postal_address as Record<string, unknown> | undefined;
  if (nested && typeof nested === 'object') for (const [key, value] of Object.entries(nested)) if (value === undefined) delete nested[key];
  return body;
}

describe('validation of listing bodies', () => {
  let testApp: TestApp;
  let api: ApiClient;
  let existingId: number;

  beforeAll(async () => {
    testApp = await startTestApp();
    api = (await signUp(testApp)).api;
    existingId = (await api.post<{ id: number }>('/listings', aListing())).body.id;
  });
  afterAll(() => testApp.close());

  it.each(INVALID)('POST with %s is a 422 naming the field, and creates nothing', async (_case, change, field) => {
    const before = await ownListingIds(api);
    expect(before).toContain(existingId);
    const response = await api.post<ValidationBody>('/listings', withChange(change));

    expect(response.status).toBe(422);
    expect(response.body.message).toBe('Validation failed');
    expect(response.body.errors).toContainEqual({ field, message: expect.any(String) });
    expect(response.body.errors.every((e) => e.message.length > 0)).toBe(true);
    expect(await ownListingIds(api)).toEqual(before);
  });

  it.each(INVALID)('PUT with %s is a 422 naming the field', async (_case, change, field) => {
    const response = await api.put<ValidationBody>(`/listings/${existingId}`, withChange(change));
    expect(response.status).toBe(422);
    expect(response.body.errors).toContainEqual({ field, message: expect.any(String) });
  });

  it.each([
    ['null', 'null'],
    ['an array', '[]'],
    ['a number', '42'],
    ['a string', '"listing"'],
  ])('a JSON body that is %s is a 422', async (_case, raw) => {
    const response = await api.request<ValidationBody>('POST', '/listings', { raw, headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(422);
    expect(response.body).toEqual({ message: 'Validation failed', errors: [{ field: '', message: 'request body must be a JSON object' }] });
  });

  it('one message per broken field, not one per rule', async () => {
    const response = await api.post<ValidationBody>('/listings', withChange({ name: 42, rooms_count: 'two' }));
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([
      { field: 'name', message: 'name must be a string' },
      { field: 'rooms_count', message: 'rooms_count must be an integer number' },
    ]);
  });

  it('accepts the boundaries the contract allows: price 0, surface 0, one room, no bedroom, no phone', async () => {
    const response = await api.post('/listings', withChange({ latest_price_eur: 0, surface_area_m2: 0, rooms_count: 1, bedrooms_count: 0, contact_phone_number: undefined }));
    expect(response.status).toBe(201);
  });
});

/** A listing body as raw JSON with `extra` spliced into the top level or into postal_address. */
function rawListing(extra: string, where: 'top' | 'address'): string {
  const json = JSON.stringify(aListing());
  return where === 'top' ? `${json.slice(0, -1)},${extra}}` : json.replace('"postal_address":{', `"postal_address":{${extra},`);
}

describe('strict bodies: names JavaScript treats specially, and text that is not Unicode', () => {
  let testApp: TestApp;
  let api: ApiClient;
  let existingId: number;
  let existing: Record<string, unknown>;

  beforeAll(async () => {
    testApp = await startTestApp();
    api = (await signUp(testApp)).api;
    existing = (await api.post<Record<string, unknown>>('/listings', aListing())).body;
    existingId = existing.id as number;
  });
  afterAll(() => testApp.close());

  const RESERVED: [string, string, 'top' | 'address', string][] = [
    ['constructor', '"constructor":0', 'top', 'constructor'],
    ['constructor holding an object', '"constructor":{"prototype":{"polluted":true}}', 'top', 'constructor'],
    ['prototype', '"prototype":0', 'top', 'prototype'],
    ['__proto__', '"__proto__":{"polluted":true}', 'top', '__proto__'],
    ['constructor in postal_address', '"constructor":0', 'address', 'postal_address.constructor'],
    ['prototype in postal_address', '"prototype":"x"', 'address', 'postal_address.prototype'],
    ['__proto__ in postal_address', '"__proto__":{}', 'address', 'postal_address.__proto__'],
  ];

  it.each(RESERVED)('POST and PUT with an unknown key %s are a 422 naming it, and write nothing', async (_case, extra, where, field) => {
    const before = await ownListingIds(api);
    expect(before).toContain(existingId);
    const raw = rawListing(extra, where);
    const headers = { 'content-type': 'application/json' };
    const created = await api.request<ValidationBody>('POST', '/listings', { raw, headers });
    expect(created.status).toBe(422);
    expect(created.body.errors).toContainEqual({ field, message: `property ${field.split('.').pop()} should not exist` });
    const replaced = await api.request<ValidationBody>('PUT', `/listings/${existingId}`, { raw: raw.replace('"latest_price_eur":', '"latest_price_eur":1'), headers });
    expect(replaced.status).toBe(422);
    expect(replaced.body.errors).toContainEqual({ field, message: expect.any(String) });
    expect(await ownListingIds(api)).toEqual(before);
    expect((await api.get(`/listings/${existingId}`)).body).toEqual(existing);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  const SURROGATES: [string, Record<string, unknown>, string][] = [
    ['name', { name: 'Flat \ud800 east' }, 'name'],
    ['description', { description: 'ends badly \udfff' }, 'description'],
    ['city', { postal_address: { ...address, city: '\udbff' } }, 'postal_address.city'],
  ];

  it.each(SURROGATES)('a lone UTF-16 surrogate in the %s is a 422 naming the field, never stored as U+FFFD', async (_case, change, field) => {
    // JSON.stringify writes a lone surrogate as a \uXXXX escape, as a client's serializer would.
    const raw = JSON.stringify(withChange(change));
    expect(raw).toMatch(/\\ud[89ab][0-9a-f]{2}|\\udfff/);
    const headers = { 'content-type': 'application/json' };
    const created = await api.request<ValidationBody>('POST', '/listings', { raw, headers });
    expect(created.status).toBe(422);
    expect(created.body.errors).toContainEqual({ field, message: expect.stringContaining('lone UTF-16 surrogate') });
    const replaced = await api.request<ValidationBody>('PUT', `/listings/${existingId}`, { raw, headers });
    expect(replaced.status).toBe(422);
    expect((await api.get(`/listings/${existingId}`)).body).toEqual(existing);
  });

  it('a lone surrogate in the email of register or login is a 422, not a 500', async () => {
    const headers = { 'content-type': 'application/json' };
    for (const path of ['/auth/register', '/auth/login']) {
      const response = await testApp.api.request<ValidationBody>('POST', path, { raw: '{"email":"a\\ud800@example.test","password":"long enough password"}', headers });
      expect(response.status).toBe(422);
      expect(response.body.errors).toContainEqual({ field: 'email', message: expect.stringContaining('lone UTF-16 surrogate') });
    }
  });

  it('a proper surrogate pair (an emoji) is ordinary text and is stored as sent', async () => {
    const response = await api.post<{ name: string }>('/listings', withChange({ name: 'Sunny flat \u{1F3E0}' }));
    expect(response.status).toBe(201);
    expect(response.body.name).toBe('Sunny flat \u{1F3E0}');
  });

  it('an unknown query parameter named constructor is a 400 naming it', async () => {
    const response = await testApp.api.get<ValidationBody>('/listings?constructor=1');
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual({ field: 'constructor', message: 'property constructor should not exist' });
  });
});

describe('malformed requests', () => {
  let testApp: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    testApp = await startTestApp({ BODY_LIMIT_BYTES: '16384' });
    api = (await signUp(testApp)).api;
  });
  afterAll(() => testApp.close());

  it('malformed JSON is a 400 with a message', async () => {
    const response = await api.request('POST', '/listings', { raw: '{"name": ', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ message: 'Malformed JSON in request body' });
  });

  it('an empty JSON body is a 400 with a message', async () => {
    const response = await api.request('POST', '/listings', { headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ message: expect.stringContaining('empty') });
  });

  it('a body that is not JSON is a 415', async () => {
    const response = await api.request('POST', '/listings', { raw: 'name=x', headers: { 'content-type': 'text/plain' } });
    expect(response.status).toBe(415);
    expect(response.body).toEqual({ message: expect.stringContaining('application/json') });
  });

  it('a body over the configured limit is a 413 and creates nothing', async () => {
    const response = await api.post('/listings', aListing({ description: 'x'.repeat(20_000) }));
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ message: 'Request body is too large' });
    expect(await ownListingIds(api)).toEqual([]);
  });

  it('an unknown route is a 404 with a JSON message', async () => {
    const response = await api.get('/no-such-thing');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ message: expect.any(String) });
  });
});
