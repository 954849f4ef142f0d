import { GoneException, Injectable } from '@nestjs/common';
import { AppConfig, type Page, decodeCursor, encodeCursor } from '@app/common';
import { SqlService, type SqlTransaction, isoOf } from '@app/database';
import { CHANGE_PAGE_DEFAULT, ChangeFeedQuery } from './change-feed.query';
import { type EventExtra, clearStates, deletedStates, eventsAfter, feedEnd, feedFirstPage, feedNextPage, forgetPrices, purgeEvents, purgeHorizon, recordEvent, relayBatch } from './change-feed.statements';
import { type ListingRow, selectListingStates } from '../listing.statements';
import { toListingViewFromRow } from '../listing.mapper';
import type { ListingView } from '../dto/listing.view';
import { type ListingEventType, ListingEventView } from './listing-event.view';

/** A position in the feed: (transaction id, sequence), both bigint as decimal strings. */
export interface FeedPosition {
  tx: string;
  sequence: string;
}

interface EventRow {
  sequence: string;
  listing_id: number;
  type: ListingEventType;
  /** A Date, or its RFC 3339 string already on the feed's pages (withWireTimestamps). */
  at: Date | string;
  latest_price_eur: string | null;
  tx: string;
}

/** A listing as a change left it, for the webhooks: its representation and the drop min_drop_pct compares. */
export interface ListingState {
  listing: ListingView;
  /** null when the first price was 0 (no percentage: never matches min_drop_pct). */
  priceDropPct: number | null;
}

/** One event as the webhook relay sees it. */
export interface RelayedEvent {
  position: FeedPosition;
  sequence: number;
  listingId: number;
  type: ListingEventType;
  at: Date;
  latestPriceEur: number | null;
  /** price_changed: the price before. */
  previousPriceEur: number | null;
  /** The listing now (deleted: as it was last); undefined when it is gone and left no state (deleted since). */
  state?: ListingState;
}

interface StoredState {
  listing: ListingView;
  price_drop_pct: number | null;
}

interface RelayRow extends EventRow {
  /** The relay's batch reads Dates. */
  at: Date;
  previous_price_eur: string | null;
  state: StoredState | null;
}

function toState(stored: StoredState): ListingState {
  return { listing: stored.listing, priceDropPct: finiteOrNull(stored.price_drop_pct) };
}

/**
 * The change feed of listings: every committed create, replace and delete, exactly once and in commit
 * order (see change-feed.statements.ts for why the order is (tx, sequence) and why it never skips).
 * Everything lives in PostgreSQL, so any instance serves any cursor. Reads go to the primary whoever
 * asks: a replica's snapshot has its own horizon, and positions must be compared on one server.
 */
@Injectable()
export class ChangeFeedService {
  private readonly retentionMs: number;

  constructor(
    private readonly sql: SqlService,
    config: AppConfig,
  ) {
    this.retentionMs = config.changeFeedRetentionHours * 3_600_000;
  }

  /**
   * Records one change in the caller's transaction, which holds the listing's row lock (or created it).
   * Per listing, the events must follow its history, and transaction ids alone do not: PostgreSQL can
   * give a waiter for the row lock its id before it wins the lock on the row's newest version (while
   * following the update chain, heap_lock_updated_tuple), so a later write can have the smaller id. The
   * concurrent test saw it happen. So the position is at least `after`, the listing's previous event's
   * (listing.event_tx, read under the row lock), and the writes keep event_tx up to date.
   */
  async record(tx: SqlTransaction, listingId: number, type: ListingEventType, at: Date, latestPriceEur: number | null, after: string, extra?: EventExtra): Promise<void> {
    await tx.query(recordEvent(listingId, type, at, latestPriceEur, after, extra));
  }

  /**
   * Called by a listing's DELETE, in its transaction: the listing's earlier events stay in the feed, at
   * the same positions, but without its prices (see forgetPrices). Its `deleted` event, recorded next,
   * tells mirrors to drop it.
   */
  async forgetPrices(tx: SqlTransaction, listingId: number): Promise<void> {
    await tx.query(forgetPrices(listingId));
  }

  /** One page of the feed. Its nextCursor is where the next poll starts: after the last event returned, or the request's own cursor when none was. */
  async page(query: ChangeFeedQuery): Promise<Page<ListingEventView>> {
    const limit = query.limit ?? CHANGE_PAGE_DEFAULT;
    const after = query.after === undefined ? undefined : decodeCursor(query.after, parsePosition);
    let rows: EventRow[];
    if (after) {
      await this.refuseIfPurged(after);
      rows = await this.sql.query<EventRow>(feedNextPage(after, limit));
    } else {
      rows = await this.sql.query<EventRow>(feedFirstPage(limit));
    }
    const last = rows[rows.length - 1];
    return {
      items: rows.map(toEventView),
      nextCursor: last ? encodeCursor({ tx: last.tx, sequence: last.sequence }) : query.after,
    };
  }

