import { type AppProcess, startAppProcess } from './support/app-process';
import { ApiClient } from './support/http';
import { LogCapture } from './support/log-capture';
import { type Listing, type PriceEntry, aListing } from './support/listings';
import { type SignedIn, type TestApp, signUp, startTestApp } from './support/test-app';

interface ErrorBody {
  message: string;
  errors?: { field: string; message: string }[];
}

/**
 * Issue 16: every date query parameter takes only the instants the database stores (years 0001 to 9999,
 * to the millisecond), whatever the offset it is written with; anything else is a 400 naming the
 * parameter and the range, never a 500. The database is shared with other spec files: each test reads
 * only the listing it created (its own city, its own id).
 */
const RANGE = 'between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z';

/** Written in years 0001 or 9999, but outside the range once the offset or the fraction is applied. */
const OUT_OF_RANGE = [
  // The two URLs of the issue.
  '0001-01-01T00:00:00+23:59',
  '9999-12-31T23:59:59-23:59',
  // One millisecond, or one nanosecond, before 0001-01-01T00:00:00Z.
  '0001-01-01T23:58:59.999+23:59',
  '0001-01-01T23:58:59.999999999+23:59',
  // 10000-01-01T00:00:00Z, and 9999-12-31T23:59:59.9999Z written with -23:59.
  '9999-12-31T00:01:00-23:59',
  '9999-12-31T00:00:59.9999-23:59',
  // Past the last stored millisecond by a fraction of one: its first millisecond "at or after" is in 10000.
  '9999-12-31T23:59:59.9999Z',
  '9999-12-31T23:59:59.999000001Z',
  '9999-12-31t23:59:59.9995z',
];

/** The extremes of the range, written every way: accepted. */
const EARLIEST = ['0001-01-01T00:00:00Z', '0001-01-01T23:59:00+23:59', '0000-12-31T00:01:00-23:59', '0001-01-01T00:00:00.000000001Z'];
const LATEST = ['9999-12-31T23:59:59.999Z', '9999-12-31T00:00:00-23:59', '9999-12-31T00:00:59.999-23:59', '9999-12-31T23:59:59.999000000Z'];

const q = (value: string) => encodeURIComponent(value);

/** What a refused date gets: a 400 whose one error names the parameter and the range. */
function expectOutOfRange(response: { status: number; body: unknown }, parameter: string): void {
  expect(response.status).toBe(400);
  const body = response.body as ErrorBody;
  expect(typeof body.message).toBe('string');
  expect(body.errors).toEqual([{ field: parameter, message: `${parameter} must be ${RANGE}` }]);
}

