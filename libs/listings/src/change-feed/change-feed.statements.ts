import { type SqlQuery, prepared, raw, withWireTimestamps } from '@app/database';

/**
 * The listing_event table's SQL (the change feed's), all of it here. A position in the feed is (tx, sequence): the id of the transaction that wrote
 * the event, then its bigserial. `sequence` alone cannot be the order: it is taken at insert time, and a
 * transaction holding a smaller number may commit after one holding a larger number, so a client that
 * had read up to the larger one would never see the smaller. Instead the feed only returns events whose
 * transaction is below the snapshot's xmin (every transaction below it has ended, committed or not), and
 * every transaction still running, or yet to start, has an id at or above it: nothing can ever appear
 * before a position once it has been returned. A long transaction holds the feed back (it lags), never
 * makes it skip.
 */
const HORIZON = raw('pg_snapshot_xmin(pg_current_snapshot())::text::bigint');
const COLUMNS = raw('sequence, listing_id, type::text AS type, at, latest_price_eur, tx');

/** The transaction's own id, as the feed positions store it. */
export const OWN_TX = 'pg_current_xact_id()::text::bigint';
const OWN_TX_SQL = raw(OWN_TX);

/**
 * Written by the listing write's own transaction: the event exists exactly when the change committed.
 * Its position is its own transaction id, or the listing's previous event's (`after`) when that is larger,
 * so that each listing's events stay in the order of its history (see listing.event_tx). Never below
 * its own id: that is what makes the horizon rule hold.
 */
export const recordEvent = (listingId: number, type: string, at: Date, latestPriceEur: number | null, after: string, extra: EventExtra = {}): SqlQuery =>
  prepared('listing_event_record')`INSERT INTO listing_event (listing_id, type, at, latest_price_eur, tx, previous_price_eur, state)
    VALUES (${listingId}, ${type}::listing_event_type, ${at}, ${latestPriceEur}, greatest(${OWN_TX_SQL}, ${after}::bigint),
            ${extra.previousPriceEur ?? null}, ${extra.state === undefined ? null : JSON.stringify(extra.state)}::jsonb)`;

/** What the webhooks read of an event besides the feed's fields: a price change's previous price, the listing as the change left it. */
export interface EventExtra {
  previousPriceEur?: number;
  state?: { listing: object; price_drop_pct: number | null };
}

/**
 * Run by a listing's DELETE, in its transaction (under the listing's row lock), before it records the
 * `deleted` event: the listing's earlier events keep their place in the feed (tx and sequence are
 * untouched, so a client that has read them is not disturbed) but no longer carry its prices, nor the
 * listing's state the webhooks read (events not relayed yet then get the deleted event's). The rows come
 * from listing_event_by_listing_idx; events with neither are left as they are.
 * SKIP LOCKED: the only other writer of these rows is the retention purge, which locks them to delete
 * them. Waiting for it could deadlock (each locks the rows in its own scan's order); skipping is safe,
 * since those rows are gone once the purge commits (were it to roll back, they are past the retention
 * and the next purge deletes them).
 */
export const forgetPrices = (listingId: number): SqlQuery =>
  prepared('listing_event_forget_prices')`UPDATE listing_event AS e SET latest_price_eur = NULL, previous_price_eur = NULL, state = NULL
    FROM (SELECT sequence FROM listing_event WHERE listing_id = ${listingId} AND (latest_price_eur IS NOT NULL OR state IS NOT NULL) FOR UPDATE SKIP LOCKED) AS priced
    WHERE e.sequence = priced.sequence`;

// The pages go straight to the wire: `at` is read as the RFC 3339 string they send.
export const feedFirstPage = (limit: number): SqlQuery =>
  withWireTimestamps(prepared('listing_event_first_page')`SELECT ${COLUMNS} FROM listing_event WHERE tx < ${HORIZON} ORDER BY tx, sequence LIMIT ${limit}`);