  /**
   * The webhook relay's read, in its transaction: up to `limit` events after `after` (in feed order, below the
   * horizon like every feed read), each with the listing as the change left it (recorded by the write).
   */
  async relayBatch(tx: SqlTransaction, after: FeedPosition, limit: number): Promise<RelayedEvent[]> {
    const rows = await tx.query<RelayRow>(relayBatch(after, limit));
    if (rows.length === 0) return [];
    // Events without a state (written before webhooks existed, or whose listing was deleted since): the listing as
    // it is now, or the state its deletion recorded.
    const stateless = [...new Set(rows.filter((row) => row.state === null && row.type !== 'deleted').map((row) => row.listing_id))];
    const fallback = new Map<number, ListingState>();
    if (stateless.length > 0) {
      for (const row of await tx.query<ListingRow & { price_drop_pct: number | null }>(selectListingStates(stateless))) {
        fallback.set(row.id, { listing: toListingViewFromRow(row), priceDropPct: finiteOrNull(row.price_drop_pct) });
      }
      const gone = stateless.filter((id) => !fallback.has(id));
      if (gone.length > 0) {
        for (const row of await tx.query<{ listing_id: number; state: StoredState }>(deletedStates(gone))) fallback.set(row.listing_id, toState(row.state));
      }
    }
    // A deleted listing's last state is kept only until it is handed on.
    const deleted = rows.filter((row) => row.type === 'deleted' && row.state !== null).map((row) => row.sequence);
    if (deleted.length > 0) await tx.query(clearStates(deleted));
    return rows.map((row) => ({
      position: { tx: row.tx, sequence: row.sequence },
      sequence: Number(row.sequence),
      listingId: row.listing_id,
      type: row.type,
      at: row.at,
      latestPriceEur: row.latest_price_eur === null ? null : Number(row.latest_price_eur),
      previousPriceEur: row.previous_price_eur === null ? null : Number(row.previous_price_eur),
      state: row.state ? toState(row.state) : fallback.get(row.listing_id),
    }));
  }

  /** Whether an event was committed after `after` (and is below the horizon). */
  async hasEventsAfter(after: FeedPosition): Promise<boolean> {
    const [row] = await this.sql.query<{ pending: boolean }>(eventsAfter(after));
    return row.pending;
  }

  /** The newest position below the horizon (undefined: the feed is empty): a relay with nobody to serve starts there. */
  async end(tx: SqlTransaction): Promise<FeedPosition | undefined> {
    const [row] = await tx.query<FeedPosition>(feedEnd());
    return row;
  }

  /** Deletes the events older than the retention (idempotent). Run by RetentionPurgeJob. */
  async purgeExpired(now = new Date()): Promise<void> {
    await this.sql.query(purgeEvents(new Date(now.getTime() - this.retentionMs)));
  }

  /** An event after this cursor may have been purged: the client must resynchronise from its source. */
  private async refuseIfPurged(after: FeedPosition): Promise<void> {
    const [purged] = await this.sql.query<FeedPosition>(purgeHorizon());
    if (purged && comparePositions(after, purged) < 0) {
      throw new GoneException(
        'This cursor is older than the change feed keeps its events: some changes after it were purged. Read the listings again, then follow the feed without a cursor.',
      );
    }
  }
}

function finiteOrNull(value: number | null): number | null {
  return value === null || !Number.isFinite(value) ? null : value;
}

function comparePositions(a: FeedPosition, b: FeedPosition): number {
  const tx = BigInt(a.tx) - BigInt(b.tx);
  if (tx !== 0n) return tx < 0n ? -1 : 1;
  const sequence = BigInt(a.sequence) - BigInt(b.sequence);
  return sequence === 0n ? 0 : sequence < 0n ? -1 : 1;
}

function toEventView(row: EventRow): ListingEventView {
  return {
    sequence: Number(row.sequence),
    listing_id: row.listing_id,
    type: row.type,
    at: isoOf(row.at),
    latest_price_eur: row.latest_price_eur === null ? null : Number(row.latest_price_eur),
  };
}

const BIGINT_TEXT = /^(0|[1-9]\d{0,17})$/;

function parsePosition(raw: Record<string, unknown>): FeedPosition | undefined {
  const { tx, sequence } = raw;
  if (typeof tx !== 'string' || typeof sequence !== 'string' || !BIGINT_TEXT.test(tx) || !BIGINT_TEXT.test(sequence)) return undefined;
  return { tx, sequence };
}
