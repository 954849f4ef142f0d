import { ConflictException, Injectable } from '@nestjs/common';
import { ValidationFailedException } from '@app/common';
import { SqlService, type SqlTransaction, type Statement } from '@app/database';
import { IDEMPOTENCY_KEY_TTL_HOURS } from './idempotency-key';

/** A key as the create path receives it: the caller's key and the hash of the request body. */
export interface IdempotentRequest {
  key: string;
  hash: string;
}

export interface IdempotentResult<T> {
  body: T;
  /** True when this is the stored response of an earlier request with the same key. */
  replayed: boolean;
}

interface StoredResponse {
  request_hash: string;
  status: number;
  response: unknown;
}

const TTL = `interval '${IDEMPOTENCY_KEY_TTL_HOURS} hours'`;

/**
 * A transaction-scoped advisory lock per (caller, key): released by the commit or rollback, and shared by
 * every instance (it lives in PostgreSQL). Two different keys of one caller may share a hash (hashtext is
 * 32 bits): the second then gets a 409 while the first runs, which a client retries anyway.
 */
const TRY_LOCK: Statement = { name: 'idempotency_try_lock', text: 'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked' };
export const FIND_IDEMPOTENCY_KEY: Statement = {
  name: 'idempotency_find',
  text: `SELECT request_hash, status, response FROM idempotency_key WHERE owner_id = $1 AND key = $2 AND created_date > now() - ${TTL}`,
};
/** An expired row that the purge has not reached yet is replaced: the key is new again. */
const SAVE: Statement = {
  name: 'idempotency_save',
  text: `INSERT INTO idempotency_key (owner_id, key, request_hash, status, response, created_date) VALUES ($1, $2, $3, $4, $5, now())
         ON CONFLICT (owner_id, key) DO UPDATE SET request_hash = excluded.request_hash, status = excluded.status,
           response = excluded.response, created_date = excluded.created_date`,
};
export const PURGE_IDEMPOTENCY_KEYS: Statement = {
  name: 'idempotency_purge',
  text: `DELETE FROM idempotency_key WHERE created_date < now() - ${TTL}`,
};

/**
 * The status stored with a response. Only creates take a key, so it is always 201 (Created), which is
 * also what a replay gets: the route's status.
 */
const CREATED = 201;

/**
 * Idempotency-Key: the first response to a caller's key is stored in the same transaction as the write it
 * reports, so either both exist or neither does (a crash or an error rolls both back, and the retry runs
 * the write again). Errors are not stored: they changed nothing, and the retry may succeed.
 */
@Injectable()
export class IdempotencyService {
  constructor(private readonly sql: SqlService) {}

  /**
   * Runs `write` in `tx` unless the key already answered: then the stored body comes back (same body)
   * or a 422 (another body). A request still running with the same key makes this one a 409.
   */
  async once<T>(tx: SqlTransaction, ownerId: number, request: IdempotentRequest, write: () => Promise<T>): Promise<IdempotentResult<T>> {
    const [{ locked }] = await tx.query<{ locked: boolean }>(TRY_LOCK, [ownerId, request.key]);
    if (!locked) throw new ConflictException('A request with this Idempotency-Key is still in progress: retry once it has completed');
    const [stored] = await tx.query<StoredResponse>(FIND_IDEMPOTENCY_KEY, [ownerId, request.key]);
    if (stored) {
      if (stored.request_hash !== request.hash) {
        throw new ValidationFailedException(
          [{ field: 'Idempotency-Key', message: 'already used with a different request body' }],
          'This Idempotency-Key was already used with a different request body: use a new key for a new request',
        );
      }
      return { body: stored.response as T, replayed: true };
    }
    const body = await write();
    await tx.query(SAVE, [ownerId, request.key, request.hash, CREATED, JSON.stringify(body)]);
    return { body, replayed: false };
  }

  /** Deletes the expired keys (through idempotency_key_created_date_idx). Run by RetentionPurgeJob. */
  async purgeExpired(): Promise<void> {
    await this.sql.query(PURGE_IDEMPOTENCY_KEYS, []);
  }
}
