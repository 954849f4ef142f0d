import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { type AuditOrigin, AuditLog, changesBetween } from '@app/audit';
import { type AuthenticatedUser, isAdmin, Page, ValidationFailedException, toPage } from '@app/common';
import { PrismaService, type ReadSource, SqlService, type SqlTransaction, preparedByShape, withWireTimestamps } from '@app/database';
import { PriceHistoryService } from '@app/prices';
import { ListingView } from './dto/listing.view';
import { ListingWriteDto } from './dto/listing-write.dto';
import { ListingsQuery } from './dto/listings.query';
import { toListingViewFromRow } from './listing.mapper';
import { type ListingRow, type LockedListingRow, deleteListing, insertListing, lockListing, selectListing, updateListing } from './listing.statements';
import { type ListingSearch, cursorOf, listingSearchSql, plannedPerExecution, toListingSearch } from './listing-search';
import { ChangeFeedService } from './change-feed/change-feed.service';
import { IdempotencyService, type IdempotentRequest, type IdempotentResult } from './idempotency/idempotency.service';


/**
 * Who may change or delete a listing: its owner or an admin. `ownerId` is the locked row's owner,
 * undefined when there is no such listing. 404 before 403: whether a listing exists is public anyway.
 */
export function checkListingChange(id: number, ownerId: number | undefined, caller: AuthenticatedUser): void {
  if (ownerId === undefined) throw new NotFoundException(`Listing ${id} not found`);
  if (ownerId !== caller.id && !isAdmin(caller)) throw new ForbiddenException('Only the owner of this listing or an admin may change it');
}

/** Timestamps are stored with millisecond precision; keep them that way in memory too. */
function nowMs(): Date {
  return new Date(Date.now());
}

/** Not changes the audit log records: the target names the id, the entry's `at` the time. */
const NOT_AUDITED = ['id', 'created_date', 'updated_date'];


/**
 * Listings: search, reads and writes. Every write that touches the price history runs in one
 * transaction with it (SqlService.transaction), so a listing never shows a price that its history
 * lacks, and no history entry survives a write that was rolled back.
 */
