/**
 * The scenarios, and the data they need from the database: owner1's token and listings (writes go to
 * listings the caller owns), a deep cursor, and a snapshot to undo the writes afterwards.
 */
import jwt from 'jsonwebtoken';
import { createHash, createSecretKey } from 'node:crypto';
import { Client } from 'pg';
import { BENCH_PASSWORD } from '../../scripts/generate-data';
import type { PutItem, RequestPlan } from './load';
import { removeWebhookTraces } from './subscriptions';
import { type AppSession, W1H_SUBSCRIPTIONS } from './webhooks';
import type { ListingRow } from '../baseline/wire';

export interface Scenario {
  id: string;
  title: string;
  plan: RequestPlan;
  /**
   * Responses whose bodies are compared between APP and BASE (PUT bodies differ in updated_date, created listings in
   * their id and dates too: ignored).
   */
  compare: 'body' | 'body-without-updated-date' | 'body-without-id-and-dates';
  /** Run around each of APP's load runs (W1h: its webhook subscriptions). */
  appSession?: AppSession;
  /** Why APP cannot run this scenario here (e.g. no webhook receiver). */
  appUnavailable?: string;
}

export interface Fixtures {
  ownerId: number;
  tokenVersion: number;
  maxListingId: number;
  /** An instant at which every listing has a price (the newest creation): GET /listings/{id}/prices/at never answers 404. */
  priceAtDate: string;
  /** Listings of owner1 that W1 reprices, and others that W2 rewrites unchanged (so their price stays known). */
  repriced: PutItem[];
  unchanged: PutItem[];
  /** Histories no scenario writes to (not owner1's), with their ETags as the service computes them: R1c revalidates them. */
  revalidated: { path: string; etag: string }[];
  /** To undo the benchmark's writes: the last history id before, and the touched listings' original state. */
  lastPriceId: string;
  originals: { id: number; latest_price_eur: string; updated_date: Date }[];
}

/** The baseline's row shape, which mirrors the service's; the fixtures do not read created_date. */
type OwnedListing = Omit<ListingRow, 'created_date'>;

export async function loadFixtures(url: string): Promise<Fixtures> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const owner = await client.query<{ id: number; token_version: number }>("SELECT id, token_version FROM app_user WHERE email = 'owner1@example.test'");
    if (owner.rowCount === 0) throw new Error('owner1@example.test is missing: regenerate the data');
    const { id: ownerId, token_version: tokenVersion } = owner.rows[0];
    const owned = await client.query<OwnedListing>(
      `SELECT id, name, description, building_type, surface_area_m2, rooms_count, bedrooms_count, contact_phone_number,
              street_address, postal_code, city, country, latest_price_eur, updated_date
       FROM listing WHERE owner_id = $1 ORDER BY id LIMIT 200`,
      [ownerId],
    );
    if (owned.rows.length < 2) throw new Error('owner1 owns fewer than 2 listings');
    const items = owned.rows.map(toPutItem);
    const last = await client.query<{ id: string | null; max_listing: number; newest: Date }>(
      'SELECT (SELECT max(id) FROM listing_price) AS id, (SELECT max(id) FROM listing) AS max_listing, (SELECT max(created_date) FROM listing) AS newest',
    );
    // The service's history version (price_entries and the newest entry's time) and its entity tag: resource, listing id,
    // version and query string, joined by U+001F, SHA-256, base64url, 27 characters (libs/common's entityTag).
    const versions = await client.query<{ id: number; version: string }>(
      `SELECT id, price_entries || '-' || floor(extract(epoch FROM coalesce(price_changed_date, created_date)) * 1000)::bigint AS version
       FROM listing WHERE owner_id <> $1 ORDER BY id LIMIT 500`,
      [ownerId],
    );
    const revalidated = versions.rows.map(({ id, version }) => ({
      path: `/listings/${id}/prices`,
      etag: `"${createHash('sha256').update(['prices', id, version, ''].join('\u001f')).digest('base64url').slice(0, 27)}"`,
    }));
    return {
      ownerId,
      tokenVersion,
      revalidated,
      maxListingId: last.rows[0].max_listing,
      priceAtDate: last.rows[0].newest.toISOString(),
      repriced: items.filter((_, i) => i % 2 === 0),
      unchanged: items.filter((_, i) => i % 2 === 1),
      lastPriceId: last.rows[0].id ?? '0',
      originals: owned.rows.map((row) => ({ id: row.id, latest_price_eur: row.latest_price_eur, updated_date: row.updated_date })),
    };
  } finally {
    await client.end();
  }
}

