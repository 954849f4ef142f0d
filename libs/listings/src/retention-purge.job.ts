import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { ChangeFeedService } from './change-feed/change-feed.service';
import { IdempotencyService } from './idempotency/idempotency.service';

export const RETENTION_PURGE_JOB = 'listings-retention-purge';
const PURGE_EVERY_MS = 3_600_000;

/**
 * Deletes what the listings module keeps only for a while: change-feed events older than
 * CHANGE_FEED_RETENTION_HOURS and expired idempotency keys. Every hour on each instance (the DELETEs
 * are idempotent, so instances need not agree on who runs them), and once at startup: an instance may
 * have been down for a while. A run still going when the next is due makes that one skip; a failed purge
 * is logged and retried at the next run, and never stops the other purge or the process.
 */
@Injectable()
export class RetentionPurgeJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RetentionPurge');
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly changeFeed: ChangeFeedService,
    private readonly idempotency: IdempotencyService,
  ) {}

  onApplicationBootstrap(): void {
    void this.run();
  }

  /** Until the scheduler clears the interval (before the application shuts down), no run starts on a closing pool. */
  onModuleDestroy(): void {
    this.stopped = true;
  }

  /** Both purges, one after the other; resolves when they are done (or with the run already going). */
  @Interval(RETENTION_PURGE_JOB, PURGE_EVERY_MS)
  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.purgeAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async purgeAll(): Promise<void> {
    await this.attempt('Change feed purge', () => this.changeFeed.purgeExpired());
    await this.attempt('Idempotency key purge', () => this.idempotency.purgeExpired());
  }

  private async attempt(what: string, purge: () => Promise<void>): Promise<void> {
    try {
      await purge();
    } catch (error) {
      this.logger.warn(`${what} failed: ${String(error)}`);
    }
  }
}