describe('date query parameters: only instants the database stores', () => {
  let testApp: TestApp;
  let owner: SignedIn;
  let listing: Listing;
  let entries: PriceEntry[];
  const city = `Dateville ${process.pid} ${Date.now().toString(36)}`;
  /** The application's log (LOG_LEVEL error): a 500 writes its stack there. */
  const logs = new LogCapture();
  const errorLines = () => logs.lines.filter((line) => line.level === 'error' || line.level === 'fatal');

  beforeAll(async () => {
    testApp = await startTestApp({}, undefined, logs);
    owner = await signUp(testApp, 'dates');
    // A listing of its own city whose price changed once: two history entries, and a price_changed_date.
    const body = aListing({ latest_price_eur: 200_000, postal_address: { street_address: '1 rue des Dates', postal_code: '75001', city, country: 'FR' } });
    const created = await owner.api.post<Listing>('/listings', body);
    expect(created.status).toBe(201);
    const repriced = await owner.api.put<Listing>(`/listings/${created.body.id}`, { ...body, latest_price_eur: 190_000 });
    expect(repriced.status).toBe(200);
    listing = repriced.body;
    const history = await testApp.api.get<PriceEntry[]>(`/listings/${listing.id}/prices`);
    expect(history.status).toBe(200);
    entries = history.body;
    expect(entries.map((e) => e.price_eur)).toEqual([200_000, 190_000]);
  });
  afterAll(() => testApp?.close());

  /** GET /listings and GET /auth/me/listings (same query), GET …/prices (from, to), GET …/prices/at (date). */
  const routes = (id: number) => [
    { parameter: 'changed_since', url: (v: string) => `/listings?changed_since=${q(v)}` },
    { parameter: 'changed_since', url: (v: string) => `/auth/me/listings?changed_since=${q(v)}` },
    { parameter: 'from', url: (v: string) => `/listings/${id}/prices?from=${q(v)}` },
    { parameter: 'to', url: (v: string) => `/listings/${id}/prices?to=${q(v)}` },
    { parameter: 'date', url: (v: string) => `/listings/${id}/prices/at?date=${q(v)}` },
  ];

  it('a malformed date is a 400 naming the parameter: the status out-of-range dates share', async () => {
    for (const { parameter, url } of routes(listing.id)) {
      const response = await owner.api.get<ErrorBody>(url('garbage'));
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([{ field: parameter, message: expect.stringContaining(`${parameter} must be an RFC 3339 date-time`) as unknown }]);
    }
  });

  it.each(OUT_OF_RANGE)('%s is a 400 naming each parameter and the range, and logs no error', async (value) => {
    for (const { parameter, url } of routes(listing.id)) expectOutOfRange(await owner.api.get(url(value)), parameter);
    expect(errorLines()).toEqual([]);
  });

  it('an out-of-range date is a 400 for a listing that does not exist too (the query is checked first)', async () => {
    for (const { parameter, url } of routes(2_147_483_647).slice(2)) expectOutOfRange(await owner.api.get(url('9999-12-31T23:59:59-23:59')), parameter);
  });

  it('a leap second is refused as before (400, not RFC 3339 as the service takes it)', async () => {
    for (const value of ['2026-12-31T23:59:60Z', '9999-12-31T23:59:60Z']) {
      for (const { parameter, url } of routes(listing.id)) {
        const response = await owner.api.get<ErrorBody>(url(value));
        expect(response.status).toBe(400);
        expect(response.body.errors?.[0]).toMatchObject({ field: parameter });
      }
    }
  });

  it('changed_since at both ends of the range: 200, every change since year 1, none after 9999-12-31', async () => {
    const byCity = (value: string) => testApp.api.get<Listing[]>(`/listings?city=${q(city)}&changed_since=${q(value)}`);
    for (const value of EARLIEST) {
      const response = await byCity(value);
      expect(response.status).toBe(200);
      expect(response.body.map((l) => l.id)).toEqual([listing.id]);
    }
    for (const value of LATEST) {
      const response = await byCity(value);
      expect(response.status).toBe(200);
      expect(response.body).toEqual([]);
    }
    // The owner's list takes the same parameter.
    const mine = await owner.api.get<Listing[]>(`/auth/me/listings?changed_since=${q('0001-01-01T23:59:00+23:59')}`);
    expect(mine.status).toBe(200);
    expect(mine.body.map((l) => l.id)).toEqual([listing.id]);
  });

  it('from, to and date at both ends of the range: the whole history, an empty window, no price yet, the latest price', async () => {
    await expectExtremes(testApp.api, listing.id, entries);
  });

  it('9 fraction digits within the range are accepted', async () => {
    const response = await testApp.api.get<PriceEntry[]>(`/listings/${listing.id}/prices?from=${q('0001-01-01T00:00:00.123456789Z')}&to=${q('9999-12-31T23:59:59.998999999Z')}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(entries);
  });

  /**
   * node-postgres sends a Date parameter (from, to, date) as text in the process' local time zone: in
   * UTC+14, 9999-12-31T23:59:59.999Z goes as 10000-01-01T13:59:59.999+14:00, and in Los Angeles
   * 0001-01-01T00:00:00Z as a 1 BC date with the local mean time offset. PostgreSQL takes both (its
   * range is 4713 BC to 294276 AD), so the bound holds whatever TZ the service runs in.
   */
  describe.each(['Pacific/Kiritimati', 'America/Los_Angeles'])('in a service process whose TZ is %s', (tz) => {
    let instance: AppProcess;
    let api: ApiClient;

    beforeAll(async () => {
      const databaseUrl = process.env.TEST_DATABASE_URL;
      if (!databaseUrl) throw new Error('TEST_DATABASE_URL is not set: run e2e tests through jest');
      instance = await startAppProcess({ databaseUrl, env: { TZ: tz } });
      api = new ApiClient(instance.baseUrl);
    }, 120_000);
    afterAll(() => instance?.stop());

    it('the extremes are answered as in UTC, and out-of-range dates are a 400', async () => {
      await expectExtremes(api, listing.id, entries);
      for (const value of OUT_OF_RANGE) {
        for (const { parameter, url } of routes(listing.id).filter((r) => r.parameter !== 'changed_since')) expectOutOfRange(await api.get(url(value)), parameter);
      }
      // Nothing reached the database to fail there: no error-level line (a 500 logs one with its stack).
      expect(instance.output()).not.toMatch(/"level":"(error|fatal)"/);
    });
  });
});

async function expectExtremes(api: ApiClient, id: number, entries: PriceEntry[]): Promise<void> {
  const prices = (query: string) => api.get<PriceEntry[]>(`/listings/${id}/prices?${query}`);
  for (const value of EARLIEST) {
    expect(await prices(`from=${q(value)}`)).toMatchObject({ status: 200, body: entries });
    expect(await prices(`to=${q(value)}`)).toMatchObject({ status: 200, body: [] });
    const at = await api.get<ErrorBody>(`/listings/${id}/prices/at?date=${q(value)}`);
    expect(at.status).toBe(404);
    expect(at.body.message).toMatch(/had no price yet/);
  }
  for (const value of LATEST) {
    expect(await prices(`from=${q(value)}`)).toMatchObject({ status: 200, body: [] });
    expect(await prices(`to=${q(value)}`)).toMatchObject({ status: 200, body: entries });
    expect(await prices(`from=${q(EARLIEST[0])}&to=${q(value)}`)).toMatchObject({ status: 200, body: entries });
    expect(await api.get<PriceEntry>(`/listings/${id}/prices/at?date=${q(value)}`)).toMatchObject({ status: 200, body: entries[entries.length - 1] });
  }
}
