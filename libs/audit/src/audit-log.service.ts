import { Injectable } from '@nestjs/common';
import { type AuthenticatedUser, type Page, decodeCursor, encodeCursor, toPage } from '@app/common';
import { SqlService, type SqlTransaction } from '@app/database';
import type { AuditAction, AuditChanges, AuditTargetType } from './audit-actions';
import type { AuditOrigin } from './audit-origin';
import { type AuditInsert, type AuditRow, AUDIT_INSERT_SQL, auditInsertValues, insertAuditEntry, purgeAuditLog, selectAuditPage } from './audit-log.statements';
import { AUDIT_PAGE_DEFAULT, type AuditLogQuery } from './dto/audit-log.query';
import type { AuditEntryView } from './dto/audit-entry.view';

/** One change to record. */
export interface AuditEntry {
  action: AuditAction;
  /**
   * Who did it: the authenticated caller (with the API key it used, if any), or null when nobody is signed in
   * (a failed sign-in).
   */
  actor: AuthenticatedUser | null;
  origin: AuditOrigin;
  target: { type: AuditTargetType; id: number | null };
  /** `{ field: [before, after] }` (see changesBetween); never a password, hash, token, key or secret. Default: none. */
  changes?: AuditChanges;
}

/**
 * What AuditLog.recordInPrisma needs of a Prisma interactive transaction (`prisma.$transaction(async (tx) => …)`):
 * typed by shape, so no Prisma type crosses into this library's interface.
 */
export interface PrismaTransaction {
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

function toInsert(entry: AuditEntry): AuditInsert {
  return {
    action: entry.action,
    actorUserId: entry.actor?.id ?? null,
    actorApiKeyId: entry.actor?.apiKey?.id ?? null,
    actorRole: entry.actor?.role ?? null,
    targetType: entry.target.type,
    targetId: entry.target.id,
    requestId: entry.origin.requestId,
    ip: entry.origin.ip,
    changes: JSON.stringify(entry.changes ?? {}),
  };
}

function toView(row: AuditRow): AuditEntryView {
  return {
    id: Number(row.id),
    at: row.at.toISOString(),
    action: row.action,
    actor: { user_id: row.actor_user_id, api_key_id: row.actor_api_key_id, role: row.actor_role },
    target: { type: row.target_type, id: row.target_id },
    request_id: row.request_id,
    ip: row.ip,
    changes: row.changes,
  };
}

/**
 * The audit log: every change made through the API records who made it, in the same transaction as the change,
 * so an entry exists exactly when its change committed. Recording is one prepared INSERT; `changes` is built by
 * the caller from values its write already has.
 */
@Injectable()
export class AuditLog {
  constructor(private readonly sql: SqlService) {}

  /** Records `entry` in `tx`, the node-postgres transaction of the change (SqlService.transaction). */
  async record(tx: SqlTransaction, entry: AuditEntry): Promise<void> {
    await tx.query(insertAuditEntry(toInsert(entry)));
  }

  /** Records `entry` in `tx`, the Prisma interactive transaction of the change. */
  async recordInPrisma(tx: PrismaTransaction, entry: AuditEntry): Promise<void> {
    await tx.$executeRawUnsafe(AUDIT_INSERT_SQL, ...auditInsertValues(toInsert(entry)));
  }

  /** Records an event that changes nothing (a failed sign-in): one statement of its own. */
  async recordEvent(entry: AuditEntry): Promise<void> {
    await this.sql.query(insertAuditEntry(toInsert(entry)));
  }

  /** GET /admin/audit-log: newest first, by key. */
  async list(query: AuditLogQuery): Promise<Page<AuditEntryView>> {
    const limit = query.limit ?? AUDIT_PAGE_DEFAULT;
    const beforeId = query.cursor === undefined ? undefined : decodeCursor(query.cursor, (raw) => (typeof raw.id === 'string' && /^\d{1,18}$/.test(raw.id) ? raw.id : undefined));
    const rows = await this.sql.query<AuditRow>(
      selectAuditPage(
        {
          actorUserId: query.actor_user_id,
          apiKeyId: query.api_key_id,
          targetType: query.target_type,
          targetId: query.target_id,
          action: query.action,
          from: query.from?.atOrAfter,
          to: query.to?.atOrAfter,
          beforeId,
        },
        limit + 1,
      ),
    );
    return toPage(rows, limit, toView, (row) => encodeCursor({ id: row.id }));
  }

  /** Deletes the entries older than `retentionDays` days (audit_log_purge); returns how many. */
  async purgeOlderThan(retentionDays: number): Promise<number> {
    const [row] = await this.sql.query<{ purged: string }>(purgeAuditLog(retentionDays));
    return Number(row.purged);
  }
}
