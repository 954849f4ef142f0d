import { type SqlQuery, join, prepared, preparedByShape, raw, sql, withWireTimestamps } from '@app/database';
import type { PriceEntryRow } from './price-entry.mapper';

/**
 * The listing_price table's statements and row types (libs/prices owns the table), all of them here.
 * Every read is a range of listing_price_history_idx (listing_id, created_date, id, price_eur).
 */

/** As node-postgres returns them: bigint and numeric as strings (exact), timestamptz as Date. */
export interface PriceRow extends PriceEntryRow {
  id: string;
  /** The listing's history version (HISTORY_VERSION), read by the same statement as the page. */
  version: string | null;
}

export interface ChartColumnRow {
  px: number;
  first_price: string;
  min_price: string;
  max_price: string;
  last_price: string;
}

export interface HistoryPosition {
  at: Date;
  id: string;
}

/**
 * The version of a listing's history, from its row alone (one primary-key probe, whatever the history's
 * length): the history is append-only, so its entry count and the date of its newest entry change with
 * every append and only then. The history's ETag is derived from it (conditional GETs).
 */
const HISTORY_VERSION = raw(`price_entries || '-' || floor(extract(epoch FROM coalesce(price_changed_date, created_date)) * 1000)::bigint`);

/** The version as a column of the page statements: an InitPlan, evaluated once, in the page's own snapshot. */
const versionColumn = (listingId: number) => sql`(SELECT ${HISTORY_VERSION} FROM listing WHERE id = ${listingId}) AS version`;

export const historyVersion = (listingId: number): SqlQuery =>
  prepared('price_history_version')`SELECT ${HISTORY_VERSION} AS version FROM listing WHERE id = ${listingId}`;

export const recordPrice = (listingId: number, priceEur: number, at: Date): SqlQuery =>
  prepared('price_history_record')`INSERT INTO listing_price (listing_id, price_eur, created_date) VALUES (${listingId}, ${priceEur}, ${at})`;

// Row-value comparison for the cursor: the whole read stays an index-only scan of
// listing_price_history_idx, wherever the page starts.
// The pages go straight to the wire: their created_date is read as the RFC 3339 string they send.
export const historyFirstPage = (listingId: number, limit: number): SqlQuery =>
  withWireTimestamps(prepared('price_history_first_page')`SELECT id, price_eur, created_date, ${versionColumn(listingId)}
    FROM listing_price WHERE listing_id = ${listingId} ORDER BY created_date, id LIMIT ${limit}`);

export const historyNextPage = (listingId: number, after: HistoryPosition, limit: number): SqlQuery =>
  withWireTimestamps(prepared('price_history_next_page')`SELECT id, price_eur, created_date, ${versionColumn(listingId)}
    FROM listing_price WHERE listing_id = ${listingId} AND (created_date, id) > (${after.at}, ${after.id}) ORDER BY created_date, id LIMIT ${limit}`);

/**
 * A page of a window (`from`, `to`): the same index range read, bounded on created_date too. One
 * statement per shape (which bounds, with or without a cursor), each prepared once per connection.
 */
export function historyWindowPage(listingId: number, window: { from?: Date; to?: Date }, after: HistoryPosition | undefined, limit: number): SqlQuery {
  const where = [sql`listing_id = ${listingId}`];
  if (window.from) where.push(sql`created_date >= ${window.from}`);
  if (window.to) where.push(sql`created_date < ${window.to}`);
  if (after) where.push(sql`(created_date, id) > (${after.at}, ${after.id})`);
  return withWireTimestamps(
    preparedByShape(
      'price_history_window',
      sql`SELECT id, price_eur, created_date, ${versionColumn(listingId)} FROM listing_price WHERE ${join(where, ' AND ')} ORDER BY created_date, id LIMIT ${limit}`,
    ),
  );
}

/** The entry in force at an instant: one backward probe of listing_price_history_idx. Ties: the last written. */
export const priceAt = (listingId: number, instant: Date): SqlQuery =>
  prepared('price_at')`SELECT price_eur, created_date FROM listing_price WHERE listing_id = ${listingId} AND created_date <= ${instant}
    ORDER BY created_date DESC, id DESC LIMIT 1`;

/** Only when priceAt found nothing: was it too early, or is there no such listing? */
export const firstPrice = (listingId: number): SqlQuery =>
  prepared('price_first')`SELECT price_eur, created_date FROM listing_price WHERE listing_id = ${listingId} ORDER BY created_date, id LIMIT 1`;

/**
 * The whole history reduced to one row per pixel column of the chart (`columns` columns spanning `spanMs`
 * from `start`): each column's first, lowest, highest and last price. One index-only scan of the history;
 * what leaves the database is bounded by the chart's width, however long the history is.
 */
export const chartColumns = (listingId: number, start: Date, spanMs: number, columns: number): SqlQuery =>
  prepared('price_chart_columns')`SELECT least(${columns}::int - 1, floor(extract(epoch FROM created_date - ${start}::timestamptz) * 1000 * ${columns}::int / ${spanMs}::float8))::int AS px,
      (array_agg(price_eur ORDER BY created_date, id))[1] AS first_price,
      min(price_eur) AS min_price, max(price_eur) AS max_price,
      (array_agg(price_eur ORDER BY created_date DESC, id DESC))[1] AS last_price
    FROM listing_price WHERE listing_id = ${listingId}
    GROUP BY 1 ORDER BY 1`;
