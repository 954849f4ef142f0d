import { type SqlQuery, join, prepared, sql } from '@app/database';
import type { Role } from '@app/common';

/** The audit_log table's SQL, all of it here (libs/audit owns the table). */

export interface AuditRow {
  /** bigint, as node-postgres returns it. */
  id: string;
  at: Date;
  action: string;
  actor_user_id: number | null;
  actor_api_key_id: number | null;
  actor_role: Role | null;
  target_type: string;
  target_id: number | null;
  request_id: string | null;
  ip: string | null;
  changes: Record<string, [unknown, unknown]>;
}

export interface AuditInsert {
  action: string;
  actorUserId: number | null;
  actorApiKeyId: number | null;
  actorRole: Role | null;
  targetType: string;
  targetId: number | null;
  requestId: string | null;
  ip: string | null;
  /** JSON text. */
  changes: string;
}

/**
 * One entry, in the transaction of the change it records. Every parameter is cast, so the same text also runs
 * through Prisma's raw queries (AuditLog.recordInPrisma), whose parameter types are not node-postgres'.
 * bench/baseline/server.ts runs this very statement on its PUT.
 */
export const AUDIT_INSERT_SQL = `INSERT INTO audit_log (action, actor_user_id, actor_api_key_id, actor_role, target_type, target_id, request_id, ip, changes)
    VALUES ($1::text, $2::int4, $3::int4, $4::user_role, $5::text, $6::int4, $7::text, $8::text, $9::jsonb)`;

export function auditInsertValues(entry: AuditInsert): unknown[] {
  return [entry.action, entry.actorUserId, entry.actorApiKeyId, entry.actorRole, entry.targetType, entry.targetId, entry.requestId, entry.ip, entry.changes];
}

export const insertAuditEntry = (entry: AuditInsert): SqlQuery => ({ name: 'audit_log_insert', text: AUDIT_INSERT_SQL, values: auditInsertValues(entry) });

export interface AuditFilter {
  actorUserId?: number;
  apiKeyId?: number;
  targetType?: string;
  targetId?: number;
  action?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  /** Keyset: entries older than this id. */
  beforeId?: string;
}

const AUDIT_COLUMNS = sql`id::text AS id, at, action, actor_user_id, actor_api_key_id, actor_role, target_type, target_id, request_id, ip, changes`;

/**
 * One page, newest first, by key. Only the filters given become predicates; the equality filters lead an index
 * each (actor, API key, (target type, target id), action), all ending with `id DESC`, so a page is a range scan
 * that stops after `limit` rows. ORDER BY names the table's column (the output `id` is text).
 */
export function selectAuditPage(filter: AuditFilter, limit: number): SqlQuery {
  const where: SqlQuery[] = [];
  if (filter.actorUserId !== undefined) where.push(sql`actor_user_id = ${filter.actorUserId}::int4`);
  if (filter.apiKeyId !== undefined) where.push(sql`actor_api_key_id = ${filter.apiKeyId}::int4`);
  if (filter.targetType !== undefined) where.push(sql`target_type = ${filter.targetType}::text`);
  if (filter.targetId !== undefined) where.push(sql`target_id = ${filter.targetId}::int4`);
  if (filter.action !== undefined) where.push(sql`action = ${filter.action}::text`);
  if (filter.from !== undefined) where.push(sql`at >= ${filter.from}::timestamptz`);
  if (filter.to !== undefined) where.push(sql`at < ${filter.to}::timestamptz`);
  if (filter.beforeId !== undefined) where.push(sql`audit_log.id < ${filter.beforeId}::int8`);
  const condition = where.length === 0 ? sql`` : sql`WHERE ${join(where, ' AND ')}`;
  return sql`SELECT ${AUDIT_COLUMNS} FROM audit_log ${condition} ORDER BY audit_log.id DESC LIMIT ${limit}`;
}

/** The retention purge: the migration's function, the only way past the append-only trigger. */
export const purgeAuditLog = (retentionDays: number): SqlQuery =>
  prepared('audit_log_purge')`SELECT audit_log_purge(${retentionDays}::int4)::text AS purged`;
