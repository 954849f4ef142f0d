/**
 * The baseline's wire format: the same JSON, cursors and Link headers as the service
 * (libs/listings/src/listing.mapper.ts, libs/common/src/pagination), and the SQL of the listing queries.
 * Written again on purpose rather than imported: the baseline must not run any of the service's code,
 * or the comparison would measure the service against part of itself.
 */
import type { QueryConfig } from 'pg';

export class HttpError extends Error {
  readonly body: { message: string; errors?: { field: string; message: string }[] };
  constructor(
    readonly status: number,
    message: string,
    errors?: { field: string; message: string }[],
  ) {
    super(message);
    this.body = errors ? { message, errors } : { message };
  }
}

// ---- Cursors and links -------------------------------------------------------------------------------

export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, parse: (raw: Record<string, unknown>) => T | undefined): T {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    raw = undefined;
  }
  const position = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? parse(raw as Record<string, unknown>) : undefined;
  if (position === undefined) throw new HttpError(400, 'Invalid cursor: pass the cursor from a Link header unchanged');
  return position;
}

/** The request's path and query with the cursor replaced, as the service's nextLink. */
export function nextLink(url: URL, cursor: string): string {
  const next = new URL(url);
  next.searchParams.set('cursor', cursor);
  return `<${next.pathname}${next.search}>; rel="next"`;
}

// ---- Query parameters --------------------------------------------------------------------------------

export const BUILDING_TYPES = ['STUDIO', 'APARTMENT', 'HOUSE'] as const;

export interface ListingQueryParams {
  limit?: number;
  cursor?: string;
  building_type?: string;
  city?: string;
  min_price?: number;
  max_price?: number;
  min_drop_pct?: number;
  sort?: 'id' | 'price' | 'drop';
}

/** Integer parameters are checked against the given ranges; every problem is reported, as the service does. */
export function parseQuery(url: URL, ranges: Record<string, [number, number]>): ListingQueryParams {
  const errors: { field: string; message: string }[] = [];
  const result: Record<string, string | number> & ListingQueryParams = {};
  for (const [name, value] of url.searchParams) {
    if (name in ranges) {
      const [min, max] = ranges[name];
      const n = Number(value);
      if (!/^-?\d{1,16}$/.test(value) || n < min || n > max) errors.push({ field: name, message: `${name} must be an integer from ${min} to ${max}` });
      else result[name] = n;
    } else if (name === 'cursor' || name === 'city') {
      if (value.length < 1 || value.length > (name === 'city' ? 120 : 512)) errors.push({ field: name, message: `${name} has a wrong length` });
      else result[name] = value;
    } else if (name === 'building_type') {
      if (!(BUILDING_TYPES as readonly string[]).includes(value)) errors.push({ field: name, message: `building_type must be one of ${BUILDING_TYPES.join(', ')}` });
      else result[name] = value;
    } else if (name === 'sort') {
      if (value !== 'id' && value !== 'price' && value !== 'drop') errors.push({ field: name, message: 'sort must be one of id, price, drop' });
      else result[name] = value;
    } else if (name === 'min_drop_pct') {
      const n = Number(value);
      if (!/^\d{1,3}(\.\d{1,15})?$/.test(value) || n > 100) errors.push({ field: name, message: 'min_drop_pct must be a number from 0 to 100' });
      else result[name] = n;
    }
  }
  if (errors.length > 0) throw new HttpError(400, 'Invalid query parameters', errors);
  return result;
}

// ---- Listings -----------------------------------------------------------------------------------------

export const LISTING_COLUMNS =
  'id, name, description, building_type, surface_area_m2, rooms_count, bedrooms_count, contact_phone_number, street_address, postal_code, city, country, latest_price_eur, created_date, updated_date';

export interface ListingRow {
  id: number;
  name: string;
  description: string;
  building_type: string;
  surface_area_m2: number;
  rooms_count: number;
  bedrooms_count: number;
  contact_phone_number: string | null;
  street_address: string;
  postal_code: string;
  city: string;
  country: string;
  latest_price_eur: string; // NUMERIC arrives as a string
  created_date: Date;
  updated_date: Date;
  price_drop_pct?: number; // selected by sort=drop only, for the cursor
}

/** Same keys in the same order as the service's toListingView, so the bodies are byte-for-byte equal. */
export function toListingView(row: ListingRow): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: row.id,
    name: row.name,
    postal_address: { street_address: row.street_address, postal_code: row.postal_code, city: row.city, country: row.country },
    description: row.description,
    building_type: row.building_type,
    latest_price_eur: Number(row.latest_price_eur),
    surface_area_m2: row.surface_area_m2,
    rooms_count: row.rooms_count,
    bedrooms_count: row.bedrooms_count,
    created_date: row.created_date.toISOString(),
    updated_date: row.updated_date.toISOString(),
  };
  if (row.contact_phone_number !== null) view.contact_phone_number = row.contact_phone_number;
  return view;
}

export interface ListingFilter extends ListingQueryParams {
  limit: number;
}

/**
 * Only the filters present become predicates (no `$1 IS NULL OR …`), so each combination is its own
 * prepared statement with a plan that can use an index: (latest_price_eur, id) for the price order, or
 * (city, latest_price_eur, id) when a city is given. The cursor is a row-value comparison on the sort key.
 */
