/**
 * The baseline the service is benchmarked against: the same endpoints and the same JSON, written the
 * plainest fast way — node:http, node-postgres with named prepared statements, no framework, no ORM.
 * Whatever the service costs beyond this is the price of NestJS, Fastify, validation and Prisma.
 *
 * Env: DATABASE_URL (required), PORT (3001), HOST (127.0.0.1), DATABASE_POOL_SIZE (10), JWT_SECRET
 * (required for PUT), BODY_LIMIT_BYTES (102400).
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { createHash, createSecretKey, KeyObject, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Pool, PoolClient, QueryConfig } from 'pg';
import { HttpError, ListingFilter, listingQuery, parseListingWrite, parseQuery, toListingView, ListingRow, encodeCursor, decodeCursor, nextLink, LISTING_COLUMNS } from './wire';

const MAX_INT4 = 2_147_483_647;
const env = process.env;
const databaseUrl = env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL must be set');
const port = Number(env.PORT ?? 3001);
const host = env.HOST ?? '127.0.0.1';
const bodyLimit = Number(env.BODY_LIMIT_BYTES ?? 100 * 1024);
// A KeyObject, not the string: jsonwebtoken re-imports a string secret on every verify (~50x slower).
const jwtKey: KeyObject | undefined = env.JWT_SECRET ? createSecretKey(Buffer.from(env.JWT_SECRET, 'utf8')) : undefined;

const pool = new Pool({ connectionString: databaseUrl, max: Number(env.DATABASE_POOL_SIZE ?? 10) });

// The history's version (entry count, newest entry date), read with each page as the service does for its ETag.
const HISTORY_VERSION = `price_entries || '-' || floor(extract(epoch FROM coalesce(price_changed_date, created_date)) * 1000)::bigint`;
const VERSION_COLUMN = `(SELECT ${HISTORY_VERSION} FROM listing WHERE id = $1) AS version`;

const SQL = {
  historyFirst: `SELECT id, price_eur, created_date, ${VERSION_COLUMN} FROM listing_price WHERE listing_id = $1 ORDER BY created_date, id LIMIT $2`,
  historyAfter: `SELECT id, price_eur, created_date, ${VERSION_COLUMN} FROM listing_price
         WHERE listing_id = $1 AND (created_date, id) > ($2, $3) ORDER BY created_date, id LIMIT $4`,
  historyExists: `SELECT ${HISTORY_VERSION} AS version FROM listing WHERE id = $1`,
  listingById: `SELECT ${LISTING_COLUMNS} FROM listing WHERE id = $1`,
  user: 'SELECT role, active, token_version FROM app_user WHERE id = $1',
  // An API key's request (issue 19): the service's api_key_for_request, the same text.
  apiKey: `SELECT k.id, k.scopes, k.owner_id, u.role,
      (k.last_used_date IS NULL OR k.last_used_date < now() - interval '1 minute') AS last_use_stale
    FROM api_key k JOIN app_user u ON u.id = k.owner_id
    WHERE k.key_hash = $1 AND k.revoked_date IS NULL AND (k.expires_date IS NULL OR k.expires_date > now()) AND u.active`,
  apiKeyUsed: `UPDATE api_key SET last_used_date = now() WHERE id = $1 AND (last_used_date IS NULL OR last_used_date < now() - interval '1 minute')`,
  // The listing as it was, read with the lock (the audit entry's "before" values), as the service's listing_lock does.
  lock: `SELECT ${LISTING_COLUMNS}, owner_id, event_tx FROM listing WHERE id = $1 FOR UPDATE`,
  // The price summary columns move on in the same UPDATE when the price changes (right-hand sides read the old row).
  update: `UPDATE listing SET name = $2, description = $3, building_type = $4, surface_area_m2 = $5, rooms_count = $6, bedrooms_count = $7,
             contact_phone_number = $8, street_address = $9, postal_code = $10, city = $11, country = $12, latest_price_eur = $13, updated_date = $14,
             price_entries = CASE WHEN latest_price_eur <> $13 THEN price_entries + 1 ELSE price_entries END,
             previous_price_eur = CASE WHEN latest_price_eur <> $13 THEN latest_price_eur ELSE previous_price_eur END,
             price_changed_date = CASE WHEN latest_price_eur <> $13 THEN $14 ELSE price_changed_date END,
             min_price_eur = least(min_price_eur, $13), max_price_eur = greatest(max_price_eur, $13),
             price_drop_pct = price_drop_pct(first_price_eur, $13),
             event_tx = greatest(event_tx, pg_current_xact_id()::text::bigint)
           WHERE id = $1 RETURNING ${LISTING_COLUMNS}, price_drop_pct, event_tx`,
  // POST /listings (libs/listings' listing_insert): the price summary of a one-entry history, the change-feed position.
  insert: `INSERT INTO listing (name, description, building_type, surface_area_m2, rooms_count, bedrooms_count,
             contact_phone_number, street_address, postal_code, city, country, latest_price_eur, owner_id, created_date, updated_date,
             price_entries, first_price_eur, min_price_eur, max_price_eur, price_drop_pct, event_tx)
           VALUES ($1, $2, $3::building_type, $4, $5, $6, $7, $8, $9, $10, $11, $12::numeric, $13, $14, $14,
             1, $12::numeric, $12::numeric, $12::numeric, price_drop_pct($12::numeric, $12::numeric), pg_current_xact_id()::text::bigint)
           RETURNING ${LISTING_COLUMNS}, price_drop_pct`,
  // Idempotency-Key (libs/listings' idempotency-key.statements): a transaction-scoped advisory lock, the stored answer, the new one.
  idempotencyLock: 'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked',
  idempotencyFind: `SELECT request_hash, status, response FROM idempotency_key WHERE owner_id = $1 AND key = $2 AND created_date > now() - interval '24 hours'`,
  idempotencySave: `INSERT INTO idempotency_key (owner_id, key, request_hash, status, response, created_date) VALUES ($1, $2, $3, $4, $5, now())
    ON CONFLICT (owner_id, key) DO UPDATE SET request_hash = excluded.request_hash, status = excluded.status,
      response = excluded.response, created_date = excluded.created_date`,
  recordPrice: 'INSERT INTO listing_price (listing_id, price_eur, created_date) VALUES ($1, $2, $3)',
  // The change feed's event, in the write's transaction (see libs/listings/src/change-feed), with the price before a
  // price change (what a webhook's `previous` carries); last_state is only written by DELETE.
  recordEvent: `INSERT INTO listing_event (listing_id, type, at, latest_price_eur, tx, previous_price_eur, state)
         VALUES ($1, $2::listing_event_type, $3, $4, greatest(pg_current_xact_id()::text::bigint, $5::bigint), $6, $7::jsonb)`,
  // The audit entry of the write, in its transaction: libs/audit's AUDIT_INSERT_SQL, the same text and values.
  recordAudit: `INSERT INTO audit_log (action, actor_user_id, actor_api_key_id, actor_role, target_type, target_id, request_id, ip, changes)
    VALUES ($1::text, $2::int4, $3::int4, $4::user_role, $5::text, $6::int4, $7::text, $8::text, $9::jsonb)`,
  summary: `SELECT price_entries, first_price_eur, created_date, latest_price_eur, coalesce(price_changed_date, created_date) AS latest_date,
              previous_price_eur, min_price_eur, max_price_eur, price_changed_date,
              price_change_pct(first_price_eur, latest_price_eur) AS change_since_first_pct,
              price_change_pct(previous_price_eur, latest_price_eur) AS change_since_previous_pct
            FROM listing WHERE id = $1`,
  // The change feed's first page (libs/listings change-feed.statements: feedFirstPage): below the snapshot's horizon, in (tx, sequence) order.
  feedFirst: `SELECT sequence, listing_id, type::text AS type, at, latest_price_eur, tx FROM listing_event
              WHERE tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint ORDER BY tx, sequence LIMIT $1`,
  priceAt: `SELECT price_eur, created_date FROM listing_price WHERE listing_id = $1 AND created_date <= $2
            ORDER BY created_date DESC, id DESC LIMIT 1`,
  firstPrice: 'SELECT price_eur, created_date FROM listing_price WHERE listing_id = $1 ORDER BY created_date, id LIMIT 1',
};

/** Named statements: node-postgres prepares each once per connection and then only binds and executes. */
function statement(name: keyof typeof SQL, values: unknown[]): QueryConfig {
  return { name, text: SQL[name], values };
}

