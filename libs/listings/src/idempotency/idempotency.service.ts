import { ConflictException, Injectable } from '@nestjs/common';
import { ValidationFailedException } from '@app/common';
import { SqlService, type SqlTransaction } from '@app/database';
import { type StoredResponse, findKey, purgeExpiredKeys, saveKey, tryLockKey } from './idempotency-key.statements';

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
    const [{ locked }] = await tx.query<{ locked: boolean }>(tryLockKey(ownerId, request.key));
    if (!locked) throw new ConflictException('A request with this Idempotency-Key is still in progress: retry once it has completed');
    const [stored] = await tx.query<StoredResponse>(findKey(ownerId, request.key));
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
    await tx.query(saveKey(ownerId, request.key, request.hash, CREATED, JSON.stringify(body)));
    return { body, replayed: false };
  }

  /** Deletes the expired keys (through idempotency_key_created_date_idx). Run by RetentionPurgeJob. */
  async purgeExpired(): Promise<void> {
    await this.sql.query(purgeExpiredKeys());
  }
}
