import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { DatabaseModule } from '@app/database';
import { MetricsModule } from '@app/metrics';
import { ListingsModule } from '@app/listings';
import { DeliveryMetrics } from './delivery/delivery-metrics';
import { DeliveryQueue } from './delivery/delivery-queue';
import { DeliveryLogPurgeJob } from './delivery-log-purge.job';
import { DeliveryWorker } from './delivery/delivery-worker';
import { WebhookRelay } from './webhook-relay';
import { WebhooksController } from './webhooks.controller';
import { WebhooksLifecycle } from './webhooks.lifecycle';
import { WebhooksService } from './webhooks.service';

/**
 * Push: webhook subscriptions (owns webhook_subscription, webhook_delivery, webhook_relay), the relay from the
 * change feed, and the deliveries on a pg-boss queue.
 */
@Module({
  imports: [DatabaseModule, ListingsModule, AuditModule, MetricsModule],
  controllers: [WebhooksController],
  providers: [WebhooksService, DeliveryQueue, DeliveryMetrics, DeliveryWorker, WebhookRelay, WebhooksLifecycle, DeliveryLogPurgeJob],
})
export class WebhooksModule {}