/** The full-replacement body of a listing, split around its price so the load tool can change it. */
function toPutItem(row: OwnedListing): PutItem {
  const body: Record<string, unknown> = {
    name: row.name,
    postal_address: { street_address: row.street_address, postal_code: row.postal_code, city: row.city, country: row.country },
    description: row.description,
    building_type: row.building_type,
    latest_price_eur: -1,
    surface_area_m2: row.surface_area_m2,
    rooms_count: row.rooms_count,
    bedrooms_count: row.bedrooms_count,
  };
  if (row.contact_phone_number !== null) body.contact_phone_number = row.contact_phone_number;
  const [before, after] = JSON.stringify(body).split('"latest_price_eur":-1');
  return { path: `/listings/${row.id}`, before: `${before}"latest_price_eur":`, after, price: Number(row.latest_price_eur) };
}

/**
 * Puts back what the writes changed: the appended history entries, the listings' price and updated_date,
 * and their price summary, recomputed from the history that is left (as the migration's backfill does);
 * removes the benchmark's webhook subscriptions and the delivery queue's jobs.
 */
export async function undoWrites(url: string, fixtures: Fixtures): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('DELETE FROM listing_price WHERE id > $1', [fixtures.lastPriceId]);
    await client.query(
      `UPDATE listing l SET latest_price_eur = o.latest_price_eur, updated_date = o.updated_date
       FROM unnest($1::int[], $2::numeric[], $3::timestamptz[]) AS o(id, latest_price_eur, updated_date) WHERE l.id = o.id`,
      [fixtures.originals.map((o) => o.id), fixtures.originals.map((o) => o.latest_price_eur), fixtures.originals.map((o) => o.updated_date)],
    );
    await client.query(
      `UPDATE listing l
       SET price_entries = h.entries, previous_price_eur = h.previous_price, min_price_eur = h.min_price, max_price_eur = h.max_price,
           price_changed_date = h.changed_date,
           price_drop_pct = price_drop_pct(l.first_price_eur, l.latest_price_eur)
       FROM (
         SELECT listing_id, count(*)::int AS entries, min(price_eur) AS min_price, max(price_eur) AS max_price,
                max(price_eur) FILTER (WHERE k = n - 1) AS previous_price, max(created_date) FILTER (WHERE k = n AND n > 1) AS changed_date
         FROM (SELECT listing_id, price_eur, created_date, row_number() OVER w AS k, count(*) OVER (PARTITION BY listing_id) AS n
               FROM listing_price WHERE listing_id = ANY($1::int[]) WINDOW w AS (PARTITION BY listing_id ORDER BY created_date, id)) AS numbered
         GROUP BY listing_id
       ) AS h
       WHERE l.id = h.listing_id`,
      [fixtures.originals.map((o) => o.id)],
    );
    await client.query('COMMIT');
    // W3's listings (their history goes with them) and its Idempotency-Keys.
    await client.query('DELETE FROM listing WHERE id > $1', [fixtures.maxListingId]);
    await client.query('DELETE FROM idempotency_key WHERE owner_id = $1', [fixtures.ownerId]);
    // W1h's subscriptions (the deliveries go with them) and the delivery queue's jobs.
    await removeWebhookTraces(client);
    // W1k's key, which would otherwise count against owner1's cap of keys in use. (The writes' audit entries stay:
    // the audit log is append-only, and only its retention purge deletes.)
    await client.query("DELETE FROM api_key WHERE name = 'listing-bench W1k' AND to_regclass('api_key') IS NOT NULL").catch(() => undefined);
    // The deleted rows would otherwise linger as dead tuples in the next run's reads.
    await client.query('VACUUM ANALYZE listing_price, listing, idempotency_key');
  } finally {
    await client.end();
  }
}

/**
 * A token for owner1 with the claims the service checks, valid 6 hours, after signing in through the service when it
 * can (proving the seeded password works). The same token is valid for both servers.
 */