interface PriceRow {
  id: string; // int8 arrives as a string, exactly what the cursor holds
  price_eur: string;
  created_date: Date;
  version: string | null;
}

async function priceHistory(id: number, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const query = parseQuery(url, { limit: [1, 1000] });
  const limit = query.limit ?? 100;
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, (raw) =>
    typeof raw.at === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(raw.at) && typeof raw.id === 'string' && /^\d{1,18}$/.test(raw.id)
      ? { at: raw.at, id: raw.id }
      : undefined,
  );
  const tagOf = (version: string) => entityTag('prices', id, version, queryStringOf(req));
  // A revalidation probes the version alone first, as the service does: a match is a 304 without reading the history.
  if (req.headers['if-none-match'] !== undefined) {
    const etag = tagOf(await historyVersion(id));
    if (notModified(req, etag)) return send(res, 304, undefined, undefined, { req, etag });
  }
  const { rows } = await pool.query<PriceRow>(
    after ? statement('historyAfter', [id, after.at, after.id, limit + 1]) : statement('historyFirst', [id, limit + 1]),
  );
  const version = rows.length > 0 && rows[0].version !== null ? rows[0].version : await historyVersion(id);
  const kept = rows.length > limit ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  const link = rows.length > limit ? nextLink(url, encodeCursor({ at: last.created_date.toISOString(), id: last.id })) : undefined;
  const body = kept.map((row) => ({ price_eur: Number(row.price_eur), created_date: row.created_date.toISOString() }));
  send(res, 200, body, link, { req, etag: tagOf(version) });
}