export const feedNextPage = (after: { tx: string; sequence: string }, limit: number): SqlQuery =>
  withWireTimestamps(prepared('listing_event_next_page')`SELECT ${COLUMNS} FROM listing_event
    WHERE (tx, sequence) > (${after.tx}, ${after.sequence}) AND tx < ${HORIZON} ORDER BY tx, sequence LIMIT ${limit}`);

/** The webhook relay's batch: the events after its position, with what only the webhooks read. */
export const relayBatch = (after: { tx: string; sequence: string }, limit: number): SqlQuery =>
  prepared('listing_event_relay_batch')`SELECT ${COLUMNS}, previous_price_eur, state FROM listing_event
    WHERE (tx, sequence) > (${after.tx}, ${after.sequence}) AND tx < ${HORIZON} ORDER BY tx, sequence LIMIT ${limit}`;

/** Whether anything was committed after this position: the relay's cheap check between batches. */
export const eventsAfter = (after: { tx: string; sequence: string }): SqlQuery =>
  prepared('listing_event_any_after')`SELECT EXISTS (SELECT 1 FROM listing_event WHERE (tx, sequence) > (${after.tx}, ${after.sequence}) AND tx < ${HORIZON}) AS pending`;

/** The newest position every reader may already see: where a relay with no subscriptions to serve jumps to. */
export const feedEnd = (): SqlQuery =>
  prepared('listing_event_feed_end')`SELECT tx, sequence FROM listing_event WHERE tx < ${HORIZON} ORDER BY tx DESC, sequence DESC LIMIT 1`;

/** The last states of deleted listings (their deleted events not relayed yet): for their earlier events, relayed late. */
export const deletedStates = (listingIds: number[]): SqlQuery =>
  prepared('listing_event_deleted_states')`SELECT listing_id, state FROM listing_event
    WHERE listing_id = ANY(${listingIds}::int4[]) AND type = 'deleted' AND state IS NOT NULL`;

/** A deleted listing's last state is kept only until the relay has handed it on. */
export const clearStates = (sequences: string[]): SqlQuery =>
  prepared('listing_event_clear_states')`UPDATE listing_event SET state = NULL WHERE sequence = ANY(${sequences}::int8[])`;

/** The newest position the retention purge has deleted: a cursor before it may have missed an event. */
export const purgeHorizon = (): SqlQuery => prepared('listing_event_purge_horizon')`SELECT tx, sequence FROM listing_event_purge WHERE singleton`;

/**
 * The retention purge. It deletes a prefix of the feed, never a scattered set: the newest position among
 * the events older than `before` (and below the horizon, so every transaction up to it has ended), then every
 * event up to that position, the few slightly younger ones before it included. The purge horizon moves
 * to that position in the same statement. So a cursor at or after the horizon has missed nothing, one
 * before it may have (410), and a client starting without a cursor starts just after it.
 */
// MATERIALIZED: the expired events come from listing_event_at_idx (an hour's worth each run), rather
// than from a backward walk of the feed index that would read every retained event when none expired.
export const purgeEvents = (before: Date): SqlQuery =>
  prepared('listing_event_purge')`WITH expired AS MATERIALIZED (SELECT tx, sequence FROM listing_event WHERE at < ${before} AND tx < ${HORIZON}),
              cutoff AS (SELECT tx, sequence FROM expired ORDER BY tx DESC, sequence DESC LIMIT 1),
              purged AS (DELETE FROM listing_event AS e USING cutoff AS c WHERE (e.tx, e.sequence) <= (c.tx, c.sequence))
         INSERT INTO listing_event_purge (singleton, tx, sequence) SELECT true, tx, sequence FROM cutoff
         ON CONFLICT (singleton) DO UPDATE SET tx = excluded.tx, sequence = excluded.sequence
           WHERE (listing_event_purge.tx, listing_event_purge.sequence) < (excluded.tx, excluded.sequence)`;