export async function ownerToken(appUrl: string | undefined, fixtures: Fixtures, jwtSecret: string): Promise<{ token: string; source: string }> {
  if (appUrl) {
    try {
      const response = await fetch(`${appUrl}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'owner1@example.test', password: BENCH_PASSWORD }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await response.json().catch(() => ({}))) as { access_token?: unknown };
      // The sign-in proves the seeded password works; the runs use a token with the same claims that lives 6 hours,
      // since a full run outlasts the service's 15-minute access tokens.
      if (response.ok && typeof body.access_token === 'string') return { token: mint(fixtures, jwtSecret), source: 'POST /auth/login, then the same claims for 6 h' };
    } catch {
      // fall through to minting
    }
  }
  return { token: mint(fixtures, jwtSecret), source: 'minted with JWT_SECRET (login unavailable)' };
}

/** An access token for owner1 with the claims the service issues and checks, valid 6 hours. */
function mint(fixtures: Fixtures, jwtSecret: string): string {
  return jwt.sign({ sub: String(fixtures.ownerId), ver: fixtures.tokenVersion }, createSecretKey(Buffer.from(jwtSecret, 'utf8')), {
    algorithm: 'HS256',
    issuer: 'listing-api',
    audience: 'listing-api',
    expiresIn: '6h',
  });
}

/** An API key of owner1 for W1k, created through APP with the owner's access token (a build without keys: why not). */
export async function ownerApiKey(appUrl: string | undefined, token: string): Promise<ApiKeySetup> {
  if (!appUrl) return { unavailable: 'n/a (APP not running)' };
  const response = await fetch(`${appUrl}/auth/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: 'listing-bench W1k', scopes: ['listings:write'], expires_in_days: 1 }),
    signal: AbortSignal.timeout(10_000),
  }).catch(() => undefined);
  const body = (await response?.json().catch(() => ({}))) as { key?: unknown };
  return response?.status === 201 && typeof body.key === 'string' ? { key: body.key } : { unavailable: `n/a (POST /auth/api-keys answered ${response?.status ?? 'nothing'})` };
}

/** W1h's APP side: the session that creates and removes its subscriptions, or why there is none. */
export type W1hSetup = { session: AppSession } | { unavailable: string };

/** W1k's bearer: an API key of owner1 with listings:write (made through APP), or why there is none. */
export type ApiKeySetup = { key: string } | { unavailable: string };

