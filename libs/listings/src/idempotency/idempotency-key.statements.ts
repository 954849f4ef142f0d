import { type SqlQuery, prepared, raw } from '@app/database';
import { IDEMPOTENCY_KEY_TTL_HOURS } from './idempotency-key';

/** The idempotency_key table: its statements and row type, all of them here. */

export interface StoredResponse {
  request_hash: string;
  status: number;
  response: unknown;
}

const TTL = raw(`interval '${IDEMPOTENCY_KEY_TTL_HOURS} hours'`);

/**
 * A transaction-scoped advisory lock per (caller, key): released by the commit or rollback, and shared by
 * every instance (it lives in PostgreSQL). Two different keys of one caller may share a hash (hashtext is
 * 32 bits): the second then gets a 409 while the first runs, which a client retries anyway.
 */
export const tryLockKey = (ownerId: number, key: string): SqlQuery =>
  prepared('idempotency_try_lock')`SELECT pg_try_advisory_xact_lock(${ownerId}, hashtext(${key})) AS locked`;

export const findKey = (ownerId: number, key: string): SqlQuery =>
  prepared('idempotency_find')`SELECT request_hash, status, response FROM idempotency_key
    WHERE owner_id = ${ownerId} AND key = ${key} AND created_date > now() - ${TTL}`;

/** An expired row that the purge has not reached yet is replaced: the key is new again. */
export const saveKey = (ownerId: number, key: string, requestHash: string, status: number, response: string): SqlQuery =>
  prepared('idempotency_save')`INSERT INTO idempotency_key (owner_id, key, request_hash, status, response, created_date)
    VALUES (${ownerId}, ${key}, ${requestHash}, ${status}, ${response}, now())
    ON CONFLICT (owner_id, key) DO UPDATE SET request_hash = excluded.request_hash, status = excluded.status,
      response = excluded.response, created_date = excluded.created_date`;

export const purgeExpiredKeys = (): SqlQuery => prepared('idempotency_purge')`DELETE FROM idempotency_key WHERE created_date < now() - ${TTL}`;
