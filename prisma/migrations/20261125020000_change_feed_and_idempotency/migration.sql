-- The change feed (GET /listings/changes) and idempotent creates (Idempotency-Key on POST /listings).

-- CreateEnum
CREATE TYPE "listing_event_type" AS ENUM ('created', 'updated', 'price_changed', 'deleted');

-- CreateTable
-- One row per committed listing write, inserted by the write's own transaction (libs/listings), so an
-- event exists exactly when its change committed. "tx" is the inserting transaction's id (xid8 as a
-- bigint): the feed only returns events whose transaction is older than every transaction still running
-- (the snapshot's xmin), in (tx, sequence) order, so nothing can later commit before a position a
-- client has already read. No foreign key to listing: the deleted event outlives its listing.
CREATE TABLE "listing_event" (
    "sequence" BIGSERIAL NOT NULL,
    "listing_id" INTEGER NOT NULL,
    "type" "listing_event_type" NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "latest_price_eur" DECIMAL(12,0),
    "tx" BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),

    CONSTRAINT "listing_event_pkey" PRIMARY KEY ("sequence")
);

-- AlterTable
-- The feed position (tx) of the listing's latest event. A listing's next event takes
-- greatest(its own transaction id, this): transaction ids do not always follow the order in which
-- writers win the listing's row lock (a waiter can be given its id before it wins the lock on the row's
-- newest version), and the feed must list each listing's events in the order of its history.
ALTER TABLE "listing" ADD COLUMN "event_tx" BIGINT NOT NULL DEFAULT 0;

-- CreateIndex
-- The feed's order and its cursor range.
CREATE INDEX "listing_event_feed_idx" ON "listing_event"("tx", "sequence");

-- CreateIndex
-- The retention purge.
CREATE INDEX "listing_event_at_idx" ON "listing_event"("at");

-- CreateTable
-- The newest feed position the retention purge has deleted (one row at most): a cursor before it may have
-- missed a purged event, and is answered 410.
CREATE TABLE "listing_event_purge" (
    "singleton" BOOLEAN NOT NULL DEFAULT true,
    "tx" BIGINT NOT NULL,
    "sequence" BIGINT NOT NULL,

    CONSTRAINT "listing_event_purge_pkey" PRIMARY KEY ("singleton"),
    CONSTRAINT "listing_event_purge_singleton" CHECK ("singleton")
);

-- CreateTable
-- Idempotency-Key: the response of a create, per caller and key, kept 24 hours. Written in the create's
-- transaction, so either both the listing and its key exist or neither does.
CREATE TABLE "idempotency_key" (
    "owner_id" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "status" INTEGER NOT NULL,
    "response" JSONB NOT NULL,
    "created_date" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_key_pkey" PRIMARY KEY ("owner_id","key")
);

-- CreateIndex
-- The purge of expired keys.
CREATE INDEX "idempotency_key_created_date_idx" ON "idempotency_key"("created_date");

-- AddForeignKey
ALTER TABLE "idempotency_key" ADD CONSTRAINT "idempotency_key_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