export function buildScenarios(
  fixtures: Fixtures,
  token: string,
  w1h: W1hSetup = { unavailable: 'n/a (no webhook receiver)' },
  apiKey: ApiKeySetup = { unavailable: 'n/a (no API key)' },
): Scenario[] {
  // Deep cursor, built as the service builds it: base64url of {"id":N}, N near the end of the table.
  const deepCursor = Buffer.from(JSON.stringify({ id: Math.max(0, fixtures.maxListingId - 100) }), 'utf8').toString('base64url');
  return [
    { id: 'R1', title: 'GET /listings/{random id}/prices', compare: 'body', plan: { kind: 'randomId', pathPrefix: '/listings/', pathSuffix: '/prices', min: 1, max: fixtures.maxListingId } },
    { id: 'R1c', title: 'GET /listings/{id}/prices, If-None-Match current (304)', compare: 'body', plan: { kind: 'revalidate', items: fixtures.revalidated } },
    { id: 'R2a', title: 'GET /listings (first page)', compare: 'body', plan: { kind: 'fixed', path: '/listings' } },
    { id: 'R2b', title: 'GET /listings?cursor=<deep>', compare: 'body', plan: { kind: 'fixed', path: `/listings?cursor=${deepCursor}` } },
    {
      id: 'R3',
      title: 'GET /listings?city=Paris&min_price=500000&sort=price&limit=50',
      compare: 'body',
      plan: { kind: 'fixed', path: '/listings?city=Paris&min_price=500000&sort=price&limit=50' },
    },
    {
      id: 'P1',
      title: 'GET /listings/{random id}/prices/summary',
      compare: 'body',
      plan: { kind: 'randomId', pathPrefix: '/listings/', pathSuffix: '/prices/summary', min: 1, max: fixtures.maxListingId },
    },
    {
      id: 'P2',
      title: 'GET /listings/{random id}/prices/at?date=<newest creation>',
      compare: 'body',
      plan: { kind: 'randomId', pathPrefix: '/listings/', pathSuffix: `/prices/at?date=${fixtures.priceAtDate}`, min: 1, max: fixtures.maxListingId },
    },
    { id: 'P3', title: 'GET /listings?min_drop_pct=10&sort=drop&limit=50', compare: 'body', plan: { kind: 'fixed', path: '/listings?min_drop_pct=10&sort=drop&limit=50' } },
    { id: 'W1', title: 'PUT /listings/{id} (price change)', compare: 'body-without-updated-date', plan: { kind: 'put', token, items: fixtures.repriced, randomPrice: true } },
    {
      // W1 again, with saved-search subscriptions on APP (BASE has no webhooks: it runs W1 as it is).
      id: 'W1h',
      title: `PUT /listings/{id} (price change), ${W1H_SUBSCRIPTIONS} webhook subscriptions`,
      compare: 'body-without-updated-date',
      plan: { kind: 'put', token, items: fixtures.repriced, randomPrice: true },
      ...('session' in w1h ? { appSession: w1h.session } : { appUnavailable: w1h.unavailable }),
    },
    {
      // W1 with an API key instead of an access token, on both servers (BASE checks keys as the service does).
      id: 'W1k',
      title: 'PUT /listings/{id} (price change), API key',
      compare: 'body-without-updated-date',
      plan: { kind: 'put', token: 'key' in apiKey ? apiKey.key : token, items: fixtures.repriced, randomPrice: true },
      ...('key' in apiKey ? {} : { appUnavailable: apiKey.unavailable }),
    },
    { id: 'W2', title: 'PUT /listings/{id} (same price)', compare: 'body-without-updated-date', plan: { kind: 'put', token, items: fixtures.unchanged, randomPrice: false } },
    {
      id: 'W3',
      title: 'POST /listings with Idempotency-Key (a new key each time)',
      compare: 'body-without-id-and-dates',
      // In a city no read scenario filters on, so the new listings never enter a measured page (R3 reads Paris).
      plan: { kind: 'post', token, path: '/listings', before: fixtures.repriced[0].before.replace(/"city":"[^"]*"/, '"city":"Benchville"'), after: fixtures.repriced[0].after },
    },
    // After the writes, so that the feed holds a full page from the first round on (the oldest events: the same page every time).
    { id: 'F1', title: 'GET /listings/changes?limit=100 (change feed, first page)', compare: 'body', plan: { kind: 'fixed', path: '/listings/changes?limit=100' } },
  ];
}

export interface Probe {
  status: number;
  body: string;
}

/** One request of the scenario, outside the load tool: does this server serve it at all, and with what body? */
export async function probe(baseUrl: string, scenario: Scenario): Promise<Probe> {
  const plan = scenario.plan;
  let request: { path: string; init: RequestInit };
  if (plan.kind === 'fixed') request = { path: plan.path, init: {} };
  else if (plan.kind === 'post') {
    request = {
      path: plan.path,
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${plan.token}`, 'idempotency-key': `bench-probe-${Date.now()}-${Math.random()}` },
        body: `${plan.before}420000${plan.after}`,
      },
    };
  } else if (plan.kind === 'revalidate') request = { path: plan.items[0].path, init: { headers: { 'if-none-match': plan.items[0].etag } } };
  else if (plan.kind === 'randomId') request = { path: `${plan.pathPrefix}${plan.max}${plan.pathSuffix}`, init: {} };
  else {
    const item = plan.items[0];
    request = {
      path: item.path,
      init: {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${plan.token}` },
        body: `${item.before}${plan.randomPrice ? item.price + 1000 : item.price}${item.after}`,
      },
    };
  }
  try {
    // A request id of our own, which both servers must send back (as they must send the same ETag, Cache-Control,
    // Content-Type and Link): the comparison covers the headers the service sends, not only the body.
    const headers = { ...(request.init.headers as Record<string, string> | undefined), 'x-request-id': 'bench-probe-1' };
    const response = await fetch(`${baseUrl}${request.path}`, { ...request.init, headers, signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    let body = scenario.compare === 'body' ? text : text.replace(/"updated_date":"[^"]*"/, '"updated_date":"…"');
    if (scenario.compare === 'body-without-id-and-dates') body = body.replace(/^\{"id":\d+/, '{"id":…').replace(/"created_date":"[^"]*"/, '"created_date":"…"');
    const sent = ['content-type', 'etag', 'cache-control', 'link', 'x-request-id']
      .map((name) => [name, response.headers.get(name)])
      .filter(([, value]) => value !== null)
      .map(([name, value]) => `\n${name}: ${value}`);
    return { status: response.status, body: `${body}${sent.join('')}` };
  } catch (error) {
    return { status: 0, body: error instanceof Error ? error.message : String(error) };
  }
}
