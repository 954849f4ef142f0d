import { ForbiddenException, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { type AuthenticatedUser, isAdmin } from '@app/auth';
import { Page, decodeCursor, encodeCursor, isId, toPage } from '@app/common';
import { Prisma, PrismaService } from '@app/database';
import { PriceHistoryService } from '@app/prices';
import { ListingView } from './dto/listing.view';
import { ListingWriteDto } from './dto/listing-write.dto';
import { LISTING_PAGE_DEFAULT, ListingsQuery } from './dto/listings.query';
import { toListingColumns, toListingView } from './listing.mapper';

interface LockedListing {
  owner_id: number;
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
    return this.pageById(query);
  }

  /** The caller's own listings, by id (served by listing_owner_idx). */
  async listOwnedBy(ownerId: number, query: ListingsQuery): Promise<Page<ListingView>> {
    return this.pageById(query, ownerId);
  }

  private async pageById(query: ListingsQuery, ownerId?: number): Promise<Page<ListingView>> {
    const limit = query.limit ?? LISTING_PAGE_DEFAULT;
    const afterId = query.cursor ? decodeCursor(query.cursor, (raw) => (isId(raw.id) ? raw.id : undefined)) : undefined;
    const rows = await this.prisma.listing.findMany({
      where: { ...(afterId === undefined ? {} : { id: { gt: afterId } }), ...(ownerId === undefined ? {} : { ownerId }) },
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

  /** Creates the listing, owned by the caller, and its first history entry stamped with its created_date. */
  async create(dto: ListingWriteDto, caller: AuthenticatedUser): Promise<ListingView> {
    const at = nowMs();
    return this.prisma.$transaction(async (tx) => {
      const row = await tx.listing.create({ data: { ...toListingColumns(dto), ownerId: caller.id, createdDate: at, updatedDate: at } });
      await this.priceHistory.recordPrice(tx, row.id, dto.latest_price_eur, at);
      return toListingView(row);
    }, WRITE_TX);
  }

  /**
   * Full replacement of the writable fields. A different price appends exactly one history entry,
   * stamped with the new updated_date; the same price appends nothing.
   */
  async replace(id: number, dto: ListingWriteDto, caller: AuthenticatedUser): Promise<ListingView> {
    return this.prisma.$transaction(async (tx) => {
      const current = await this.lockForChange(tx, id, caller);
      // Never before the previous write, even if the clock stepped back: history order is time order.
      const at = new Date(Math.max(Date.now(), current.updated_date.getTime()));
      const row = await tx.listing.update({ where: { id }, data: { ...toListingColumns(dto), updatedDate: at } });
      if (!current.latest_price_eur.equals(dto.latest_price_eur)) {
        await this.priceHistory.recordPrice(tx, id, dto.latest_price_eur, at);
      }
      return toListingView(row);
    }, WRITE_TX);
  }

  /** Removes the listing and, by cascade, its whole price history. */
  async delete(id: number, caller: AuthenticatedUser): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      await this.lockForChange(tx, id, caller);
      await tx.listing.delete({ where: { id } });
    }, WRITE_TX);
  }

  /** Admin only (checked by the route's role guard): gives the listing to another account. */
  async transferOwnership(id: number, newOwnerId: number): Promise<{ id: number; owner_id: number }> {
    return this.prisma.$transaction(async (tx) => {
      const owner = await tx.user.findUnique({ where: { id: newOwnerId }, select: { id: true } });
      if (!owner) throw new UnprocessableEntityException({ message: 'Validation failed', errors: [{ field: 'owner_id', message: `user ${newOwnerId} does not exist` }] });
      const updated = await tx.listing.updateMany({ where: { id }, data: { ownerId: newOwnerId } });
      if (updated.count === 0) throw new NotFoundException(`Listing ${id} not found`);
      return { id, owner_id: newOwnerId };
    }, WRITE_TX);
  }

  /**
   * The one place that decides who may change a listing: its owner or an admin. It locks the row
   * first, so the decision and the write see the same owner. The row lock also serialises concurrent
   * writes to one listing, so each compares against the price the previous one committed and history
   * entries are appended in commit order. 404 before 403: whether a listing exists is public anyway.
   */
  private async lockForChange(tx: Prisma.TransactionClient, id: number, caller: AuthenticatedUser): Promise<LockedListing> {
    const [current] = await tx.$queryRaw<LockedListing[]>`
      SELECT owner_id, latest_price_eur, updated_date FROM listing WHERE id = ${id} FOR UPDATE`;
    if (!current) throw new NotFoundException(`Listing ${id} not found`);
    if (current.owner_id !== caller.id && !isAdmin(caller)) {
      throw new ForbiddenException('Only the owner of this listing or an admin may change it');
    }
    return current;
  }
}
