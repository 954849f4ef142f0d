import { BadRequestException } from '@nestjs/common';
import { decodeCursor, encodeCursor, isId, isIsoTimestamp } from '@app/common';
import { type SqlQuery, isoOf, join, raw, sql } from '@app/database';
import { MAX_PRICE_EUR } from './dto/listing-write.dto';
import { LISTING_PAGE_DEFAULT, LISTING_SORTS, type ListingSort, ListingsQuery } from './dto/listings.query';
import { LISTING_COLUMNS, type ListingRow } from './listing.statements';

/**
 * The one SQL statement behind GET /listings and GET /auth/me/listings, built from the query. It is its
 * own module so that test/query-plans.e2e-spec.ts can EXPLAIN exactly what the service runs.
 *
 * Shape rules that keep every page an index range scan (see the indexes in schema.prisma):
 * - only the filters present become predicates (no `$1 IS NULL OR …`), so each combination is planned
 *   on its own;
 * - the cursor is a row-value comparison on (sort key, id), the form a btree on (sort key, id), or on
 *   (city, sort key, id) after `city = $1`, walks from the cursor onwards; descending orders use `<`
 *   and are read backwards;
 * - parameters carry explicit casts, so a number never turns the NUMERIC column into a float compare
 *   (which would hide it from the index).
 */

/** Where the previous page stopped: the last row's sort key (absent for the id order) and its id. */
export type ListingPosition =
  | { sort: 'id'; id: number }
  | { sort: 'price' | '-price'; price: number; id: number }
  | { sort: '-created'; created: string; id: number }
  /** The drop may be -Infinity (a first price of 0): the cursor holds it as the string "-Infinity". */
  | { sort: 'drop'; drop: number; id: number };

export interface ListingSearch {
  sort: ListingSort;
  limit: number;
  after?: ListingPosition;
  ownerId?: number;
  buildingType?: string;
  city?: string;
  postalCode?: string;
  country?: string;
  minPrice?: number;
  maxPrice?: number;
  minRooms?: number;
  minSurface?: number;
  minDropPct?: number;
  /** RFC 3339, the first stored millisecond at or after the instant asked for. */
  changedSince?: string;
}


const ORDER_BY: Record<ListingSort, SqlQuery> = {
  id: raw('id'),
  price: raw('latest_price_eur, id'),
  '-price': raw('latest_price_eur DESC, id DESC'),
  '-created': raw('created_date DESC, id DESC'),
  drop: raw('price_drop_pct DESC, id DESC'),
};

/**
 * changed_since in id order reads the listings changed since the instant from listing_by_price_change_idx
 * and sorts them (`id + 0` hides the primary key's order from the planner). Walking the primary key
 * instead, as the planner would, assumes recent changes are spread evenly over the ids, when they sit
 * mostly among the newest listings (a correlation its statistics cannot see): a page would then read
 * nearly every listing to find a few recent changes. The cost is that of the listings changed since the
 * instant, which is what "changed since" is for: recent instants.
 */
function orderBy(search: ListingSearch): SqlQuery {
  return search.sort === 'id' && search.changedSince !== undefined ? raw('id + 0') : ORDER_BY[search.sort];
}

function afterCondition(after: ListingPosition): SqlQuery {
  switch (after.sort) {
    case 'id':
      return sql`id > ${after.id}::int4`;
    case 'price':
      return sql`(latest_price_eur, id) > (${after.price}::numeric, ${after.id}::int4)`;
    case '-price':
      return sql`(latest_price_eur, id) < (${after.price}::numeric, ${after.id}::int4)`;
    case '-created':
      return sql`(created_date, id) < (${after.created}::timestamptz, ${after.id}::int4)`;
    case 'drop':
      return sql`(price_drop_pct, id) < (${after.drop}::float8, ${after.id}::int4)`;
  }
}

/** The statement for one page: `limit + 1` rows, so the caller knows whether a next page exists. */
export function listingSearchSql(search: ListingSearch): SqlQuery {
  const where: SqlQuery[] = [];
  if (search.ownerId !== undefined) where.push(sql`owner_id = ${search.ownerId}::int4`);
  if (search.city !== undefined) where.push(sql`city = ${search.city}`);
  if (search.postalCode !== undefined) where.push(sql`postal_code = ${search.postalCode}`);
  if (search.country !== undefined) where.push(sql`country = ${search.country}::bpchar`);
  if (search.buildingType !== undefined) where.push(sql`building_type = ${search.buildingType}::building_type`);
  if (search.minPrice !== undefined) where.push(sql`latest_price_eur >= ${search.minPrice}::numeric`);
  if (search.maxPrice !== undefined) where.push(sql`latest_price_eur <= ${search.maxPrice}::numeric`);
  if (search.minRooms !== undefined) where.push(sql`rooms_count >= ${search.minRooms}::int4`);
  if (search.minSurface !== undefined) where.push(sql`surface_area_m2 >= ${search.minSurface}::float8`);
  // The price summary columns, kept by the listing's writes (see listing.statements.ts).
  if (search.minDropPct !== undefined) where.push(sql`price_drop_pct >= ${search.minDropPct}::float8`);
  if (search.changedSince !== undefined) where.push(sql`price_changed_date >= ${search.changedSince}::timestamptz`);
  if (search.after !== undefined) where.push(afterCondition(search.after));
  const filter = where.length > 0 ? sql` WHERE ${join(where, ' AND ')}` : sql``;
  // sort=drop needs the drop of the last row for the next page's cursor.
  const columns = search.sort === 'drop' ? sql`${LISTING_COLUMNS}, price_drop_pct` : LISTING_COLUMNS;
  return sql`SELECT ${columns} FROM listing${filter} ORDER BY ${orderBy(search)} LIMIT ${search.limit + 1}::int4`;
}

