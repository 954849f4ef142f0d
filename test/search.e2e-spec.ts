import { randomBytes } from 'node:crypto';
import { encodeCursor } from '@app/common';
import { ApiClient, ApiResponse, nextPageUrl } from './support/http';
import { Listing, aListing } from './support/listings';
import { TestApp, signUp, startTestApp } from './support/test-app';

interface ErrorBody {
  message: string;
  errors?: { field: string; message: string }[];
}

describe('searching listings: filters and sorts on GET /listings', () => {
  let testApp: TestApp;
  let api: ApiClient;
  // Cities no other test file uses, so only this file's listings match.
  const suffix = randomBytes(4).toString('hex');
  const city = `Searchville-${suffix}`;
  const otherCity = `Otherville-${suffix}`;
  const postalCode = `S-${suffix}`;
  let listings: Listing[];

  // [building_type, price, rooms, surface, country, postal code]: prices with ties, so id breaks them.
  const rows: [string, number, number, number, string, string][] = [
    ['APARTMENT', 300_000, 2, 45.5, 'FR', '75009'],
    ['HOUSE', 500_000, 5, 120, 'FR', '75009'],
    ['STUDIO', 150_000, 1, 18, 'FR', postalCode],
    ['APARTMENT', 300_000, 3, 70, 'BE', '1000'],
    ['HOUSE', 900_000, 7, 250, 'BE', '1000'],
    ['APARTMENT', 420_000, 4, 95.25, 'FR', postalCode],
    ['STUDIO', 150_000, 1, 22, 'FR', '75011'],
    ['APARTMENT', 300_000, 2, 52, 'FR', '75011'],
  ];

  beforeAll(async () => {
    testApp = await startTestApp();
    api = (await signUp(testApp)).api;
    listings = [];
    for (const [building_type, latest_price_eur, rooms_count, surface_area_m2, country, postal_code] of rows) {
      const body = aListing({
        building_type,
        latest_price_eur,
        rooms_count,
        surface_area_m2,
        postal_address: { street_address: '1 rue de la Recherche', postal_code, city, country },
      });
      const created = await api.post<Listing>('/listings', body);
      if (created.status !== 201) throw new Error(`create failed: ${created.text}`);
      listings.push(created.body);
    }
    // Same everything, another city: must never show up in a search for `city`.
    await api.post('/listings', aListing({ postal_address: { street_address: '1 rue de la Recherche', postal_code: '75009', city: otherCity, country: 'FR' } }));
  });
  afterAll(() => testApp.close());

  const search = (params: Record<string, string | number>) =>
    api.get<Listing[]>(`/listings?${new URLSearchParams(Object.entries({ city, limit: 200, ...params }).map(([k, v]): [string, string] => [k, String(v)])).toString()}`);
  const ids = (response: ApiResponse<Listing[]>) => response.body.map((l) => l.id);
  const idsWhere = (keep: (l: Listing) => boolean) => listings.filter(keep).map((l) => l.id);

  async function walk(firstPath: string): Promise<Listing[][]> {
    const pages: Listing[][] = [];
    let path: string | undefined = firstPath;
    while (path) {
      const response: ApiResponse<Listing[]> = await api.get<Listing[]>(path);
      expect(response.status).toBe(200);
      pages.push(response.body);
      path = nextPageUrl(response);
    }
    return pages;
  }

  describe('filters', () => {
    it('city is an exact, case-sensitive match', async () => {
      expect(ids(await search({}))).toEqual(listings.map((l) => l.id));
      expect((await search({ city: city.toUpperCase() })).body).toEqual([]);
      expect((await search({ city: city.slice(0, -1) })).body).toEqual([]);
    });

    it('building_type keeps only that type', async () => {
      const response = await search({ building_type: 'HOUSE' });
      expect(response.status).toBe(200);
      expect(ids(response)).toEqual(idsWhere((l) => l.building_type === 'HOUSE'));
      expect(ids(response)).toHaveLength(2);
    });

    it('postal_code keeps only that postal code (without city too)', async () => {
      const expected = idsWhere((l) => l.postal_address.postal_code === postalCode);
      expect(ids(await search({ postal_code: postalCode }))).toEqual(expected);
      expect(ids(await api.get<Listing[]>(`/listings?postal_code=${postalCode}`))).toEqual(expected);
      expect(expected).toHaveLength(2);
    });

    it('country keeps only that country', async () => {
      expect(ids(await search({ country: 'BE' }))).toEqual(idsWhere((l) => l.postal_address.country === 'BE'));
      expect((await search({ country: 'DE' })).body).toEqual([]);
    });

    it('min_price and max_price are inclusive bounds, alone or together', async () => {
      expect(ids(await search({ min_price: 420_000 }))).toEqual(idsWhere((l) => l.latest_price_eur >= 420_000));
      expect(ids(await search({ max_price: 300_000 }))).toEqual(idsWhere((l) => l.latest_price_eur <= 300_000));
      expect(ids(await search({ min_price: 300_000, max_price: 500_000 }))).toEqual(idsWhere((l) => l.latest_price_eur >= 300_000 && l.latest_price_eur <= 500_000));
      expect(ids(await search({ min_price: 300_000, max_price: 300_000 }))).toHaveLength(3);
    });

    it('min_rooms keeps listings with at least that many rooms', async () => {
      expect(ids(await search({ min_rooms: 4 }))).toEqual(idsWhere((l) => l.rooms_count >= 4));
      expect(ids(await search({ min_rooms: 1 }))).toEqual(listings.map((l) => l.id));
    });

    it('min_surface keeps listings of at least that surface, decimals allowed', async () => {
      expect(ids(await search({ min_surface: 95.25 }))).toEqual(idsWhere((l) => l.surface_area_m2 >= 95.25));
      expect(ids(await search({ min_surface: 95.26 }))).toEqual(idsWhere((l) => l.surface_area_m2 >= 95.26));
      expect(ids(await search({ min_surface: 0 }))).toHaveLength(rows.length);
    });

    it('filters combine with AND', async () => {
      const response = await search({ building_type: 'APARTMENT', country: 'FR', min_rooms: 2, max_price: 420_000, min_surface: 50 });
      expect(ids(response)).toEqual(
        idsWhere((l) => l.building_type === 'APARTMENT' && l.postal_address.country === 'FR' && l.rooms_count >= 2 && l.latest_price_eur <= 420_000 && l.surface_area_m2 >= 50),
      );
      expect(ids(response)).toHaveLength(2);
    });

    it('GET /auth/me/listings takes the same filters, within the caller\'s listings', async () => {
      const response = await api.get<Listing[]>(`/auth/me/listings?city=${city}&building_type=STUDIO&sort=-price`);
      expect(response.status).toBe(200);
      expect(ids(response)).toEqual(idsWhere((l) => l.building_type === 'STUDIO').reverse());
    });
  });

  describe('sorts', () => {
    const byPrice = (a: Listing, b: Listing) => a.latest_price_eur - b.latest_price_eur || a.id - b.id;
    const byCreatedDesc = (a: Listing, b: Listing) => b.created_date.localeCompare(a.created_date) || b.id - a.id;

    it('sort=id (the default) is oldest listing first', async () => {
      const expected = listings.map((l) => l.id);
      expect(ids(await search({ sort: 'id' }))).toEqual(expected);
      expect(ids(await search({}))).toEqual(expected);
    });

    it('sort=price is cheapest first, ties by id', async () => {
      expect(ids(await search({ sort: 'price' }))).toEqual([...listings].sort(byPrice).map((l) => l.id));
    });

    it('sort=-price is most expensive first, ties by id descending', async () => {
      expect(ids(await search({ sort: '-price' }))).toEqual([...listings].sort(byPrice).reverse().map((l) => l.id));
    });

    it('sort=-created is newest first, ties by id descending', async () => {
      const expected = [...listings].sort(byCreatedDesc).map((l) => l.id);
      expect(ids(await search({ sort: '-created' }))).toEqual(expected);
      expect(expected).toEqual(listings.map((l) => l.id).reverse());
    });
  });

  describe('key pagination of a filtered, sorted search', () => {
    it.each([
      ['price', (a: Listing, b: Listing) => a.latest_price_eur - b.latest_price_eur || a.id - b.id],
      ['-price', (a: Listing, b: Listing) => b.latest_price_eur - a.latest_price_eur || b.id - a.id],
      ['-created', (a: Listing, b: Listing) => b.created_date.localeCompare(a.created_date) || b.id - a.id],
      ['id', (a: Listing, b: Listing) => a.id - b.id],
    ] as [string, (a: Listing, b: Listing) => number][])(
      'sort=%s: following Link rel="next" returns every matching listing exactly once, in order, keeping the filters',
      async (sort, order) => {
        const expected = listings.filter((l) => l.latest_price_eur <= 500_000).sort(order).map((l) => l.id);
        const pages = await walk(`/listings?city=${city}&max_price=500000&sort=${sort}&limit=2`);
        expect(pages.map((page) => page.length)).toEqual([2, 2, 2, 1]);
        expect(pages.flat().map((l) => l.id)).toEqual(expected);
      },
    );

    it('the Link header keeps every filter and the sort', async () => {
      const response = await api.get<Listing[]>(`/listings?city=${city}&building_type=APARTMENT&min_rooms=2&sort=-price&limit=1`);
      const next = nextPageUrl(response);
      expect(next).toBeDefined();
      const url = new URL(next!, 'http://x');
      expect(Object.fromEntries(url.searchParams)).toEqual({ city, building_type: 'APARTMENT', min_rooms: '2', sort: '-price', limit: '1', cursor: expect.any(String) });
    });

    it('a cursor issued for one sort is a 400 with any other sort', async () => {
      const cursors: Record<string, string> = {};
      for (const sort of ['id', 'price', '-price', '-created']) {
        const next = nextPageUrl(await search({ sort, limit: 1 }));
        cursors[sort] = new URL(next!, 'http://x').searchParams.get('cursor')!;
      }
      for (const [issuedFor, cursor] of Object.entries(cursors)) {
        for (const sort of Object.keys(cursors).filter((s) => s !== issuedFor)) {
          const response = await search({ sort, cursor });
          expect({ issuedFor, sort, status: response.status }).toEqual({ issuedFor, sort, status: 400 });
          expect((response.body as unknown as ErrorBody).message).toMatch(/^Invalid cursor/);
        }
        expect((await search({ sort: issuedFor, cursor })).status).toBe(200);
      }
    });

    it.each([
      ['a price cursor with a text price', 'price', encodeCursor({ price: 'cheap', id: 1 })],
      ['a price cursor with a negative price', 'price', encodeCursor({ price: -1, id: 1 })],
      ['a price cursor with an extra key', 'price', encodeCursor({ price: 1, id: 1, x: 1 })],
      ['a -created cursor with a bad timestamp', '-created', encodeCursor({ '-created': 'yesterday', id: 1 })],
      ['an id cursor with an extra key', 'id', encodeCursor({ id: 1, price: 1 })],
    ])('%s is a 400', async (_name, sort, cursor) => {
      const response = await search({ sort, cursor });
      expect(response.status).toBe(400);
      expect((response.body as unknown as ErrorBody).message).toMatch(/^Invalid cursor/);
    });
  });

  describe('invalid parameters are a 400 naming each one', () => {
    it.each([
      ['building_type=CASTLE', 'building_type'],
      ['building_type=house', 'building_type'],
      ['country=fr', 'country'],
      ['country=FRA', 'country'],
      ['city=', 'city'],
      ['city=a&city=b', 'city'],
      [`postal_code=${'1'.repeat(21)}`, 'postal_code'],
      ['min_price=-1', 'min_price'],
      ['min_price=abc', 'min_price'],
      ['min_price=1.5', 'min_price'],
      ['max_price=1e6', 'max_price'],
      ['max_price=1000000000000', 'max_price'],
      ['min_price=500&max_price=499', 'max_price'],
      ['min_rooms=0', 'min_rooms'],
      ['min_rooms=2.5', 'min_rooms'],
      ['min_surface=-0.5', 'min_surface'],
      ['min_surface=abc', 'min_surface'],
      ['min_surface=Infinity', 'min_surface'],
      ['sort=name', 'sort'],
      ['sort=price%2Cid', 'sort'],
      ['order=price', 'order'],
    ])('%s', async (query, field) => {
      const response = await api.get<ErrorBody>(`/listings?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.message).toBe('Invalid query parameters');
      expect(response.body.errors).toContainEqual({ field, message: expect.any(String) });
    });

    it('every bad parameter is listed, with a message that says what is expected', async () => {
      const response = await api.get<ErrorBody>('/listings?building_type=CASTLE&min_rooms=0&sort=cheapest');
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([
          { field: 'building_type', message: 'building_type must be one of STUDIO, APARTMENT, HOUSE' },
          { field: 'min_rooms', message: expect.stringContaining('min_rooms') },
          { field: 'sort', message: 'sort must be one of id, price, -price, -created, drop' },
        ]),
      );
    });

    it('max_price equal to min_price is fine', async () => {
      expect((await search({ min_price: 500, max_price: 500 })).status).toBe(200);
    });
  });
});
