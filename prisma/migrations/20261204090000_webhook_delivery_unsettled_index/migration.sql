-- The deliveries still owed (pending, or failed with a retry to come), oldest first: what the webhook backlog
-- metrics read at every scrape (count and oldest). Partial, so it holds only the backlog, never the settled log.
-- CONCURRENTLY, and alone in its file (it cannot run inside a transaction): the instances keep writing deliveries
-- while it is built. Not in schema.prisma, which cannot express a partial index (like webhook_subscription_active_idx).
CREATE INDEX CONCURRENTLY IF NOT EXISTS "webhook_delivery_unsettled_idx" ON "webhook_delivery" ("created_date") WHERE "status" IN ('pending', 'failed');