/**
 * Whether the search is sent as an unnamed statement, planned with its values on every execution
 * (a custom plan), rather than prepared once per shape. With changed_since, the listings changed since
 * the instant range from a handful to all of them: a prepared statement's generic plan has to guess
 * (a third of the listings that ever changed) and may choose a Seq Scan over every listing, as the
 * EXPLAIN test saw, where the actual instant gives the range scan of listing_by_price_change_idx.
 * Planning this statement costs a fraction of a millisecond.
 */
export function plannedPerExecution(search: ListingSearch): boolean {
  return search.changedSince !== undefined;
}

/** The validated query as a search; the cursor is decoded here and must belong to the requested sort (400 otherwise). */
export function toListingSearch(query: ListingsQuery, ownerId?: number): ListingSearch {
  const sort = query.sort ?? 'id';
  return {
    sort,
    limit: query.limit ?? LISTING_PAGE_DEFAULT,
    after: query.cursor === undefined ? undefined : decodeCursor(query.cursor, (raw) => positionFor(sort, raw)),
    ownerId,
    buildingType: query.building_type,
    city: query.city,
    postalCode: query.postal_code,
    country: query.country,
    minPrice: query.min_price,
    maxPrice: query.max_price,
    minRooms: query.min_rooms,
    minSurface: query.min_surface,
    minDropPct: query.min_drop_pct,
    // "At or after" an instant: stored milliseconds compare with the first one not before it.
    changedSince: query.changed_since?.atOrAfter.toISOString(),
  };
}

/**
 * Cursors: `{"id":N}` for the id order, `{"price":P,"id":N}`, `{"-price":P,"id":N}` and
 * `{"-created":"<RFC 3339>","id":N}`, `{"drop":D,"id":N}` (D a number, or "-Infinity") for the others: the key names the sort, so a cursor is only
 * accepted by the sort that issued it (exactly these keys, nothing else).
 */
export function cursorOf(sort: ListingSort, row: ListingRow<Date | string>): string {
  switch (sort) {
    case 'id':
      return encodeCursor({ id: row.id });
    case 'price':
    case '-price':
      return encodeCursor({ [sort]: Number(row.latest_price_eur), id: row.id });
    case '-created':
      return encodeCursor({ [sort]: isoOf(row.created_date), id: row.id });
    case 'drop': {
      const drop = row.price_drop_pct ?? 0;
      return encodeCursor({ drop: Number.isFinite(drop) ? drop : '-Infinity', id: row.id });
    }
  }
}

function positionFor(sort: ListingSort, raw: Record<string, unknown>): ListingPosition | undefined {
  const position = parsePosition(sort, raw);
  if (position === undefined && LISTING_SORTS.some((other) => parsePosition(other, raw) !== undefined)) {
    throw new BadRequestException({ message: `Invalid cursor: it was issued for another sort than "${sort}"; start again without a cursor` });
  }
  return position;
}

function hasExactly(raw: Record<string, unknown>, keys: string[]): boolean {
  const own = Object.keys(raw);
  return own.length === keys.length && keys.every((key) => own.includes(key));
}

function isPrice(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_PRICE_EUR;
}

/** A stored drop: at most 100 %, -Infinity for a first price of 0 (rises are unbounded below). */
function parseDrop(value: unknown): number | undefined {
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return typeof value === 'number' && Number.isFinite(value) && value <= 100 ? value : undefined;
}

function parsePosition(sort: ListingSort, raw: Record<string, unknown>): ListingPosition | undefined {
  if (!isId(raw.id)) return undefined;
  const id = raw.id;
  switch (sort) {
    case 'id':
      return hasExactly(raw, ['id']) ? { sort, id } : undefined;
    case 'price':
    case '-price': {
      const price = raw[sort];
      return hasExactly(raw, [sort, 'id']) && isPrice(price) ? { sort, price, id } : undefined;
    }
    case '-created': {
      const created = raw[sort];
      return hasExactly(raw, [sort, 'id']) && isIsoTimestamp(created) ? { sort, created, id } : undefined;
    }
    case 'drop': {
      const drop = parseDrop(raw.drop);
      return hasExactly(raw, ['drop', 'id']) && drop !== undefined ? { sort, drop, id } : undefined;
    }
  }
}
