import { randomBytes } from 'node:crypto';
import { encodeCursor } from '@app/common';
import { ApiClient, ApiResponse, nextPageUrl } from './support/http';
import { Listing, aListing } from './support/listings';
import { TestApp, signUp, startTestApp } from './support/test-app';

interface ErrorBody {
  message: string;
  errors?: { field: string; message: string }[];
}

/**
 * GET /listings (and /auth/me/listings) by price movement: min_drop_pct, changed_since and sort=drop,
 * alone and with the other filters, with key pagination. Each listing's price path is chosen so the
 * drop since the first price is known: ties, rises and first prices of 0 included.
 */
describe('searching listings by price movement', () => {
  let testApp: TestApp;
  let api: ApiClient;
  const city = `Dropville-${randomBytes(4).toString('hex')}`;
  /** name -> listing, created in this order (so ids increase in this order). */
  const byName: Record<string, Listing> = {};
  /** When the second wave of price changes started: only B and F changed at or after it. */
  let secondWave: string;

  // [name, prices (the first is the initial one), drop since the first price in % (-Infinity: first price 0)]
  const paths: [string, number[], number][] = [
    ['A', [100_000, 80_000], 20],
    ['B', [100_000, 95_000, 90_000], 10],
    ['C', [100_000, 110_000], -10],
    ['D', [100_000], 0],
    ['E', [0, 50_000], -Infinity],
    ['F', [200_000, 180_000, 170_000], 15],
    ['G', [300_000, 270_000], 10],
    ['H', [0], -Infinity],
    ['I', [300_000, 299_999], 0], // 0.0003 % rounds to 0.00
  ];
  const drop = (name: string) => paths.find(([n]) => n === name)![2];

  beforeAll(async () => {
    testApp = await startTestApp();
    api = (await signUp(testApp, 'movement')).api;
    const bodies: Record<string, Record<string, unknown>> = {};
    for (const [name, prices] of paths) {
      bodies[name] = aListing({ latest_price_eur: prices[0], postal_address: { street_address: '1 rue du Prix', postal_code: '75001', city, country: 'FR' } });
      const created = await api.post<Listing>('/listings', bodies[name]);
      expect(created.status).toBe(201);
      byName[name] = created.body;
    }
    // Every change but the last ones of B and F, then (later) those two.
    const put = async (name: string, price: number) => {
      const response = await api.put<Listing>(`/listings/${byName[name].id}`, { ...bodies[name], latest_price_eur: price });
      expect(response.status).toBe(200);
      return response.body;
    };
    for (const [name, prices] of paths) {
      const first = name === 'B' || name === 'F' ? prices.slice(1, -1) : prices.slice(1);
      for (const price of first) await put(name, price);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    secondWave = (await put('B', 90_000)).updated_date;
    await put('F', 170_000);
  });
  afterAll(() => testApp.close());

  const search = (params: Record<string, string | number>, path = '/listings') =>
    api.get<Listing[]>(`${path}?${new URLSearchParams(Object.entries({ city, limit: 200, ...params }).map(([k, v]): [string, string] => [k, String(v)])).toString()}`);
  const names = (response: ApiResponse<Listing[]>) => response.body.map((l) => Object.keys(byName).find((name) => byName[name].id === l.id));

  it('min_drop_pct keeps listings whose price is at least that many % below the first one', async () => {
    expect(names(await search({ min_drop_pct: 10 }))).toEqual(['A', 'B', 'F', 'G']);
    expect(names(await search({ min_drop_pct: 10.01 }))).toEqual(['A', 'F']);
    expect(names(await search({ min_drop_pct: 20 }))).toEqual(['A']);
    expect(names(await search({ min_drop_pct: 100 }))).toEqual([]);
  });

  it('min_drop_pct=0 keeps prices not above the first; a first price of 0 never matches', async () => {
    expect(names(await search({ min_drop_pct: 0 }))).toEqual(['A', 'B', 'D', 'F', 'G', 'I']);
  });

  it('sort=drop: largest drop first, rises after, first prices of 0 last; ties by id descending', async () => {
    expect(names(await search({ sort: 'drop' }))).toEqual(['A', 'F', 'G', 'B', 'I', 'D', 'C', 'H', 'E']);
    expect(paths.map(([name]) => drop(name))).toContain(-Infinity);
  });

  it('sort=drop pages by key: following Link rel="next" returns every listing once, in order, keeping the filters', async () => {
    const pages: string[][] = [];
    let path: string | undefined = `/listings?city=${city}&sort=drop&limit=2`;
    while (path) {
      const response: ApiResponse<Listing[]> = await api.get<Listing[]>(path);
      expect(response.status).toBe(200);
      pages.push(names(response) as string[]);
      path = nextPageUrl(response);
    }
    expect(pages).toEqual([['A', 'F'], ['G', 'B'], ['I', 'D'], ['C', 'H'], ['E']]);
  });

  it('changed_since keeps listings whose price changed at or after that instant; creation is not a change', async () => {
    expect(names(await search({ changed_since: secondWave }))).toEqual(['B', 'F']);
    expect(names(await search({ changed_since: new Date(Date.parse(secondWave) + 1).toISOString() }))).toEqual(['F']);
    expect(names(await search({ changed_since: '2000-01-01T00:00:00Z' }))).toEqual(['A', 'B', 'C', 'E', 'F', 'G', 'I']);
    expect(names(await search({ changed_since: '9999-01-01T00:00:00+01:00' }))).toEqual([]);
  });

  it('combine with each other, with the other filters and sorts', async () => {
    expect(names(await search({ min_drop_pct: 5, changed_since: secondWave, sort: 'drop' }))).toEqual(['F', 'B']);
    expect(names(await search({ min_drop_pct: 10, max_price: 200_000, sort: 'price' }))).toEqual(['A', 'B', 'F']);
    expect(names(await search({ min_drop_pct: 10, sort: '-created', limit: 1 }))).toEqual(['G']);
    expect(names(await search({ sort: 'drop', building_type: 'HOUSE' }))).toEqual([]);
  });

  it('GET /auth/me/listings takes them too, within the caller\'s listings', async () => {
    expect(names(await search({ min_drop_pct: 10, sort: 'drop' }, '/auth/me/listings'))).toEqual(['A', 'F', 'G', 'B']);
  });

  it.each([
    ['min_drop_pct above 100', { min_drop_pct: 101 }, 'min_drop_pct'],
    ['min_drop_pct negative', { min_drop_pct: -1 }, 'min_drop_pct'],
    ['min_drop_pct not a number', { min_drop_pct: 'half' }, 'min_drop_pct'],
    ['changed_since without a time zone', { changed_since: '2026-11-23T10:00:00' }, 'changed_since'],
    ['an unknown sort', { sort: '-drop' }, 'sort'],
  ])('%s: 400 naming the parameter', async (_name, params, field) => {
    const response = await search(params);
    expect(response.status).toBe(400);
    expect((response.body as unknown as ErrorBody).errors?.map((e) => e.field)).toEqual([field]);
  });

  it('a sort=drop cursor only works with sort=drop, and its drop must be one a listing can have', async () => {
    const next = nextPageUrl(await search({ sort: 'drop', limit: 1 }));
    const cursor = new URL(next!, 'http://x').searchParams.get('cursor')!;
    expect((await search({ sort: 'price', cursor })).status).toBe(400);
    expect((await search({ sort: 'drop', cursor })).status).toBe(200);
    for (const bad of [{ drop: 101, id: 1 }, { drop: 'big', id: 1 }, { drop: '-Infinity', id: -1 }]) {
      expect((await search({ sort: 'drop', cursor: encodeCursor(bad) })).status).toBe(400);
    }
    expect(names(await search({ sort: 'drop', cursor: encodeCursor({ drop: '-Infinity', id: byName.H.id }) }))).toEqual(['E']);
  });
});