/** The history's version alone (one primary-key read); 404 for an unknown listing. */
async function historyVersion(id: number): Promise<string> {
  const { rows } = await pool.query<{ version: string }>(statement('historyExists', [id]));
  if (rows.length === 0) throw new HttpError(404, `Listing ${id} not found`);
  return rows[0].version;
}

async function listListings(url: URL, res: ServerResponse): Promise<void> {
  const query = parseQuery(url, { limit: [1, 200], min_price: [0, 999_999_999_999], max_price: [0, 999_999_999_999] });
  const filter: ListingFilter = { ...query, limit: query.limit ?? 50 };
  const { rows } = await pool.query<ListingRow>(listingQuery(filter));
  const kept = rows.length > filter.limit ? rows.slice(0, filter.limit) : rows;
  const last = kept[kept.length - 1];
  const link =
    rows.length > filter.limit
      ? nextLink(url, encodeCursor(cursorOf(filter, last)))
      : undefined;
  send(res, 200, kept.map(toListingView), link);
}

function cursorOf(filter: ListingFilter, last: ListingRow): Record<string, string | number> {
  if (filter.sort === 'price') return { price: Number(last.latest_price_eur), id: last.id };
  if (filter.sort === 'drop') {
    const drop = last.price_drop_pct ?? 0;
    return { drop: Number.isFinite(drop) ? drop : '-Infinity', id: last.id };
  }
  return { id: last.id };
}

interface SummaryRow {
  price_entries: number;
  first_price_eur: string;
  created_date: Date;
  latest_price_eur: string;
  latest_date: Date;
  previous_price_eur: string | null;
  min_price_eur: string;
  max_price_eur: string;
  price_changed_date: Date | null;
  change_since_first_pct: string | null;
  change_since_previous_pct: string | null;
}

/** GET /listings/{id}/prices/summary: the stored aggregates, keys in the service's order. */
async function priceSummary(id: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { rows } = await pool.query<SummaryRow>(statement('summary', [id]));
  const row = rows[0];
  if (!row) throw new HttpError(404, `Listing ${id} not found`);
  const first = Number(row.first_price_eur);
  const latest = Number(row.latest_price_eur);
  const body: Record<string, unknown> = {
    listing_id: id,
    entries: row.price_entries,
    first: { price_eur: first, created_date: row.created_date.toISOString() },
    latest: { price_eur: latest, created_date: row.latest_date.toISOString() },
  };
  if (row.previous_price_eur !== null) body.previous_price_eur = Number(row.previous_price_eur);
  body.min_price_eur = Number(row.min_price_eur);
  body.max_price_eur = Number(row.max_price_eur);
  body.change_since_first_eur = latest - first;
  if (row.change_since_first_pct !== null) body.change_since_first_pct = Number(row.change_since_first_pct);
  if (row.change_since_previous_pct !== null) body.change_since_previous_pct = Number(row.change_since_previous_pct);
  if (row.price_changed_date !== null) body.last_changed_date = row.price_changed_date.toISOString();
  body.days_at_current_price = Math.max(0, Math.floor((Date.now() - row.latest_date.getTime()) / 86_400_000));
  body.chart_url = `/listings/${id}/prices/chart.svg`;
  // The service tags the summary by its JSON (the day count moves with time).
  send(res, 200, body, undefined, { req, etag: entityTag('summary', JSON.stringify(body)) });
}

