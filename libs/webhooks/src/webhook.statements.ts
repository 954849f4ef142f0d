import { type SqlQuery, join, prepared, sql } from '@app/database';
import type { WebhookFilter } from './dto/webhook-filter.dto';

/** The webhook_subscription, webhook_delivery and webhook_relay tables' SQL, all of it here. */

export interface SubscriptionRow {
  id: number;
  owner_id: number;
  url: string;
  events: string[];
  filter: WebhookFilter;
  description: string | null;
  active: boolean;
  disabled_reason: string | null;
  created_date: Date;
  updated_date: Date;
}

/** What signing needs besides the row: the secrets (never in a response except at creation and rotation). */
export interface SigningRow {
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_date: Date | null;
}

const SUBSCRIPTION_COLUMNS = sql`id, owner_id, url, events, filter, description, active, disabled_reason, created_date, updated_date`;

/**
 * Serialises the creates of one account, so two concurrent POSTs cannot both pass the cap. A transaction-scoped
 * advisory lock on (this table, the account): nothing else takes it, and it ends with the transaction.
 */
export const lockOwnerSubscriptions = (ownerId: number): SqlQuery =>
  prepared('webhook_subscription_owner_lock')`SELECT pg_advisory_xact_lock('webhook_subscription'::regclass::oid::int, ${ownerId})`;

export const countOwnerSubscriptions = (ownerId: number): SqlQuery =>
  prepared('webhook_subscription_owner_count')`SELECT count(*)::int AS count FROM webhook_subscription WHERE owner_id = ${ownerId}`;

export const insertSubscription = (ownerId: number, url: string, events: string[], filter: WebhookFilter, description: string | null, secret: string, at: Date): SqlQuery =>
  prepared('webhook_subscription_insert')`INSERT INTO webhook_subscription (owner_id, url, events, filter, description, secret, created_date, updated_date)
    VALUES (${ownerId}, ${url}, ${events}::text[], ${JSON.stringify(filter)}::jsonb, ${description}, ${secret}, ${at}, ${at})
    RETURNING ${SUBSCRIPTION_COLUMNS}`;

export const selectSubscription = (id: number): SqlQuery => prepared('webhook_subscription_by_id')`SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscription WHERE id = ${id}`;

/** The same, locked for a change: the ownership decision, the write and its audit entry see the same row. */
export const lockSubscription = (id: number): SqlQuery =>
  prepared('webhook_subscription_lock')`SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscription WHERE id = ${id} FOR UPDATE`;

/** One page by ascending id: an account's (ownerId) or everyone's (admins). Served by the primary key or webhook_subscription_owner_idx. */
export function selectSubscriptionPage(ownerId: number | undefined, afterId: number | undefined, limit: number): SqlQuery {
  const where = [ownerId === undefined ? undefined : sql`owner_id = ${ownerId}`, afterId === undefined ? undefined : sql`id > ${afterId}`].filter((c) => c !== undefined);
  const condition = where.length === 0 ? sql`` : sql`WHERE ${join(where, ' AND ')}`;
  return sql`SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscription ${condition} ORDER BY id LIMIT ${limit}`;
}

export interface SubscriptionChanges {
  url?: string;
  events?: string[];
  filter?: WebhookFilter;
  description?: string | null;
  active?: boolean;
}

/** PATCH: the fields given. Re-enabling clears the reason it was disabled and its count of dead deliveries. */
export function updateSubscription(id: number, changes: SubscriptionChanges, at: Date): SqlQuery {
  const sets = [sql`updated_date = ${at}`];
  if (changes.url !== undefined) sets.push(sql`url = ${changes.url}`);
  if (changes.events !== undefined) sets.push(sql`events = ${changes.events}::text[]`);
  if (changes.filter !== undefined) sets.push(sql`filter = ${JSON.stringify(changes.filter)}::jsonb`);
  if (changes.description !== undefined) sets.push(sql`description = ${changes.description}`);
  if (changes.active === true) sets.push(sql`active = true, disabled_reason = NULL, consecutive_dead = 0`);
  if (changes.active === false) sets.push(sql`active = false`);
  return sql`UPDATE webhook_subscription SET ${join(sets, ', ')} WHERE id = ${id} RETURNING ${SUBSCRIPTION_COLUMNS}`;
}

