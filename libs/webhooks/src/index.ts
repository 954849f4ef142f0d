// The library's public surface: what other libraries, the app and the tests use. Everything else is internal
// (lint refuses imports of a library's files from outside it).
export { WebhooksModule } from './webhooks.module';
export { DeliveryLogPurgeJob } from './delivery-log-purge.job';
// The delivery log's wire shape, for the tests that read it.
export type { DeliveryView } from './dto/webhook.view';
// Whether an instance's delivery queue is there yet (a ping or a retry is a 503 until then): tests wait for it.
export { DeliveryQueue } from './delivery/delivery-queue';