/** GET /listings/{id}/prices/at?date=: only the millisecond RFC 3339 form the benchmark sends (`…T…Z`, `…+01:00`). */
async function priceAt(id: number, url: URL, res: ServerResponse): Promise<void> {
  const date = url.searchParams.get('date') ?? '';
  const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?(Z|[+-]\d{2}:\d{2})$/.test(date) ? new Date(date) : undefined;
  if (!at || Number.isNaN(at.getTime())) {
    throw new HttpError(400, 'Invalid query parameters', [{ field: 'date', message: 'date must be an RFC 3339 date-time with a time zone, like 2026-11-23T10:15:30Z' }]);
  }
  const found = await pool.query<{ price_eur: string; created_date: Date }>(statement('priceAt', [id, at]));
  const entry = found.rows[0];
  if (entry) return send(res, 200, { price_eur: Number(entry.price_eur), created_date: entry.created_date.toISOString() });
  const first = (await pool.query<{ created_date: Date }>(statement('firstPrice', [id]))).rows[0];
  if (!first) throw new HttpError(404, `Listing ${id} not found`);
  throw new HttpError(404, `Listing ${id} had no price yet at ${at.toISOString()}: its first price dates from ${first.created_date.toISOString()}`);
}

interface EventRow {
  sequence: string;
  listing_id: number;
  type: string;
  at: Date;
  latest_price_eur: string | null;
  tx: string;
}

/** GET /listings/changes (first page only: the benchmark reads the feed from its start). Link always: where to poll next. */
async function changeFeed(url: URL, res: ServerResponse): Promise<void> {
  const query = parseQuery(url, { limit: [1, 1000] });
  if (url.searchParams.has('after')) throw new HttpError(400, 'The baseline serves the first page of the feed only');
  const { rows } = await pool.query<EventRow>(statement('feedFirst', [query.limit ?? 100]));
  const events = rows.map((row) => ({
    sequence: Number(row.sequence),
    listing_id: row.listing_id,
    type: row.type,
    at: row.at.toISOString(),
    latest_price_eur: row.latest_price_eur === null ? null : Number(row.latest_price_eur),
  }));
  const last = rows[rows.length - 1];
  const next = new URL(url);
  if (last) next.searchParams.set('after', encodeCursor({ tx: last.tx, sequence: last.sequence }));
  send(res, 200, events, `<${next.pathname}${next.search}>; rel="next"`);
}

async function getListing(id: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { rows } = await pool.query<ListingRow>(statement('listingById', [id]));
  if (rows.length === 0) throw new HttpError(404, `Listing ${id} not found`);
  const view = toListingView(rows[0]);
  send(res, 200, view, undefined, { req, etag: entityTag('listing', JSON.stringify(view)) });
}

interface Caller {
  id: number;
  admin: boolean;
  /** Set when the request came with an API key (`lak_…`) instead of an access token. */
  apiKeyId?: number;
}

/** The service's API key path: shape, SHA-256, one lookup, the scope the route needs, last use at most once a minute. */
async function authenticateKey(key: string, scope: string): Promise<Caller> {
  if (!/^lak_[A-Za-z0-9_-]{43}$/.test(key)) throw new HttpError(401, 'Invalid or expired access token');
  const { rows } = await pool.query<{ id: number; scopes: string[]; owner_id: number; role: string; last_use_stale: boolean }>(
    statement('apiKey', [createHash('sha256').update(key).digest('hex')]),
  );
  const row = rows[0];
  if (!row) throw new HttpError(401, 'Invalid or expired access token');
  if (row.last_use_stale) pool.query(statement('apiKeyUsed', [row.id])).catch(() => undefined);
  if (!row.scopes.includes(scope)) throw new HttpError(403, `This API key lacks the scope ${scope}`);
  return { id: row.owner_id, admin: row.role === 'ADMIN', apiKeyId: row.id };
}

