import { Injectable, NotFoundException } from '@nestjs/common';
import { Page, decodeCursor, encodeCursor, isIsoTimestamp, toPage } from '@app/common';
import { type ReadSource, SqlService, type SqlTransaction, isoOf } from '@app/database';
import { PRICE_PAGE_DEFAULT, PriceHistoryQuery } from './dto/price-history.query';
import { PriceEntryView } from './dto/price-entry.view';
import { toPriceEntryView } from './price-entry.mapper';
import { type HistoryPosition, type PriceRow, historyFirstPage, historyNextPage, historyVersion, historyWindowPage, recordPrice } from './listing-price.statements';

/** A page of the history and the version of the history it was read from. */
export interface HistoryPage {
  page: Page<PriceEntryView>;
  version: string;
}

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
    await tx.query(recordPrice(listingId, priceEur, at));
  }

  /** The history's version (see historyVersion); 404 for an unknown listing. One primary-key probe. */
  async version(listingId: number, from: ReadSource): Promise<string> {
    const [row] = await this.sql.read<{ version: string }>(from, historyVersion(listingId));
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
      rows = await this.sql.read<PriceRow>(from, historyWindowPage(listingId, { from: query.from?.atOrAfter, to: query.to?.atOrAfter }, after, limit + 1));
    } else {
      rows = after
        ? await this.sql.read<PriceRow>(from, historyNextPage(listingId, after, limit + 1))
        : await this.sql.read<PriceRow>(from, historyFirstPage(listingId, limit + 1));
    }
    // A row carries the version unless the listing is gone; an empty page (a window or a cursor past the
    // end) asks the listing row alone, which also tells an unknown listing (404).
    const version = rows.length > 0 && rows[0].version !== null ? rows[0].version : await this.version(listingId, from);
    return {
      page: toPage(rows, limit, toPriceEntryView, (row) => encodeCursor({ at: isoOf(row.created_date), id: row.id })),
      version,
    };
  }
}

function parsePosition(raw: Record<string, unknown>): HistoryPosition | undefined {
  const { at, id } = raw;
  if (!isIsoTimestamp(at) || typeof id !== 'string' || !/^\d{1,18}$/.test(id)) return undefined;
  return { at: new Date(at), id };
}
