import { Module } from '@nestjs/common';
import { DatabaseModule } from '@app/database';
import { AuditLogController } from './audit-log.controller';
import { AuditLog } from './audit-log.service';
import { AuditRetentionPurgeJob } from './audit-retention-purge.job';

/**
 * The audit log (issue 19): the audit_log table, the AuditLog service every module that changes something calls
 * inside its write's transaction, GET /admin/audit-log, and the retention purge.
 */
@Module({
  imports: [DatabaseModule],
  controllers: [AuditLogController],
  providers: [AuditLog, AuditRetentionPurgeJob],
  exports: [AuditLog],
})
export class AuditModule {}
