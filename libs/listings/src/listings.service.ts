import { Injectable, NotFoundException } from '@nestjs/common';
import { Page, decodeCursor, encodeCursor, isId, toPage } from '@app/common';
import { Prisma, PrismaService } from '@app/database';
import { PriceHistoryService } from '@app/prices';
import { ListingView } from './dto/listing.view';
import { ListingWriteDto } from './dto/listing-write.dto';
import { LISTING_PAGE_DEFAULT, ListingsQuery } from './dto/listings.query';
import { toListingColumns, toListingView } from './listing.mapper';

interface LockedListing {
  latest_price_eur: Prisma.Decimal;
  updated_date: Date;
}

/** Timestamps are stored with millisecond precision; keep them that way in memory too. */
function nowMs(): Date {
  return new Date(Date.now());
}

// A listing write and its price-history entry are one transaction: a listing must never show a price
// that its history lacks, nor a history entry exist for a write that was rolled back.
const WRITE_TX = { maxWait: 10_000, timeout: 10_000 };

@Injectable()
export class ListingsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly priceHistory: PriceHistoryService,
  ) {}

  async list(query: ListingsQuery): Promise<Page<ListingView>> {
    const limit = query.limit ?? LISTING_PAGE_DEFAULT;
    const afterId = query.cursor ? decodeCursor(query.cursor, (raw) => (isId(raw.id) ? raw.id : undefined)) : undefined;
    const rows = await this.prisma.listing.findMany({
      where: afterId === undefined ? undefined : { id: { gt: afterId } },
      orderBy: { id: 'asc' },
      take: limit + 1,
    });
    return toPage(rows, limit, toListingView, (row) => encodeCursor({ id: row.id }));
  }

  async get(id: number): Promise<ListingView> {
    const row = await this.prisma.listing.findUnique({ where: { id } });
    if (!row) throw new NotFoundException(`Listing ${id} not found`);
    return toListingView(row);
  }

  /** Creates the listing and its first history entry, stamped with the listing's created_date. */
  async create(dto: ListingWriteDto): Promise<ListingView> {
    const at = nowMs();
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.listing.create({ data: { ...toListingColumns(dto), createdDate: at, updatedDate: at } });
      await this.priceHistory.recordPrice(tx, row.id, dto.latest_price_eur, at);
      return toListingView(row);
    }, WRITE_TX);
  }

  /**
   * Full replacement of the writable fields. A different price appends exactly one history entry,
   * stamped with the new updated_date; the same price appends nothing.
   */
  async replace(id: number, dto: ListingWriteDto): Promise<ListingView> {
    return this.prisma.$transaction(async (tx) => {
      // The row lock serialises concurrent writes to one listing, so each compares against the price
      // the previous one committed and history entries are appended in commit order.
      const [current] = await tx.$queryRaw<LockedListing[]>`
        SELECT latest_price_eur, updated_date FROM listing WHERE id = ${id} FOR UPDATE`;
      if (!current) throw new NotFoundException(`Listing ${id} not found`);
      // Never before the previous write, even if the clock stepped back: history order is time order.
      const at = new Date(Math.max(Date.now(), current.updated_date.getTime()));
      const row = await tx.listing.update({ where: { id }, data: { ...toListingColumns(dto), updatedDate: at } });
      if (!current.latest_price_eur.equals(dto.latest_price_eur)) {
        await this.priceHistory.recordPrice(tx, id, dto.latest_price_eur, at);
      }
      return toListingView(row);
    }, WRITE_TX);
  }
}
