import { Injectable, NotFoundException } from '@nestjs/common';
import { Page, decodeCursor, encodeCursor, isIsoTimestamp, toPage } from '@app/common';
import { type ReadSource, SqlService, type SqlTransaction, type Statement, namedStatement } from '@app/database';
import { PRICE_PAGE_DEFAULT, PriceHistoryQuery } from './dto/price-history.query';
import { PriceEntryView } from './dto/price-entry.view';
import { type PriceEntryRow, toPriceEntryView } from './price-entry.mapper';

/** As node-postgres returns them: bigint and numeric as strings (exact), timestamptz as Date. */
interface PriceRow extends PriceEntryRow {
  id: string;
  /** The listing's history version (HISTORY_VERSION), read by the same statement as the page. */
  version: string | null;
}

/** A page of the history and the version of the history it was read from. */
export interface HistoryPage {
  page: Page<PriceEntryView>;
  version: string;
}

interface HistoryPosition {
  at: Date;
  id: string;
}

/**
 * The version of a listing's history, from its row alone (one primary-key probe, whatever the history's
 * length): the history is append-only, so its entry count and the date of its newest entry change with
 * every append and only then. The history's ETag is derived from it (conditional GETs).
 */
const HISTORY_VERSION = `price_entries || '-' || floor(extract(epoch FROM coalesce(price_changed_date, created_date)) * 1000)::bigint`;
/** The version as a column of the page statements: an InitPlan, evaluated once, in the page's own snapshot. */
const VERSION_COLUMN = `(SELECT ${HISTORY_VERSION} FROM listing WHERE id = $1) AS version`;

export const PRICE_HISTORY_VERSION: Statement = {
  name: 'price_history_version',
  text: `SELECT ${HISTORY_VERSION} AS version FROM listing WHERE id = $1`,
};

// Row-value comparison for the cursor: the whole read stays an index-only scan of
// listing_price_history_idx, wherever the page starts.
export const FIRST_PAGE: Statement = {
  name: 'price_history_first_page',
  text: `SELECT id, price_eur, created_date, ${VERSION_COLUMN} FROM listing_price WHERE listing_id = $1 ORDER BY created_date, id LIMIT $2`,
};
export const NEXT_PAGE: Statement = {
  name: 'price_history_next_page',
  text: `SELECT id, price_eur, created_date, ${VERSION_COLUMN} FROM listing_price
         WHERE listing_id = $1 AND (created_date, id) > ($2, $3) ORDER BY created_date, id LIMIT $4`,
};

/**
 * A page of a window (`from`, `to`): the same index range read, bounded on created_date too. One
 * statement per shape (which bounds, with or without a cursor), each prepared once per connection.
 */
export function historyWindowStatement(window: { from?: Date; to?: Date }, after: HistoryPosition | undefined, listingId: number, limit: number): { statement: Statement; values: unknown[] } {
  const values: unknown[] = [listingId];
  const where = ['listing_id = $1'];
  const add = (condition: (n: number) => string, ...params: unknown[]) => {
    values.push(...params);
    where.push(condition(values.length - params.length + 1));
  };
  if (window.from) add((n) => `created_date >= $${n}`, window.from);
  if (window.to) add((n) => `created_date < $${n}`, window.to);
  if (after) add((n) => `(created_date, id) > ($${n}, $${n + 1})`, after.at, after.id);
  values.push(limit + 1);
  const text = `SELECT id, price_eur, created_date, ${VERSION_COLUMN} FROM listing_price WHERE ${where.join(' AND ')} ORDER BY created_date, id LIMIT $${values.length}`;
  return { statement: namedStatement('price_history_window', text), values };
}

const RECORD = { name: 'price_history_record', text: 'INSERT INTO listing_price (listing_id, price_eur, created_date) VALUES ($1, $2, $3)' };


/**
 * Owns `listing_price`: the append-only history of every price a listing has had. Listings record
 * entries through this service inside their own transaction, so a listing's `latest_price_eur` and its
 * newest entry can never disagree.
 */
@Injectable()
export class PriceHistoryService {
  constructor(private readonly sql: SqlService) {}

  /** The first entry of a new listing, or one more after a price change. `tx` is the caller's transaction. */
  async recordPrice(tx: SqlTransaction, listingId: number, priceEur: number, at: Date): Promise<void> {
    await tx.query(RECORD, [listingId, priceEur, at]);
  }

  /** The history's version (see HISTORY_VERSION); 404 for an unknown listing. One primary-key probe. */
  async version(listingId: number, from: ReadSource): Promise<string> {
    const [row] = await this.sql.read<{ version: string }>(from, PRICE_HISTORY_VERSION, [listingId]);
    if (!row) throw new NotFoundException(`Listing ${listingId} not found`);
    return row.version;
  }

  /**
   * Oldest first, by (created_date, id): ties within one millisecond keep the order they were written in.
   * With the version of the history the page was read from (the same statement, so the same snapshot).
   */
  async history(listingId: number, query: PriceHistoryQuery, from: ReadSource): Promise<HistoryPage> {
    const limit = query.limit ?? PRICE_PAGE_DEFAULT;
    const after = query.cursor ? decodeCursor(query.cursor, parsePosition) : undefined;
    let rows: PriceRow[];
    if (query.from || query.to) {
      // `from` is inclusive and `to` exclusive: stored milliseconds compare with the first one not before each.
      const window = historyWindowStatement({ from: query.from?.atOrAfter, to: query.to?.atOrAfter }, after, listingId, limit);
      rows = await this.sql.read<PriceRow>(from, window.statement, window.values);
    } else {
      rows = after
        ? await this.sql.read<PriceRow>(from, NEXT_PAGE, [listingId, after.at, after.id, limit + 1])
        : await this.sql.read<PriceRow>(from, FIRST_PAGE, [listingId, limit + 1]);
    }
    // A row carries the version unless the listing is gone; an empty page (a window or a cursor past the
    // end) asks the listing row alone, which also tells an unknown listing (404).
    const version = rows.length > 0 && rows[0].version !== null ? rows[0].version : await this.version(listingId, from);
    return {
      page: toPage(rows, limit, toPriceEntryView, (row) => encodeCursor({ at: row.created_date.toISOString(), id: row.id })),
      version,
    };
  }
}

function parsePosition(raw: Record<string, unknown>): HistoryPosition | undefined {
  const { at, id } = raw;
  if (!isIsoTimestamp(at) || typeof id !== 'string' || !/^\d{1,18}$/.test(id)) return undefined;
  return { at: new Date(at), id };
}
