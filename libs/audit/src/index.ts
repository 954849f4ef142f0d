// The library's public surface: what other libraries, the app and the tests use. Everything else is internal
// (lint refuses imports of a library's files from outside it).
export { AUDIT_ACTIONS, AUDIT_TARGET_TYPES, changesBetween } from './audit-actions';
export type { AuditAction, AuditChanges, AuditTargetType, AuditValue } from './audit-actions';
export { AuditLog } from './audit-log.service';
export type { AuditEntry, PrismaTransaction } from './audit-log.service';
export { AUDIT_INSERT_SQL } from './audit-log.statements';
export { AuditModule } from './audit.module';
export { RequestOrigin } from './audit-origin';
export type { AuditOrigin } from './audit-origin';
export { AuditRetentionPurgeJob } from './audit-retention-purge.job';