export const deleteSubscription = (id: number): SqlQuery => prepared('webhook_subscription_delete')`DELETE FROM webhook_subscription WHERE id = ${id}`;

/** The old secret keeps signing (beside the new one) until `overlapUntil`. */
export const rotateSecret = (id: number, secret: string, overlapUntil: Date, at: Date): SqlQuery =>
  prepared('webhook_subscription_rotate')`UPDATE webhook_subscription
    SET previous_secret = secret, previous_secret_expires_date = ${overlapUntil}, secret = ${secret}, updated_date = ${at}
    WHERE id = ${id} RETURNING ${SUBSCRIPTION_COLUMNS}`;

/** What the relay matches events against. */
export interface InterestRow {
  id: number;
  events: string[];
  filter: WebhookFilter;
  created_date: Date;
}

export const selectActiveInterests = (): SqlQuery =>
  prepared('webhook_subscription_interests')`SELECT id, events, filter, created_date FROM webhook_subscription WHERE active`;

export const anyActiveSubscription = (): SqlQuery => prepared('webhook_subscription_any_active')`SELECT EXISTS (SELECT 1 FROM webhook_subscription WHERE active) AS any`;

// ---- the relay's position --------------------------------------------------------------------------------

/** The relay's position, locked: one instance relays at a time, the others skip this round. */
export const lockRelayPosition = (): SqlQuery =>
  prepared('webhook_relay_lock')`SELECT tx::text AS tx, sequence::text AS sequence FROM webhook_relay WHERE singleton FOR UPDATE SKIP LOCKED`;

export const initRelayPosition = (tx: string, sequence: string): SqlQuery =>
  prepared('webhook_relay_init')`INSERT INTO webhook_relay (singleton, tx, sequence) VALUES (true, ${tx}::bigint, ${sequence}::bigint) ON CONFLICT DO NOTHING`;

export const moveRelayPosition = (tx: string, sequence: string): SqlQuery =>
  prepared('webhook_relay_move')`UPDATE webhook_relay SET tx = ${tx}::bigint, sequence = ${sequence}::bigint WHERE singleton`;

// ---- deliveries ------------------------------------------------------------------------------------------

export interface NewDelivery {
  subscriptionId: number;
  eventId: string;
  eventType: string;
  payload: string;
}

/** A batch of deliveries; one that exists already (the same event met twice) is skipped. Returns those created. */
export function insertDeliveries(deliveries: NewDelivery[], at: Date): SqlQuery {
  return prepared('webhook_delivery_insert_batch')`INSERT INTO webhook_delivery (subscription_id, event_id, event_type, payload, created_date, next_attempt_date)
    SELECT s, e, t, p, ${at}, ${at} FROM unnest(${deliveries.map((d) => d.subscriptionId)}::int4[], ${deliveries.map((d) => d.eventId)}::text[],
      ${deliveries.map((d) => d.eventType)}::text[], ${deliveries.map((d) => d.payload)}::text[]) AS n(s, e, t, p)
    ON CONFLICT (subscription_id, event_id) DO NOTHING
    RETURNING id::text AS id`;
}

export const setDeliveryJobs = (ids: string[], jobIds: string[]): SqlQuery =>
  prepared('webhook_delivery_set_jobs')`UPDATE webhook_delivery AS d SET job_id = j.job_id
    FROM unnest(${ids}::int8[], ${jobIds}::uuid[]) AS j(id, job_id) WHERE d.id = j.id`;

export interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  response_status: number | null;
  response_body: string | null;
  duration_ms: number | null;
  error: string | null;
  created_date: Date;
  next_attempt_date: Date | null;
}

const DELIVERY_COLUMNS = sql`id::text AS id, event_id, event_type, status, attempts, response_status, response_body, duration_ms, error, created_date, next_attempt_date`;

/**
 * The delivery log: newest first, by key (webhook_delivery_log_idx). ORDER BY names the table's column: a bare
 * `id` would be the output column `id::text AS id` and sort as text ("99" after "100"), which breaks the
 * key pagination (WHERE compares the bigint) and cannot use the index.
 */
export function selectDeliveryPage(subscriptionId: number, beforeId: string | undefined, limit: number): SqlQuery {
  const before = beforeId === undefined ? sql`` : sql`AND id < ${beforeId}::int8`;
  return sql`SELECT ${DELIVERY_COLUMNS} FROM webhook_delivery WHERE subscription_id = ${subscriptionId} ${before} ORDER BY webhook_delivery.id DESC LIMIT ${limit}`;
}

export const selectDelivery = (subscriptionId: number, id: string): SqlQuery =>
  prepared('webhook_delivery_by_id')`SELECT ${DELIVERY_COLUMNS}, job_id FROM webhook_delivery WHERE subscription_id = ${subscriptionId} AND id = ${id}::int8`;

/** What an attempt needs: the delivery, where to send it and how to sign it. */
export interface AttemptRow extends SigningRow {
  id: string;
  subscription_id: number;
  event_id: string;
  payload: string;
  status: string;
  attempts: number;
  job_id: string | null;
  url: string;
  active: boolean;
}

export const selectAttempts = (ids: string[]): SqlQuery =>
  prepared('webhook_delivery_attempts')`SELECT d.id::text AS id, d.subscription_id, d.event_id, d.payload, d.status, d.attempts, d.job_id::text AS job_id,
      s.url, s.active, s.secret, s.previous_secret, s.previous_secret_expires_date
    FROM webhook_delivery d JOIN webhook_subscription s ON s.id = d.subscription_id WHERE d.id = ANY(${ids}::int8[])`;

export interface AttemptOutcome {
  status: 'succeeded' | 'failed' | 'dead';
  responseStatus: number | null;
  responseBody: string | null;
  durationMs: number;
  error: string | null;
  nextAttemptDate: Date | null;
  jobId: string | null;
}

export const recordAttempt = (id: string, outcome: AttemptOutcome, at: Date): SqlQuery =>
  prepared('webhook_delivery_record_attempt')`UPDATE webhook_delivery SET status = ${outcome.status}, attempts = attempts + 1,
      response_status = ${outcome.responseStatus}, response_body = ${outcome.responseBody}, duration_ms = ${outcome.durationMs},
      error = ${outcome.error}, next_attempt_date = ${outcome.nextAttemptDate}, last_attempt_date = ${at}, job_id = ${outcome.jobId}::uuid
    WHERE id = ${id}::int8`;

/** A delivery that will not be attempted (its subscription is inactive): dead, without an attempt. */
export const abandonDelivery = (id: string, reason: string): SqlQuery =>
  prepared('webhook_delivery_abandon')`UPDATE webhook_delivery SET status = 'dead', error = ${reason}, next_attempt_date = NULL, job_id = NULL WHERE id = ${id}::int8`;

/** A manual retry: pending again, due now, with its new job. */
export const requeueDelivery = (id: string, jobId: string, at: Date): SqlQuery =>
  prepared('webhook_delivery_requeue')`UPDATE webhook_delivery SET status = 'pending', next_attempt_date = ${at}, job_id = ${jobId}::uuid WHERE id = ${id}::int8`;

export const insertPing = (subscriptionId: number, eventId: string, payload: string, at: Date): SqlQuery =>
  prepared('webhook_delivery_insert_ping')`INSERT INTO webhook_delivery (subscription_id, event_id, event_type, payload, created_date, next_attempt_date)
    VALUES (${subscriptionId}, ${eventId}, 'webhook.ping', ${payload}, ${at}, ${at}) RETURNING id::text AS id`;

