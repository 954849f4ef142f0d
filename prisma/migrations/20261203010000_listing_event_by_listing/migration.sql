-- A deleted listing's change-feed events no longer carry its prices.

-- CreateIndex
-- DELETE /listings/{id} sets latest_price_eur to NULL on the listing's earlier events, in its own
-- transaction (FORGET_PRICES in libs/listings/src/change-feed/change-feed.statements.ts). The feed keeps
-- millions of events (7 days by default): without this index every delete would scan them all.
CREATE INDEX "listing_event_by_listing_idx" ON "listing_event"("listing_id");