export function listingQuery(filter: ListingFilter): QueryConfig {
  const byPrice = filter.sort === 'price';
  const byDrop = filter.sort === 'drop';
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (sql: (n: string) => string, ...params: unknown[]) => {
    values.push(...params);
    where.push(sql(params.map((_, i) => `$${values.length - params.length + i + 1}`).join(', ')));
  };
  if (filter.building_type !== undefined) add((p) => `building_type = ${p}::building_type`, filter.building_type);
  if (filter.city !== undefined) add((p) => `city = ${p}`, filter.city);
  if (filter.min_price !== undefined) add((p) => `latest_price_eur >= ${p}`, filter.min_price);
  if (filter.max_price !== undefined) add((p) => `latest_price_eur <= ${p}`, filter.max_price);
  if (filter.min_drop_pct !== undefined) add((p) => `price_drop_pct >= ${p}::float8`, filter.min_drop_pct);
  if (filter.cursor !== undefined) {
    if (byDrop) {
      const at = decodeCursor(filter.cursor, (raw) => {
        const drop = raw.drop === '-Infinity' ? -Infinity : raw.drop;
        return typeof drop === 'number' && drop <= 100 && Number.isInteger(raw.id) ? { drop, id: raw.id as number } : undefined;
      });
      add((p) => {
        const [drop, id] = p.split(', ');
        return `(price_drop_pct, id) < (${drop}::float8, ${id}::int4)`;
      }, at.drop, at.id);
    } else if (byPrice) {
      const at = decodeCursor(filter.cursor, (raw) =>
        Number.isSafeInteger(raw.price) && Number.isInteger(raw.id) ? { price: raw.price as number, id: raw.id as number } : undefined,
      );
      add((p) => `(latest_price_eur, id) > (${p})`, at.price, at.id);
    } else {
      const id = decodeCursor(filter.cursor, (raw) => (Number.isInteger(raw.id) && (raw.id as number) >= 0 ? (raw.id as number) : undefined));
      add((p) => `id > ${p}`, id);
    }
  }
  values.push(filter.limit + 1);
  const text =
    `SELECT ${LISTING_COLUMNS}${byDrop ? ', price_drop_pct' : ''} FROM listing` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY ${byDrop ? 'price_drop_pct DESC, id DESC' : byPrice ? 'latest_price_eur, id' : 'id'} LIMIT $${values.length}`;
  // The statement's name is its shape; node-postgres prepares each shape once per connection.
  const name = `listings:${byDrop ? 'd' : byPrice ? 'p' : 'i'}:${where.map((w) => w.split(' ')[0]).join(',')}`;
  return { name, text, values };
}

// ---- Write body -----------------------------------------------------------------------------------------

export interface ListingWrite {
  name: string;
  description: string;
  building_type: string;
  latest_price_eur: number;
  surface_area_m2: number;
  rooms_count: number;
  bedrooms_count: number;
  contact_phone_number?: string;
  postal_address: { street_address: string; postal_code: string; city: string; country: string };
}

/** Minimal validation (types, ranges and formats the database would reject anyway), as a 422 with fields. */
export function parseListingWrite(body: unknown): ListingWrite {
  const errors: { field: string; message: string }[] = [];
  const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const a = (typeof b.postal_address === 'object' && b.postal_address !== null ? b.postal_address : {}) as Record<string, unknown>;
  const text = (field: string, value: unknown, max: number) =>
    (typeof value !== 'string' || value.length < 1 || value.length > max || value.includes('\u0000')) && errors.push({ field, message: `${field} must be a string of 1 to ${max} characters` });
  const int = (field: string, value: unknown, min: number, max: number) =>
    (!Number.isInteger(value) || (value as number) < min || (value as number) > max) && errors.push({ field, message: `${field} must be an integer from ${min} to ${max}` });
  text('name', b.name, 255);
  text('description', b.description, 10_000);
  text('postal_address.street_address', a.street_address, 255);
  text('postal_address.postal_code', a.postal_code, 20);
  text('postal_address.city', a.city, 120);
  if (typeof a.country !== 'string' || !/^[A-Z]{2}$/.test(a.country)) errors.push({ field: 'postal_address.country', message: 'country must be an ISO 3166-1 alpha-2 code in upper case, like FR' });
  if (!(BUILDING_TYPES as readonly unknown[]).includes(b.building_type)) errors.push({ field: 'building_type', message: `building_type must be one of ${BUILDING_TYPES.join(', ')}` });
  int('latest_price_eur', b.latest_price_eur, 0, 999_999_999_999);
  int('rooms_count', b.rooms_count, 1, 2_147_483_647);
  int('bedrooms_count', b.bedrooms_count, 0, 2_147_483_647);
  if (typeof b.surface_area_m2 !== 'number' || !Number.isFinite(b.surface_area_m2) || b.surface_area_m2 < 0) errors.push({ field: 'surface_area_m2', message: 'surface_area_m2 must be a number >= 0' });
  if (b.contact_phone_number !== undefined && (typeof b.contact_phone_number !== 'string' || !/^\+[1-9]\d{1,14}$/.test(b.contact_phone_number))) {
    errors.push({ field: 'contact_phone_number', message: 'contact_phone_number must be an E.164 number, like +33612345678' });
  }
  if (errors.length > 0) throw new HttpError(422, 'Validation failed', errors);
  return b as unknown as ListingWrite;
}
