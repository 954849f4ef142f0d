import { Injectable, NotFoundException } from '@nestjs/common';
import { Page, decodeCursor, encodeCursor, isIsoTimestamp, toPage } from '@app/common';
import { SqlService, type SqlTransaction } from '@app/database';
import { PRICE_PAGE_DEFAULT, PriceHistoryQuery } from './dto/price-history.query';
import { PriceEntryView } from './dto/price-entry.view';

/** As node-postgres returns them: bigint and numeric as strings (exact), timestamptz as Date. */
interface PriceRow {
  id: string;
  price_eur: string;
  created_date: Date;
}

interface HistoryPosition {
  at: Date;
  id: string;
}

// Row-value comparison for the cursor: the whole read stays an index-only scan of
// listing_price_history_idx, wherever the page starts.
const FIRST_PAGE = {
  name: 'price_history_first_page',
  text: 'SELECT id, price_eur, created_date FROM listing_price WHERE listing_id = $1 ORDER BY created_date, id LIMIT $2',
};
const NEXT_PAGE = {
  name: 'price_history_next_page',
  text: `SELECT id, price_eur, created_date FROM listing_price
         WHERE listing_id = $1 AND (created_date, id) > ($2, $3) ORDER BY created_date, id LIMIT $4`,
};
const ANY_ENTRY = { name: 'price_history_any_entry', text: 'SELECT 1 FROM listing_price WHERE listing_id = $1 LIMIT 1' };
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

  /** Oldest first, by (created_date, id): ties within one millisecond keep the order they were written in. */
  async history(listingId: number, query: PriceHistoryQuery): Promise<Page<PriceEntryView>> {
    const limit = query.limit ?? PRICE_PAGE_DEFAULT;
    const after = query.cursor ? decodeCursor(query.cursor, parsePosition) : undefined;
    const rows = after
      ? await this.sql.query<PriceRow>(NEXT_PAGE, [listingId, after.at, after.id, limit + 1])
      : await this.sql.query<PriceRow>(FIRST_PAGE, [listingId, limit + 1]);
    // Every listing has at least its initial price, so no entry at all means no such listing.
    if (rows.length === 0 && !(await this.hasAnyEntry(listingId))) {
      throw new NotFoundException(`Listing ${listingId} not found`);
    }
    return toPage(rows, limit, toPriceEntryView, (row) => encodeCursor({ at: row.created_date.toISOString(), id: row.id }));
  }

  private async hasAnyEntry(listingId: number): Promise<boolean> {
    return (await this.sql.query(ANY_ENTRY, [listingId])).length > 0;
  }
}

function toPriceEntryView(row: PriceRow): PriceEntryView {
  // Whole euros up to 10^12: exact as a JS number.
  return { price_eur: Number(row.price_eur), created_date: row.created_date.toISOString() };
}

function parsePosition(raw: Record<string, unknown>): HistoryPosition | undefined {
  const { at, id } = raw;
  if (!isIsoTimestamp(at) || typeof id !== 'string' || !/^\d{1,18}$/.test(id)) return undefined;
  return { at: new Date(at), id };
}
