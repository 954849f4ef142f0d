import pg from 'pg';
import { ApiClient, ApiResponse, nextPageUrl } from './support/http';
import { Listing, PriceEntry, aListing } from './support/listings';
import { TestApp, signUp, startTestApp } from './support/test-app';

interface ErrorBody {
  message: string;
  errors?: { field: string; message: string }[];
}

interface PriceSummary {
  listing_id: number;
  entries: number;
  first: PriceEntry;
  latest: PriceEntry;
  previous_price_eur?: number;
  min_price_eur: number;
  max_price_eur: number;
  change_since_first_eur: number;
  change_since_first_pct?: number;
  change_since_previous_pct?: number;
  last_changed_date?: string;
  days_at_current_price: number;
  chart_url: string;
}

const DAY = 24 * 3600 * 1000;

describe('price insights: summary, price at a date, history windows, chart', () => {
  let testApp: TestApp;
  let api: ApiClient;
  let db: pg.Pool;

  beforeAll(async () => {
    testApp = await startTestApp();
    api = (await signUp(testApp, 'insights')).api;
    db = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL, max: 2 });
  });
  afterAll(async () => {
    await db?.end();
    await testApp?.close();
  });

  /** A listing whose price went through `prices` (the first is the initial price): the listing and each write's response. */
  async function listingWithPrices(prices: number[]): Promise<{ listing: Listing; writes: Listing[] }> {
    const body = aListing({ latest_price_eur: prices[0] });
    const created = await api.post<Listing>('/listings', body);
    expect(created.status).toBe(201);
    const writes = [created.body];
    for (const price of prices.slice(1)) {
      const updated = await api.put<Listing>(`/listings/${created.body.id}`, { ...body, latest_price_eur: price });
      expect(updated.status).toBe(200);
      writes.push(updated.body);
    }
    return { listing: writes[writes.length - 1], writes };
  }

  describe('GET /listings/{id}/prices/summary', () => {
    it('summarises the history: first, latest, previous, extremes, changes in euros and %, last change and chart', async () => {
      const { listing, writes } = await listingWithPrices([380_000, 395_000, 350_000, 365_000]);
      const response = await api.get<PriceSummary>(`/listings/${listing.id}/prices/summary`);

      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        listing_id: listing.id,
        entries: 4,
        first: { price_eur: 380_000, created_date: writes[0].created_date },
        latest: { price_eur: 365_000, created_date: writes[3].updated_date },
        previous_price_eur: 350_000,
        min_price_eur: 350_000,
        max_price_eur: 395_000,
        change_since_first_eur: -15_000,
        // -15 000 / 380 000 = -3.947…%, +15 000 / 350 000 = +4.285…%
        change_since_first_pct: -3.95,
        change_since_previous_pct: 4.29,
        last_changed_date: writes[3].updated_date,
        days_at_current_price: 0,
        chart_url: `/listings/${listing.id}/prices/chart.svg`,
      });
      // Keys in a stable order (the benchmark compares bodies byte for byte).
      expect(Object.keys(response.body)).toEqual([
        'listing_id', 'entries', 'first', 'latest', 'previous_price_eur', 'min_price_eur', 'max_price_eur', 'change_since_first_eur',
        'change_since_first_pct', 'change_since_previous_pct', 'last_changed_date', 'days_at_current_price', 'chart_url',
      ]);
    });

    it('a single entry has no previous price, no change percentage since it, and no change date', async () => {
      const { listing } = await listingWithPrices([200_000]);
      const response = await api.get<PriceSummary>(`/listings/${listing.id}/prices/summary`);
      expect(response.body).toEqual({
        listing_id: listing.id,
        entries: 1,
        first: { price_eur: 200_000, created_date: listing.created_date },
        latest: { price_eur: 200_000, created_date: listing.created_date },
        min_price_eur: 200_000,
        max_price_eur: 200_000,
        change_since_first_eur: 0,
        change_since_first_pct: 0,
        days_at_current_price: 0,
        chart_url: `/listings/${listing.id}/prices/chart.svg`,
      });
    });

    it('a PUT with the same price changes nothing in the summary', async () => {
      const { listing } = await listingWithPrices([100_000, 120_000]);
      const before = (await api.get<PriceSummary>(`/listings/${listing.id}/prices/summary`)).body;
      const body = aListing({ latest_price_eur: 120_000, name: 'Renamed' });
      expect((await api.put(`/listings/${listing.id}`, body)).status).toBe(200);
      expect((await api.get<PriceSummary>(`/listings/${listing.id}/prices/summary`)).body).toEqual(before);
    });

    it('percentages of a price of 0 are omitted: from 0, and after a previous price of 0', async () => {
      const fromZero = await listingWithPrices([0, 50_000]);
      const summary = (await api.get<PriceSummary>(`/listings/${fromZero.listing.id}/prices/summary`)).body;
      expect(summary).toMatchObject({ entries: 2, previous_price_eur: 0, change_since_first_eur: 50_000, min_price_eur: 0 });
      expect(summary).not.toHaveProperty('change_since_first_pct');
      expect(summary).not.toHaveProperty('change_since_previous_pct');

      const toZero = await listingWithPrices([80_000, 0]);
      expect((await api.get<PriceSummary>(`/listings/${toZero.listing.id}/prices/summary`)).body).toMatchObject({
        change_since_first_pct: -100,
        change_since_previous_pct: -100,
      });
    });

    it('days_at_current_price counts whole days since the last change, or since the creation when the price never changed', async () => {
      const never = await listingWithPrices([300_000]);
      const changed = await listingWithPrices([300_000, 310_000]);
      const created = new Date(Date.now() - 10 * DAY);
      const lastChange = new Date(Date.now() - 3 * DAY - 3_600_000);
      // Moves both listings back in time, the history with them, as if written then (in one transaction:
      // test/price-summary.e2e-spec.ts checks every listing's summary against its history meanwhile).
      const client = await db.connect();
      try {
        await client.query('BEGIN');
        await client.query('UPDATE listing SET created_date = $2, updated_date = $2 WHERE id = $1', [never.listing.id, created]);
        await client.query('UPDATE listing_price SET created_date = $2 WHERE listing_id = $1', [never.listing.id, created]);
        await client.query('UPDATE listing SET created_date = $2, updated_date = $3, price_changed_date = $3 WHERE id = $1', [changed.listing.id, created, lastChange]);
        await client.query('UPDATE listing_price SET created_date = CASE WHEN price_eur = 300000 THEN $2::timestamptz ELSE $3::timestamptz END WHERE listing_id = $1', [
          changed.listing.id,
          created,
          lastChange,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }

      expect((await api.get<PriceSummary>(`/listings/${never.listing.id}/prices/summary`)).body.days_at_current_price).toBe(10);
      const summary = (await api.get<PriceSummary>(`/listings/${changed.listing.id}/prices/summary`)).body;
      expect(summary).toMatchObject({ days_at_current_price: 3, last_changed_date: lastChange.toISOString(), latest: { price_eur: 310_000, created_date: lastChange.toISOString() } });
    });

    it('unknown listing: 404; bad id: 400', async () => {
      expect((await api.get<ErrorBody>('/listings/2147483647/prices/summary')).body).toEqual({ message: 'Listing 2147483647 not found' });
      expect((await api.get('/listings/abc/prices/summary')).status).toBe(400);
    });
  });

  describe('GET /listings/{id}/prices/at', () => {
    let listing: Listing;
    let writes: Listing[];
    const at = (date: string, id = listing.id) => api.get<PriceEntry & ErrorBody>(`/listings/${id}/prices/at?date=${encodeURIComponent(date)}`);
    const plusMs = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

    beforeAll(async () => {
      ({ listing, writes } = await listingWithPrices([500_000, 480_000, 470_000]));
    });

    it('answers the entry in force at that instant: the newest created at or before it', async () => {
      const [created, second, third] = writes;
      expect((await at(created.created_date)).body).toEqual({ price_eur: 500_000, created_date: created.created_date });
      expect((await at(plusMs(second.updated_date, -1))).body).toEqual({ price_eur: 500_000, created_date: created.created_date });
      expect((await at(second.updated_date)).body).toEqual({ price_eur: 480_000, created_date: second.updated_date });
      expect((await at(third.updated_date)).body).toEqual({ price_eur: 470_000, created_date: third.updated_date });
      expect((await at('9999-12-31T23:59:59.999Z')).body).toEqual({ price_eur: 470_000, created_date: third.updated_date });
    });

    it('takes any RFC 3339 offset and fraction: the same instant gives the same entry', async () => {
      const second = writes[1].updated_date;
      const inParis = new Date(Date.parse(second) + 3_600_000).toISOString().replace('Z', '+01:00');
      expect((await at(inParis)).body).toEqual({ price_eur: 480_000, created_date: second });
      // 0.9 ms before the change is still before it.
      expect((await at(`${plusMs(second, -1).slice(0, -1)}9Z`)).body.price_eur).toBe(500_000);
      expect((await at(`${second.slice(0, -1)}0001Z`)).body.price_eur).toBe(480_000);
    });

    it('before the first entry: 404 saying the listing had no price yet', async () => {
      const response = await at(plusMs(listing.created_date, -1));
      expect(response.status).toBe(404);
      expect(response.body.message).toBe(
        `Listing ${listing.id} had no price yet at ${plusMs(listing.created_date, -1)}: its first price dates from ${listing.created_date}`,
      );
    });

    it('unknown listing: 404 not found', async () => {
      const response = await at('2026-01-01T00:00:00Z', 2_147_483_647);
      expect(response.status).toBe(404);
      expect(response.body.message).toBe('Listing 2147483647 not found');
    });

    it.each([
      ['no date', ''],
      ['a date without a time', '?date=2026-11-23'],
      ['a date without a time zone', '?date=2026-11-23T10:00:00'],
      ['an impossible date', '?date=2026-02-30T10:00:00Z'],
      ['a + offset left unencoded (a space in a query string)', '?date=2026-11-23T10:00:00+01:00'],
      ['an unknown parameter', '?date=2026-11-23T10:00:00Z&at=now'],
    ])('%s: 400 naming the parameter', async (_name, query) => {
      const response = await api.get<ErrorBody>(`/listings/${listing.id}/prices/at${query}`);
      expect(response.status).toBe(400);
      expect(response.body.message).toBe('Invalid query parameters');
      expect(response.body.errors?.[0].field).toMatch(/^(date|at)$/);
    });
  });

  describe('GET /listings/{id}/prices?from=&to= (history windows)', () => {
    let listing: Listing;
    let history: PriceEntry[];
    const prices = (response: ApiResponse<PriceEntry[]>) => response.body.map((entry) => entry.price_eur);
    const window = (query: string) => api.get<PriceEntry[]>(`/listings/${listing.id}/prices?${query}`);

    beforeAll(async () => {
      ({ listing } = await listingWithPrices([100, 200, 300, 400, 500, 600]));
      history = (await api.get<PriceEntry[]>(`/listings/${listing.id}/prices`)).body;
    });

    it('from is inclusive, to is exclusive, either may be left out', async () => {
      const [, second, , fourth] = history.map((entry) => encodeURIComponent(entry.created_date));
      expect(prices(await window(`from=${second}`))).toEqual([200, 300, 400, 500, 600]);
      expect(prices(await window(`to=${fourth}`))).toEqual([100, 200, 300]);
      expect(prices(await window(`from=${second}&to=${fourth}`))).toEqual([200, 300]);
      expect(prices(await window('from=2000-01-01T00:00:00Z&to=9999-01-01T00:00:00Z'))).toEqual([100, 200, 300, 400, 500, 600]);
    });

    it('an empty window of an existing listing is an empty page; of an unknown listing a 404', async () => {
      expect((await window('to=2000-01-01T00:00:00Z')).body).toEqual([]);
      expect((await api.get('/listings/2147483647/prices?from=2000-01-01T00:00:00Z')).status).toBe(404);
    });

    it('combines with limit and the cursor: the Link header keeps the window', async () => {
      const from = encodeURIComponent(history[1].created_date);
      const to = encodeURIComponent(history[5].created_date);
      const pages: number[][] = [];
      let path: string | undefined = `/listings/${listing.id}/prices?from=${from}&to=${to}&limit=3`;
      while (path) {
        const response: ApiResponse<PriceEntry[]> = await api.get<PriceEntry[]>(path);
        expect(response.status).toBe(200);
        pages.push(prices(response));
        path = nextPageUrl(response);
        if (path) expect(new URL(path, 'http://x').searchParams.get('from')).toBe(history[1].created_date);
      }
      expect(pages).toEqual([[200, 300, 400], [500]]);
    });

    it('to not after from, or a bad instant: 400 naming the parameter', async () => {
      const same = encodeURIComponent(history[2].created_date);
      const response = await window(`from=${same}&to=${same}`);
      expect(response.status).toBe(400);
      expect((response.body as unknown as ErrorBody).errors).toEqual([{ field: 'to', message: 'to must be later than from' }]);
      const bad = await window('from=last-week');
      expect((bad.body as unknown as ErrorBody).errors).toEqual([{ field: 'from', message: 'from must be an RFC 3339 date-time with a time zone, like 2026-11-23T10:15:30Z' }]);
    });
  });

  describe('GET /listings/{id}/prices/chart.svg', () => {
    it('is an SVG step chart of the whole history with both axes and the current price, linked from the summary', async () => {
      const { listing } = await listingWithPrices([380_000, 395_000, 350_000, 365_000]);
      const summary = (await api.get<PriceSummary>(`/listings/${listing.id}/prices/summary`)).body;
      const response = await api.get<string>(summary.chart_url);

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
      expect(response.text).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="720" height="360" /);
      expect(response.text).toContain(`Price history of listing ${listing.id}`);
      expect(response.text).toContain('Current price 365 000 €');
      expect(response.text).toContain('Price (EUR)');
      expect(response.text).toContain('Date (UTC)');
      expect(response.text).toContain('4 prices since');
    });

    it('takes a bounded width and height', async () => {
      const { listing } = await listingWithPrices([100_000]);
      const response = await api.get<string>(`/listings/${listing.id}/prices/chart.svg?width=1200&height=600`);
      expect(response.text).toMatch(/^<svg [^>]*width="1200" height="600" viewBox="0 0 1200 600"/);
      for (const query of ['width=100', 'width=5000', 'height=50', 'height=abc', 'size=big']) {
        expect({ query, status: (await api.get(`/listings/${listing.id}/prices/chart.svg?${query}`)).status }).toEqual({ query, status: 400 });
      }
    });

    it('unknown listing: 404 as JSON', async () => {
      const response = await api.get<ErrorBody>('/listings/2147483647/prices/chart.svg');
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ message: 'Listing 2147483647 not found' });
    });
  });
});