/** The bearer token's user, if the token is valid and still current (same token_version, account active). */
async function authenticate(req: IncomingMessage): Promise<Caller> {
  const header = req.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
  // Only the listing writes authenticate here, so a key needs listings:write.
  if (token?.startsWith('lak_')) return authenticateKey(token, 'listings:write');
  if (!token || !jwtKey) throw new HttpError(401, 'Authentication required');
  let claims: jwt.JwtPayload;
  try {
    const verified = jwt.verify(token, jwtKey, { algorithms: ['HS256'], issuer: 'listing-api', audience: 'listing-api' });
    if (typeof verified === 'string') throw new Error('not a JSON payload');
    claims = verified;
  } catch {
    throw new HttpError(401, 'Invalid or expired token');
  }
  const sub = claims.sub;
  const ver: unknown = claims.ver;
  if (typeof claims.exp !== 'number' || typeof sub !== 'string' || !/^\d{1,10}$/.test(sub) || Number(sub) > MAX_INT4 || typeof ver !== 'number') {
    throw new HttpError(401, 'Invalid or expired token');
  }
  const { rows } = await pool.query<{ role: string; active: boolean; token_version: number }>(statement('user', [Number(sub)]));
  const user = rows[0];
  if (!user || !user.active || user.token_version !== ver) throw new HttpError(401, 'Invalid or expired token');
  return { id: Number(sub), admin: user.role === 'ADMIN' };
}

type Flat = Record<string, unknown>;

/** The view's fields, `postal_address.city` style, without those the audit log leaves out (as libs/audit's changesBetween). */
function flatView(view: object | null): Flat {
  const flat: Flat = {};
  if (view === null) return flat;
  for (const [key, value] of Object.entries(view) as [string, unknown][]) {
    if (key === 'id' || key === 'created_date' || key === 'updated_date') continue;
    if (value !== null && typeof value === 'object') for (const [inner, innerValue] of Object.entries(value)) flat[`${key}.${inner}`] = innerValue;
    else flat[key] = value;
  }
  return flat;
}

/** `{ field: [before, after] }` for the fields that differ. */
function changesBetween(before: object | null, after: object | null): Record<string, [unknown, unknown]> {
  const [old, now] = [flatView(before), flatView(after)];
  const changes: Record<string, [unknown, unknown]> = {};
  for (const field of new Set([...Object.keys(old), ...Object.keys(now)])) {
    const [was, is] = [old[field] ?? null, now[field] ?? null];
    if (was !== is) changes[field] = [was, is];
  }
  return changes;
}

async function replaceListing(id: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // What the service's audit entry records: its request id (the X-Request-Id sent back) and the client IP.
  const requestId = requestIds.get(res) ?? randomUUID();
  const caller = await authenticate(req);
  const dto = parseListingWrite(await readJson(req));
  const client: PoolClient = await pool.connect();
  let failed: Error | undefined;
  try {
    // The listing and its history entry change together or not at all; the row lock serialises writers,
    // so each compares its price with the one the previous writer committed.
    await client.query('BEGIN');
    const locked = await client.query<ListingRow & { owner_id: number }>(statement('lock', [id]));
    const current = locked.rows[0];
    if (!current) throw new HttpError(404, `Listing ${id} not found`);
    if (current.owner_id !== caller.id && !caller.admin) throw new HttpError(403, 'Only the owner of a listing may change it');
    const at = new Date(Math.max(Date.now(), current.updated_date.getTime()));
    const { rows } = await client.query<ListingRow & { event_tx: string; price_drop_pct: number }>(
      statement('update', [
        id, dto.name, dto.description, dto.building_type, dto.surface_area_m2, dto.rooms_count, dto.bedrooms_count, dto.contact_phone_number ?? null,
        dto.postal_address.street_address, dto.postal_address.postal_code, dto.postal_address.city, dto.postal_address.country, dto.latest_price_eur, at,
      ]),
    );
    // The event carries the listing as the change left it (what webhooks deliver), as the app's does.
    const view = toListingView(rows[0]);
    const state = JSON.stringify({ listing: view, price_drop_pct: Number.isFinite(rows[0].price_drop_pct) ? rows[0].price_drop_pct : null });
    if (Number(current.latest_price_eur) !== dto.latest_price_eur) {
      await client.query(statement('recordPrice', [id, dto.latest_price_eur, at]));
      await client.query(statement('recordEvent', [id, 'price_changed', at, dto.latest_price_eur, rows[0].event_tx, current.latest_price_eur, state]));
    } else {
      await client.query(statement('recordEvent', [id, 'updated', at, null, rows[0].event_tx, null, state]));
    }
    const changes = JSON.stringify(changesBetween(toListingView(current), view));
    await client.query(statement('recordAudit', ['listing.replaced', caller.id, caller.apiKeyId ?? null, caller.admin ? 'ADMIN' : 'USER', 'listing', id, requestId, req.socket.remoteAddress ?? null, changes]));
    await client.query('COMMIT');
    send(res, 200, view);
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (failed = rollbackError));
    throw error;
  } finally {
    // A connection whose ROLLBACK failed is in an unknown state: pass the error so the pool discards it.
    client.release(failed);
  }
}

