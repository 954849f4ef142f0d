-- Webhooks (issue 18): subscriptions, their deliveries, and the relay's position in the change feed.
-- Additive only: instances of the previous release keep working against this schema.

-- What a price_changed event pushes as `previous`, and the listing as the change left it (what a delivery
-- shows and a subscription's filter is applied to, even when the listing changes again or is deleted before
-- the event is relayed). Written by the listing write's own transaction; null on events written before.
ALTER TABLE "listing_event" ADD COLUMN "previous_price_eur" DECIMAL(12,0);
ALTER TABLE "listing_event" ADD COLUMN "state" JSONB;

CREATE TABLE "webhook_subscription" (
    "id" SERIAL NOT NULL,
    "owner_id" INTEGER NOT NULL,
    "url" TEXT NOT NULL,
    "events" TEXT[] NOT NULL,
    "filter" JSONB NOT NULL DEFAULT '{}',
    "description" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "disabled_reason" TEXT,
    "secret" TEXT NOT NULL,
    "previous_secret" TEXT,
    "previous_secret_expires_date" TIMESTAMPTZ(3),
    "consecutive_dead" INTEGER NOT NULL DEFAULT 0,
    "created_date" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_date" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_subscription_pkey" PRIMARY KEY ("id")
);

-- GET /webhooks (an account's, by id) and the per-account cap.
CREATE INDEX "webhook_subscription_owner_idx" ON "webhook_subscription"("owner_id", "id");
-- The relay reads the active subscriptions for every batch of events.
CREATE INDEX "webhook_subscription_active_idx" ON "webhook_subscription"("id") WHERE "active";

ALTER TABLE "webhook_subscription" ADD CONSTRAINT "webhook_subscription_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "webhook_delivery" (
    "id" BIGSERIAL NOT NULL,
    "subscription_id" INTEGER NOT NULL,
    "event_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "response_status" INTEGER,
    "response_body" TEXT,
    "duration_ms" INTEGER,
    "error" TEXT,
    "created_date" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "next_attempt_date" TIMESTAMPTZ(3),
    "last_attempt_date" TIMESTAMPTZ(3),
    -- The pg-boss job of the next attempt: an older job (replaced by a manual retry) finds it is not the current one.
    "job_id" UUID,

    CONSTRAINT "webhook_delivery_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "webhook_delivery_status_check" CHECK ("status" IN ('pending', 'succeeded', 'failed', 'dead'))
);

-- One delivery per event and subscription, however often the relay meets the event; and the delivery log
-- (a subscription's deliveries, newest first).
CREATE UNIQUE INDEX "webhook_delivery_event_key" ON "webhook_delivery"("subscription_id", "event_id");
CREATE INDEX "webhook_delivery_log_idx" ON "webhook_delivery"("subscription_id", "id" DESC);
-- The hourly purge of settled deliveries older than 30 days.
CREATE INDEX "webhook_delivery_created_idx" ON "webhook_delivery"("created_date");

ALTER TABLE "webhook_delivery" ADD CONSTRAINT "webhook_delivery_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "webhook_subscription"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The relay's position in the change feed (one row). It starts at the feed's end when the first
-- subscription appears (see the relay), so this starts empty.
CREATE TABLE "webhook_relay" (
    "singleton" BOOLEAN NOT NULL DEFAULT true,
    "tx" BIGINT NOT NULL,
    "sequence" BIGINT NOT NULL,

    CONSTRAINT "webhook_relay_pkey" PRIMARY KEY ("singleton")
);
