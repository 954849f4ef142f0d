-- Indexes for the filters and sorts of GET /listings. Every page is a key range read: each sort order
-- (price, -price, -created) has a btree on (sort key, id) that is walked from the cursor (backwards for
-- the descending ones), and the city filter, the selective one every search uses, has one per order.
-- test/query-plans.e2e-spec.ts EXPLAINs every query shape of the service on 50 000 listings and fails
-- on a Seq Scan or on a Sort over more than a bounded, index-selected set of rows.

-- CreateIndex
CREATE INDEX "listing_by_price_idx" ON "listing"("latest_price_eur", "id");

-- CreateIndex
CREATE INDEX "listing_by_created_idx" ON "listing"("created_date", "id");

-- CreateIndex
CREATE INDEX "listing_city_by_id_idx" ON "listing"("city", "id");

-- CreateIndex
CREATE INDEX "listing_city_by_price_idx" ON "listing"("city", "latest_price_eur", "id");

-- CreateIndex
CREATE INDEX "listing_city_by_created_idx" ON "listing"("city", "created_date", "id");

-- CreateIndex
-- Postal codes hold a handful of listings each: the id order is read in order, the others sort those few rows.
CREATE INDEX "listing_postal_code_idx" ON "listing"("postal_code", "id");
