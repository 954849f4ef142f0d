import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { SqlService } from '@app/database';
import { purgeSettledDeliveries } from './webhook.statements';

const PURGE_EVERY_MS = 3_600_000;
export const DELIVERY_LOG_DAYS = 30;
const BATCH = 5_000;

/**
 * The delivery log keeps settled deliveries (succeeded, dead) for 30 days. Hourly on each instance (the DELETE
 * is idempotent), in batches so that no statement holds many row locks for long. Pending and failed deliveries
 * are never purged: they are still being attempted.
 */
@Injectable()
export class DeliveryLogPurgeJob implements OnModuleDestroy {
  private readonly logger = new Logger('Webhooks');
  private stopped = false;
  private running?: Promise<void>;

  constructor(private readonly sql: SqlService) {}

  onModuleDestroy(): void {
    this.stopped = true;
  }

  @Interval('webhook-delivery-log-purge', PURGE_EVERY_MS)
  run(now = new Date()): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.purge(new Date(now.getTime() - DELIVERY_LOG_DAYS * 86_400_000)).finally(() => (this.running = undefined));
    return this.running;
  }

  private async purge(before: Date): Promise<void> {
    try {
      for (let i = 0; i < 100 && !this.stopped; i += 1) {
        const deleted = await this.sql.query(purgeSettledDeliveries(before, BATCH));
        if (deleted.length < BATCH) return;
      }
    } catch (error) {
      this.logger.warn(`delivery log purge failed: ${String(error)}`);
    }
  }
}
