import type { ApiKeyScope, Role } from '@app/common';
import { type SqlQuery, prepared, sql } from '@app/database';

/** The api_key table: its statements and row types, all of them here (libs/auth owns the table). */

export interface ApiKeyRow {
  id: number;
  name: string;
  scopes: ApiKeyScope[];
  prefix: string;
  created_date: Date;
  expires_date: Date | null;
  last_used_date: Date | null;
}

/** What a request with a key needs: who the key acts as, with what, and whether its last use is worth recording. */
export interface KeyForRequestRow {
  id: number;
  scopes: ApiKeyScope[];
  owner_id: number;
  role: Role;
  last_use_stale: boolean;
}

const KEY_COLUMNS = sql`id, name, scopes, prefix, created_date, expires_date, last_used_date`;

/**
 * The per-request check, on every request made with a key: one probe of api_key_key_hash_key joined to the
 * owner's row by primary key. Only a usable key is returned: not revoked, not expired (by the database's
 * clock, the same for every instance), its owner active; the role comes from the account, as for tokens.
 */
export const keyForRequest = (keyHash: string): SqlQuery =>
  prepared('api_key_for_request')`SELECT k.id, k.scopes, k.owner_id, u.role,
      (k.last_used_date IS NULL OR k.last_used_date < now() - interval '1 minute') AS last_use_stale
    FROM api_key k JOIN app_user u ON u.id = k.owner_id
    WHERE k.key_hash = ${keyHash} AND k.revoked_date IS NULL AND (k.expires_date IS NULL OR k.expires_date > now()) AND u.active`;

/** At most one write a minute per key: the condition makes concurrent requests of other instances write nothing. */
export const recordUse = (id: number): SqlQuery =>
  prepared('api_key_record_use')`UPDATE api_key SET last_used_date = now()
    WHERE id = ${id} AND (last_used_date IS NULL OR last_used_date < now() - interval '1 minute')`;

/**
 * Serialises the creates of one account, so two concurrent POSTs cannot both pass the cap. A transaction-scoped
 * advisory lock on (this table, the account): nothing else takes it, and it ends with the transaction.
 */
export const lockOwnerKeys = (ownerId: number): SqlQuery => prepared('api_key_owner_lock')`SELECT pg_advisory_xact_lock('api_key'::regclass::oid::int, ${ownerId})`;

/** The keys that count against the cap: neither revoked nor expired. */
export const countUsableKeys = (ownerId: number): SqlQuery =>
  prepared('api_key_owner_count')`SELECT count(*)::int AS count FROM api_key
    WHERE owner_id = ${ownerId} AND revoked_date IS NULL AND (expires_date IS NULL OR expires_date > now())`;

export const insertKey = (key: { ownerId: number; name: string; scopes: readonly ApiKeyScope[]; prefix: string; keyHash: string; createdDate: Date; expiresDate: Date | null }): SqlQuery =>
  prepared('api_key_insert')`INSERT INTO api_key (owner_id, name, scopes, prefix, key_hash, created_date, expires_date)
    VALUES (${key.ownerId}, ${key.name}, ${key.scopes}::text[], ${key.prefix}, ${key.keyHash}, ${key.createdDate}, ${key.expiresDate})
    RETURNING ${KEY_COLUMNS}`;

/** One page of an account's keys that are not revoked (expired ones included: they say why a program fails), by ascending id (api_key_owner_idx). */
export function selectOwnerKeyPage(ownerId: number, afterId: number | undefined, limit: number): SqlQuery {
  const after = afterId === undefined ? sql`` : sql`AND id > ${afterId}`;
  return sql`SELECT ${KEY_COLUMNS} FROM api_key WHERE owner_id = ${ownerId} AND revoked_date IS NULL ${after} ORDER BY id LIMIT ${limit}`;
}

/**
 * Revokes a key that is not revoked yet: the owner's (ownerId) or, for an admin, anyone's (undefined). The
 * ownership check is this WHERE: another account's key matches nothing, exactly like a key that does not exist.
 */
export function revokeKey(id: number, ownerId: number | undefined, at: Date): SqlQuery {
  const owner = ownerId === undefined ? sql`` : sql`AND owner_id = ${ownerId}`;
  return sql`UPDATE api_key SET revoked_date = ${at} WHERE id = ${id} AND revoked_date IS NULL ${owner} RETURNING id`;
}