@Injectable()
export class ListingsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: SqlService,
    private readonly priceHistory: PriceHistoryService,
    private readonly changeFeed: ChangeFeedService,
    private readonly idempotency: IdempotencyService,
    private readonly auditLog: AuditLog,
  ) {}

  /** GET /listings: filters and sort from the query, one page by key (never OFFSET). */
  async list(query: ListingsQuery, from: ReadSource): Promise<Page<ListingView>> {
    return this.search(toListingSearch(query), from);
  }

  /** The caller's own listings, with the same filters and sorts (by id, served by listing_owner_idx). */
  async listOwnedBy(ownerId: number, query: ListingsQuery): Promise<Page<ListingView>> {
    // The primary: the owner expects to see the listing it has just created.
    return this.search(toListingSearch(query, ownerId), 'primary');
  }

  private async search(search: ListingSearch, from: ReadSource): Promise<Page<ListingView>> {
    const statement = listingSearchSql(search);
    // One prepared statement per query shape (which filters, which sort, with or without a cursor),
    // except the shapes that need their values to be planned well (see plannedPerExecution).
    // The rows go straight to the wire: timestamps are read as the strings the response carries.
    const rows = await this.sql.read<ListingRow<string>>(from, withWireTimestamps(plannedPerExecution(search) ? statement : preparedByShape('listing_search', statement)));
    return toPage(rows, search.limit, toListingViewFromRow, (row) => cursorOf(search.sort, row));
  }

  async get(id: number, from: ReadSource): Promise<ListingView> {
    const [row] = await this.sql.read<ListingRow<string>>(from, selectListing(id));
    if (!row) throw new NotFoundException(`Listing ${id} not found`);
    return toListingViewFromRow(row);
  }

  /**
   * Creates the listing, owned by the caller, and its first history entry stamped with its created_date.
   * With an Idempotency-Key, the key and its response are stored in the same transaction (or the stored
   * response of an earlier create with that key comes back, and nothing is created, nor audited again).
   * Every listing write records its audit entry in its own transaction: the entry exists exactly when the change does.
   */
  async create(dto: ListingWriteDto, caller: AuthenticatedUser, origin: AuditOrigin, idempotent?: IdempotentRequest): Promise<IdempotentResult<ListingView>> {
    return this.sql.transaction(async (tx) => {
      const write = async () => {
        const at = nowMs();
        const [row] = await tx.query<ListingRow & WithDrop>(insertListing(dto, caller.id, at));
        await this.priceHistory.recordPrice(tx, row.id, dto.latest_price_eur, at);
        const view = toListingViewFromRow(row);
        await this.changeFeed.record(tx, row.id, 'created', at, dto.latest_price_eur, '0', { state: stateOf(view, row) });
        await this.auditLog.record(tx, { action: 'listing.created', actor: caller, origin, target: { type: 'listing', id: row.id }, changes: changesBetween(null, view, NOT_AUDITED) });
        return view;
      };
      if (idempotent) return this.idempotency.once(tx, caller.id, idempotent, write);
      return { body: await write(), replayed: false };
    });
  }

  /**
   * Full replacement of the writable fields. A different price appends exactly one history entry,
   * stamped with the new updated_date; the same price appends nothing.
   */
  async replace(id: number, dto: ListingWriteDto, caller: AuthenticatedUser, origin: AuditOrigin): Promise<ListingView> {
    return this.sql.transaction(async (tx) => {
      const current = await this.lockForChange(tx, id, caller);
      // Never before the previous write, even if the clock stepped back: history order is time order.
      const at = new Date(Math.max(Date.now(), current.updated_date.getTime()));
      const [row] = await tx.query<ListingRow & WithDrop & { event_tx: string }>(updateListing(id, dto, at));
      const view = toListingViewFromRow(row);
      if (Number(current.latest_price_eur) !== dto.latest_price_eur) {
        await this.priceHistory.recordPrice(tx, id, dto.latest_price_eur, at);
        await this.changeFeed.record(tx, id, 'price_changed', at, dto.latest_price_eur, row.event_tx, {
          previousPriceEur: Number(current.latest_price_eur),
          state: stateOf(view, row),
        });
      } else {
        await this.changeFeed.record(tx, id, 'updated', at, null, row.event_tx, { state: stateOf(view, row) });
      }
      const changes = changesBetween(toListingViewFromRow(current), view, NOT_AUDITED);
      await this.auditLog.record(tx, { action: 'listing.replaced', actor: caller, origin, target: { type: 'listing', id }, changes });
      return view;
    });
  }

  /**
   * Removes the listing and, by cascade, its whole price history; its earlier change-feed events lose
   * their prices in the same transaction, and a `deleted` event is recorded.
   */
  async delete(id: number, caller: AuthenticatedUser, origin: AuditOrigin): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const current = await this.lockForChange(tx, id, caller);
      const [deleted] = await tx.query<ListingRow & WithDrop>(deleteListing(id));
      await this.changeFeed.forgetPrices(tx, id);
      // The last state rides on the deleted event until the webhook relay has handed it on (it then clears it).
      const last = toListingViewFromRow(deleted);
      await this.changeFeed.record(tx, id, 'deleted', new Date(Math.max(Date.now(), current.updated_date.getTime())), null, current.event_tx, {
        state: stateOf(last, deleted),
      });
      await this.auditLog.record(tx, { action: 'listing.deleted', actor: caller, origin, target: { type: 'listing', id }, changes: changesBetween(last, null, NOT_AUDITED) });
    });
  }

  /**
   * Admin only (checked by the route's role guard): gives the listing to another account. No change-feed
   * event: the owner is not part of the public representation, which this leaves unchanged. The row is locked as
   * every listing write locks it, so the previous owner in the audit entry is the one this transfer replaced.
   */
  async transferOwnership(id: number, newOwnerId: number, caller: AuthenticatedUser, origin: AuditOrigin): Promise<{ id: number; owner_id: number }> {
    return this.prisma.$transaction(async (tx) => {
      const owner = await tx.user.findUnique({ where: { id: newOwnerId }, select: { id: true } });
      if (!owner) throw new ValidationFailedException([{ field: 'owner_id', message: `user ${newOwnerId} does not exist` }]);
      const [current] = await tx.$queryRaw<{ owner_id: number }[]>`SELECT owner_id FROM listing WHERE id = ${id} FOR UPDATE`;
      if (!current) throw new NotFoundException(`Listing ${id} not found`);
      await tx.listing.update({ where: { id }, data: { ownerId: newOwnerId }, select: { id: true } });
      await this.auditLog.recordInPrisma(tx, {
        action: 'listing.ownership_transferred',
        actor: caller,
        origin,
        target: { type: 'listing', id },
        changes: changesBetween({ owner_id: current.owner_id }, { owner_id: newOwnerId }),
      });
      return { id, owner_id: newOwnerId };
    });
  }

  /**
   * The one place that decides who may change a listing: its owner or an admin. It locks the row
   * first, so the decision and the write see the same owner. The row lock also serialises concurrent
   * writes to one listing, so each compares against the price the previous one committed and history
   * entries are appended in commit order. 404 before 403: whether a listing exists is public anyway.
   * It also returns the listing's change-feed position (event_tx), below which its next event may not go.
   */
  private async lockForChange(tx: SqlTransaction, id: number, caller: AuthenticatedUser): Promise<LockedListingRow> {
    const [current] = await tx.query<LockedListingRow>(lockListing(id));
    checkListingChange(id, current?.owner_id, caller);
    return current;
  }
}

interface WithDrop {
  /** float8: -Infinity when the first price was 0 (no percentage). */
  price_drop_pct: number;
}

/**
 * The listing as this change left it, recorded with its change-feed event: what a webhook delivery shows and what
 * a subscription's filters are applied to, however the listing changes before the event is relayed.
 */
function stateOf(view: ListingView, row: WithDrop): { listing: ListingView; price_drop_pct: number | null } {
  return { listing: view, price_drop_pct: Number.isFinite(row.price_drop_pct) ? row.price_drop_pct : null };
}