export interface BacklogRow {
  pending: number;
  /** Seconds since the oldest unsettled delivery was created; null when there is none. */
  oldest_age_seconds: number | null;
}

/**
 * The deliveries still owed (pending, or failed with a retry to come), for the metrics: read at scrape time,
 * from the partial index webhook_delivery_unsettled_idx, so it costs in proportion to the backlog, not the log.
 */
export const selectBacklog = (): SqlQuery =>
  prepared('webhook_delivery_backlog')`SELECT count(*)::int AS pending, extract(epoch FROM now() - min(created_date))::float8 AS oldest_age_seconds
    FROM webhook_delivery WHERE status IN ('pending', 'failed')`;

// ---- what a delivery's outcome does to its subscription --------------------------------------------------

/** One more dead delivery in a row; at `limit`, the subscription is disabled with the reason. */
export const subscriptionDeadDelivery = (id: number, limit: number, at: Date): SqlQuery =>
  prepared('webhook_subscription_dead_delivery')`UPDATE webhook_subscription SET consecutive_dead = consecutive_dead + 1,
      active = CASE WHEN consecutive_dead + 1 >= ${limit} THEN false ELSE active END,
      disabled_reason = CASE WHEN active AND consecutive_dead + 1 >= ${limit} THEN ${`${limit} consecutive deliveries failed every attempt`} ELSE disabled_reason END,
      updated_date = CASE WHEN active AND consecutive_dead + 1 >= ${limit} THEN ${at} ELSE updated_date END
    WHERE id = ${id}`;

export const disableSubscription = (id: number, reason: string, at: Date): SqlQuery =>
  prepared('webhook_subscription_disable')`UPDATE webhook_subscription SET active = false, disabled_reason = ${reason}, updated_date = ${at} WHERE id = ${id} AND active`;

/** Settled deliveries (succeeded or dead) created before `before`: the log keeps 30 days. At most `limit` per statement. */
export const purgeSettledDeliveries = (before: Date, limit: number): SqlQuery =>
  prepared('webhook_delivery_purge')`DELETE FROM webhook_delivery WHERE id IN (
    SELECT id FROM webhook_delivery WHERE created_date < ${before} AND status IN ('succeeded', 'dead') LIMIT ${limit})
    RETURNING id`;

export interface Success {
  id: string;
  responseStatus: number;
  responseBody: string | null;
  durationMs: number;
}

/**
 * Many succeeded attempts at once (the worker gathers them for a few milliseconds): each delivery settled, and
 * its subscription's count of dead deliveries in a row back to 0. One statement instead of a transaction per
 * delivery: at hundreds of deliveries a second, round trips are most of the worker's cost.
 */
export const recordSuccesses = (successes: Success[], at: Date): SqlQuery =>
  prepared('webhook_delivery_record_successes')`WITH outcome AS (
      SELECT * FROM unnest(${successes.map((s) => s.id)}::int8[], ${successes.map((s) => s.responseStatus)}::int4[],
        ${successes.map((s) => s.responseBody)}::text[], ${successes.map((s) => s.durationMs)}::int4[]) AS o(id, response_status, response_body, duration_ms)
    ), settled AS (
      UPDATE webhook_delivery AS d SET status = 'succeeded', attempts = d.attempts + 1, response_status = o.response_status,
        response_body = o.response_body, duration_ms = o.duration_ms, error = NULL, next_attempt_date = NULL, last_attempt_date = ${at}, job_id = NULL
      FROM outcome AS o WHERE d.id = o.id
      RETURNING d.subscription_id
    )
    UPDATE webhook_subscription SET consecutive_dead = 0 WHERE id IN (SELECT subscription_id FROM settled) AND consecutive_dead <> 0`;
