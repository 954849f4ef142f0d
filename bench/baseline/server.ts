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
}

async function priceHistory(id: number, url: URL, res: ServerResponse): Promise<void> {
  const query = parseQuery(url, { limit: [1, 1000] });
  const limit = query.limit ?? 100;
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, (raw) =>
    typeof raw.at === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(raw.at) && typeof raw.id === 'string' && /^\d{1,18}$/.test(raw.id)
      ? { at: raw.at, id: raw.id }
      : undefined,
  );
  const { rows } = await pool.query<PriceRow>(
    after ? statement('historyAfter', [id, after.at, after.id, limit + 1]) : statement('historyFirst', [id, limit + 1]),
  );
  if (rows.length === 0 && (await pool.query(statement('historyExists', [id]))).rowCount === 0) {
    throw new HttpError(404, `Listing ${id} not found`);
  }
  const kept = rows.length > limit ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  const link = rows.length > limit ? nextLink(url, encodeCursor({ at: last.created_date.toISOString(), id: last.id })) : undefined;
  send(res, 200, kept.map((row) => ({ price_eur: Number(row.price_eur), created_date: row.created_date.toISOString() })), link);
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
async function priceSummary(id: number, res: ServerResponse): Promise<void> {
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
  send(res, 200, body);
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

async function getListing(id: number, res: ServerResponse): Promise<void> {
  const { rows } = await pool.query<ListingRow>(statement('listingById', [id]));
  if (rows.length === 0) throw new HttpError(404, `Listing ${id} not found`);
  send(res, 200, toListingView(rows[0]));
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
function flatView(view: object): Flat {
  const flat: Flat = {};
  for (const [key, value] of Object.entries(view) as [string, unknown][]) {
    if (key === 'id' || key === 'created_date' || key === 'updated_date') continue;
    if (value !== null && typeof value === 'object') for (const [inner, innerValue] of Object.entries(value)) flat[`${key}.${inner}`] = innerValue;
    else flat[key] = value;
  }
  return flat;
}

/** `{ field: [before, after] }` for the fields that differ. */
function changesBetween(before: object, after: object): Record<string, [unknown, unknown]> {
  const [old, now] = [flatView(before), flatView(after)];
  const changes: Record<string, [unknown, unknown]> = {};
  for (const field of new Set([...Object.keys(old), ...Object.keys(now)])) {
    const [was, is] = [old[field] ?? null, now[field] ?? null];
    if (was !== is) changes[field] = [was, is];
  }
  return changes;
}

async function replaceListing(id: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // What the service's audit entry records: its request id (a new UUID when the client sends none) and the client IP.
  const requestId = randomUUID();
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

function send(res: ServerResponse, status: number, body: unknown, link?: string): void {
  const payload = JSON.stringify(body);
  const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) };
  if (link) headers.link = link;
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
    if (parts.length === 2 && req.method === 'GET') return getListing(parseId(parts[1]), res);
    if (parts.length === 2 && req.method === 'PUT') return replaceListing(parseId(parts[1]), req, res);
    if (parts.length === 3 && parts[2] === 'prices' && req.method === 'GET') return priceHistory(parseId(parts[1]), url, res);
    if (parts.length === 4 && parts[2] === 'prices' && parts[3] === 'summary' && req.method === 'GET') return priceSummary(parseId(parts[1]), res);
    if (parts.length === 4 && parts[2] === 'prices' && parts[3] === 'at' && req.method === 'GET') return priceAt(parseId(parts[1]), url, res);
  }
  throw new HttpError(404, `Cannot ${req.method} ${url.pathname}`);
}

const server = createServer((req, res) => {
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
