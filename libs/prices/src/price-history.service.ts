import { Injectable, NotFoundException } from '@nestjs/common';
import { Page, decodeCursor, encodeCursor, isIsoTimestamp, toPage } from '@app/common';
import { Prisma, PrismaService } from '@app/database';
import { PRICE_PAGE_DEFAULT, PriceHistoryQuery } from './dto/price-history.query';
import { PriceEntryView } from './dto/price-entry.view';

interface PriceRow {
  id: bigint;
  price_eur: Prisma.Decimal;
  created_date: Date;
}

interface HistoryPosition {
  at: Date;
  id: bigint;
}

/**
 * Owns `listing_price`: the append-only history of every price a listing has had. Listings record
 * entries through this service inside their own transaction, so a listing's `latest_price_eur` and its
 * newest entry can never disagree.
 */
@Injectable()
export class PriceHistoryService {
  constructor(private readonly prisma: PrismaService) {}

  /** The first entry of a new listing, or one more after a price change. `tx` is the caller's transaction. */
  async recordPrice(tx: Prisma.TransactionClient, listingId: number, priceEur: number, at: Date): Promise<void> {
    await tx.listingPrice.create({ data: { listingId, priceEur, createdDate: at } });
  }

  /** Oldest first, by (created_date, id): ties within one millisecond keep the order they were written in. */
  async history(listingId: number, query: PriceHistoryQuery): Promise<Page<PriceEntryView>> {
    const limit = query.limit ?? PRICE_PAGE_DEFAULT;
    const after = query.cursor ? decodeCursor(query.cursor, parsePosition) : undefined;
    // Raw SQL for the row-value comparison: it keeps the whole read an index-only scan of
    // listing_price_history_idx, wherever the page starts.
    const rows = after
      ? await this.prisma.$queryRaw<PriceRow[]>`
          SELECT id, price_eur, created_date FROM listing_price
          WHERE listing_id = ${listingId} AND (created_date, id) > (${after.at}, ${after.id})
          ORDER BY created_date, id LIMIT ${limit + 1}`
      : await this.prisma.$queryRaw<PriceRow[]>`
          SELECT id, price_eur, created_date FROM listing_price
          WHERE listing_id = ${listingId}
          ORDER BY created_date, id LIMIT ${limit + 1}`;
    // Every listing has at least its initial price, so no entry at all means no such listing.
    if (rows.length === 0 && !(await this.hasAnyEntry(listingId))) {
      throw new NotFoundException(`Listing ${listingId} not found`);
    }
    return toPage(rows, limit, toPriceEntryView, (row) => encodeCursor({ at: row.created_date.toISOString(), id: row.id.toString() }));
  }

  private async hasAnyEntry(listingId: number): Promise<boolean> {
    const found = await this.prisma.$queryRaw<unknown[]>`SELECT 1 FROM listing_price WHERE listing_id = ${listingId} LIMIT 1`;
    return found.length > 0;
  }
}

function toPriceEntryView(row: PriceRow): PriceEntryView {
  return { price_eur: row.price_eur.toNumber(), created_date: row.created_date.toISOString() };
}

function parsePosition(raw: Record<string, unknown>): HistoryPosition | undefined {
  const { at, id } = raw;
  if (!isIsoTimestamp(at) || typeof id !== 'string' || !/^\d{1,18}$/.test(id)) return undefined;
  return { at: new Date(at), id: BigInt(id) };
}
