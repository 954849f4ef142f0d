import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { AppConfig } from '@app/common';
import { AuditLog } from './audit-log.service';

export const AUDIT_RETENTION_PURGE_JOB = 'audit-retention-purge';
const PURGE_EVERY_MS = 3_600_000;

/**
 * Deletes the audit entries older than AUDIT_RETENTION_DAYS, through audit_log_purge (the one DELETE the table's
 * append-only trigger lets through). Every hour on each instance (the purge is idempotent, so instances need not
 * agree on who runs it), and once at startup: an instance may have been down for a while. A run still going when
 * the next is due makes that one skip; a failed purge is logged and retried at the next run.
 */
@Injectable()
export class AuditRetentionPurgeJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AuditLog');
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly auditLog: AuditLog,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    void this.run();
  }

  onModuleDestroy(): void {
    this.stopped = true;
  }

  @Interval(AUDIT_RETENTION_PURGE_JOB, PURGE_EVERY_MS)
  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.purge().finally(() => (this.running = undefined));
    return this.running;
  }

  private async purge(): Promise<void> {
    try {
      await this.auditLog.purgeOlderThan(this.config.auditRetentionDays);
    } catch (error) {
      this.logger.warn(`Audit log purge failed: ${String(error)}`);
    }
  }
}