/** The service's Idempotency-Key rule: 1 to 255 visible ASCII characters, optionally quoted. */
function idempotencyKeyOf(req: IncomingMessage): string | undefined {
  const header = req.headers['idempotency-key'];
  if (header === undefined) return undefined;
  if (Array.isArray(header)) throw new HttpError(400, 'Send one Idempotency-Key header, not several');
  const quoted = /^"(.*)"$/.exec(header);
  const key = quoted ? quoted[1] : header;
  if (!/^[\x21-\x7e]{1,255}$/.test(key) || (quoted && /["\\]/.test(key))) throw new HttpError(400, 'Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice)');
  return key;
}

/** SHA-256 of the body as canonical JSON (keys sorted at every depth), as the service hashes a request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * POST /listings, with or without an Idempotency-Key: the listing, its first price, its change-feed event and its
 * audit entry, and the key with its answer, in one transaction (the service's create, statement for statement).
 */
async function createListing(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = requestIds.get(res) ?? randomUUID();
  const caller = await authenticate(req);
  const body = await readJson(req);
  const dto = parseListingWrite(body);
  const key = idempotencyKeyOf(req);
  const hash = key === undefined ? '' : createHash('sha256').update(canonicalJson(body)).digest('hex');
  const client: PoolClient = await pool.connect();
  let failed: Error | undefined;
  try {
    await client.query('BEGIN');
    if (key !== undefined) {
      const { rows: lock } = await client.query<{ locked: boolean }>(statement('idempotencyLock', [caller.id, key]));
      if (!lock[0].locked) throw new HttpError(409, 'A request with this Idempotency-Key is still in progress: retry once it has completed');
      const { rows: stored } = await client.query<{ request_hash: string; response: unknown }>(statement('idempotencyFind', [caller.id, key]));
      if (stored[0]) {
        if (stored[0].request_hash !== hash) throw new HttpError(422, 'This Idempotency-Key was already used with a different request body: use a new key for a new request');
        await client.query('COMMIT');
        return send(res, 201, stored[0].response, undefined, undefined, { 'idempotent-replayed': 'true' });
      }
    }
    const at = new Date(Date.now());
    const { rows } = await client.query<ListingRow & { price_drop_pct: number }>(
      statement('insert', [
        dto.name, dto.description, dto.building_type, dto.surface_area_m2, dto.rooms_count, dto.bedrooms_count, dto.contact_phone_number ?? null,
        dto.postal_address.street_address, dto.postal_address.postal_code, dto.postal_address.city, dto.postal_address.country, dto.latest_price_eur, caller.id, at,
      ]),
    );
    const row = rows[0];
    await client.query(statement('recordPrice', [row.id, dto.latest_price_eur, at]));
    const view = toListingView(row);
    const state = JSON.stringify({ listing: view, price_drop_pct: Number.isFinite(row.price_drop_pct) ? row.price_drop_pct : null });
    await client.query(statement('recordEvent', [row.id, 'created', at, dto.latest_price_eur, '0', null, state]));
    const changes = JSON.stringify(changesBetween(null, view));
    await client.query(statement('recordAudit', ['listing.created', caller.id, caller.apiKeyId ?? null, caller.admin ? 'ADMIN' : 'USER', 'listing', row.id, requestId, req.socket.remoteAddress ?? null, changes]));
    if (key !== undefined) {
      await client.query(statement('idempotencySave', [caller.id, key, hash, 201, JSON.stringify(view)]));
    }
    await client.query('COMMIT');
    send(res, 201, view);
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (failed = rollbackError));
    throw error;
  } finally {
    client.release(failed);
  }
}

function readJson(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return Promise.reject(new HttpError(415, 'Send a JSON body (Content-Type: application/json)'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > bodyLimit) {
        reject(new HttpError(413, `Request body is larger than ${bodyLimit} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'Malformed JSON body'));
      }
    });
  });
}

/**
 * The headers the service sends (issue 21's honest floor): X-Request-Id on every response (the caller's when well
 * formed, else a new UUID: libs/common's requestIdFor), and, on conditional reads, the ETag and Cache-Control the
 * service computes (libs/common's entityTag: SHA-256 of the parts, base64url, 27 characters).
 */
const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const requestIds = new WeakMap<ServerResponse, string>();

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && WELL_FORMED_ID.test(given) ? given : randomUUID();
}

function entityTag(...parts: (string | number)[]): string {
  return `"${createHash('sha256').update(parts.join('\u001f')).digest('base64url').slice(0, 27)}"`;
}

/** The query string as sent, as the service's ConditionalGet tags a page with it. */
function queryStringOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const start = url.indexOf('?');
  return start === -1 || start === url.length - 1 ? '' : url.slice(start);
}

/** If-None-Match against the tag (the service's weak comparison, `*` included): true when the answer is a 304. */
function notModified(req: IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const wanted = etag.slice(1, -1);
  for (const match of header.matchAll(/(?:W\/)?"([^"]*)"/g)) if (match[1] === wanted) return true;
  return false;
}

interface Conditional {
  req: IncomingMessage;
  etag: string;
}

function send(res: ServerResponse, status: number, body: unknown, link?: string, conditional?: Conditional, extra?: Record<string, string>): void {
  const requestId = requestIds.get(res) ?? randomUUID();
  if (conditional && notModified(conditional.req, conditional.etag)) {
    res.writeHead(304, { 'x-request-id': requestId, etag: conditional.etag, 'cache-control': 'no-cache' }).end();
    return;
  }
  const payload = JSON.stringify(body);
  const headers: Record<string, string | number> = { 'x-request-id': requestId, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) };
  if (conditional) {
    headers.etag = conditional.etag;
    headers['cache-control'] = 'no-cache';
  }
  if (link) headers.link = link;
  if (extra) Object.assign(headers, extra);
  res.writeHead(status, headers).end(payload);
}

function parseId(raw: string): number {
  const id = Number(raw);
  if (!/^\d{1,10}$/.test(raw) || id > MAX_INT4) throw new HttpError(400, 'The id must be an integer from 0 to 2147483647');
  return id;
}

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts[0] === 'listings') {
    if (parts.length === 1 && req.method === 'GET') return listListings(url, res);
    if (parts.length === 1 && req.method === 'POST') return createListing(req, res);
    if (parts.length === 2 && parts[1] === 'changes' && req.method === 'GET') return changeFeed(url, res);
    if (parts.length === 2 && req.method === 'GET') return getListing(parseId(parts[1]), req, res);
    if (parts.length === 2 && req.method === 'PUT') return replaceListing(parseId(parts[1]), req, res);
    if (parts.length === 3 && parts[2] === 'prices' && req.method === 'GET') return priceHistory(parseId(parts[1]), url, req, res);
    if (parts.length === 4 && parts[2] === 'prices' && parts[3] === 'summary' && req.method === 'GET') return priceSummary(parseId(parts[1]), req, res);
    if (parts.length === 4 && parts[2] === 'prices' && parts[3] === 'at' && req.method === 'GET') return priceAt(parseId(parts[1]), url, res);
  }
  throw new HttpError(404, `Cannot ${req.method} ${url.pathname}`);
}

const server = createServer((req, res) => {
  requestIds.set(res, requestIdOf(req));
  route(req, res).catch((error: unknown) => {
    if (error instanceof HttpError) return send(res, error.status, error.body);
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    if (!res.headersSent) send(res, 500, { message: 'Internal server error' });
  });
});
// As Fastify's default: idle keep-alive connections stay open long enough for a load generator's pool.
server.keepAliveTimeout = 72_000;
server.listen(port, host, () => process.stdout.write(`baseline on http://${host}:${port}\n`));

const stop = () => {
  server.close();
  void pool.end().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
