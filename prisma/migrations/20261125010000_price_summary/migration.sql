-- The price summary of each listing, stored on its row next to latest_price_eur: aggregates of its price
-- history that the listing's write statements keep up to date in the transaction that appends an entry
-- (libs/listings/src/listing-writes.ts), so the summary, the price-movement filters and sort=drop cost
-- the same whatever the history's length. Existing listings are backfilled from their history here.

-- AlterTable: nullable first, filled below, then NOT NULL.
ALTER TABLE "listing" ADD COLUMN     "first_price_eur" DECIMAL(12,0),
ADD COLUMN     "max_price_eur" DECIMAL(12,0),
ADD COLUMN     "min_price_eur" DECIMAL(12,0),
ADD COLUMN     "previous_price_eur" DECIMAL(12,0),
ADD COLUMN     "price_changed_date" TIMESTAMPTZ(3),
ADD COLUMN     "price_drop_pct" DOUBLE PRECISION,
ADD COLUMN     "price_entries" INTEGER;

-- Backfill from the history, in its order (created_date, id): one pass over listing_price_history_idx.
-- The drop is (first - latest) / first in percent rounded to 2 decimals, -Infinity from a first price of 0.
UPDATE "listing" AS l
SET "price_entries" = h.entries,
    "first_price_eur" = h.first_price,
    "previous_price_eur" = h.previous_price,
    "min_price_eur" = h.min_price,
    "max_price_eur" = h.max_price,
    "price_changed_date" = h.changed_date,
    "price_drop_pct" = CASE WHEN h.first_price = 0 THEN '-Infinity'::float8
                            ELSE round((h.first_price - l."latest_price_eur") * 100 / h.first_price, 2)::float8 END
FROM (
  SELECT "listing_id",
         count(*)::int AS entries,
         min("price_eur") AS min_price,
         max("price_eur") AS max_price,
         max("price_eur") FILTER (WHERE k = 1) AS first_price,
         max("price_eur") FILTER (WHERE k = n - 1) AS previous_price,
         max("created_date") FILTER (WHERE k = n AND n > 1) AS changed_date
  FROM (
    SELECT "listing_id", "price_eur", "created_date",
           row_number() OVER (PARTITION BY "listing_id" ORDER BY "created_date", "id") AS k,
           count(*) OVER (PARTITION BY "listing_id") AS n
    FROM "listing_price"
  ) AS numbered
  GROUP BY "listing_id"
) AS h
WHERE h."listing_id" = l."id";

-- A listing without any history entry (the service never leaves one) gets its current price as its only entry's summary.
UPDATE "listing"
SET "price_entries" = 1, "first_price_eur" = "latest_price_eur", "min_price_eur" = "latest_price_eur", "max_price_eur" = "latest_price_eur",
    "price_drop_pct" = CASE WHEN "latest_price_eur" = 0 THEN '-Infinity'::float8 ELSE 0 END
WHERE "price_entries" IS NULL;

ALTER TABLE "listing" ALTER COLUMN "first_price_eur" SET NOT NULL,
ALTER COLUMN "max_price_eur" SET NOT NULL,
ALTER COLUMN "min_price_eur" SET NOT NULL,
ALTER COLUMN "price_drop_pct" SET NOT NULL,
ALTER COLUMN "price_entries" SET NOT NULL;

-- The service maintains these, the check keeps any other writer honest: a single entry has no previous
-- price and no change date, and the latest and first prices lie within [min, max].
ALTER TABLE "listing" ADD CONSTRAINT "listing_price_summary_consistent" CHECK (
  "price_entries" >= 1
  AND ("price_entries" = 1) = ("previous_price_eur" IS NULL)
  AND ("price_entries" = 1) = ("price_changed_date" IS NULL)
  AND ("price_entries" > 1 OR "first_price_eur" = "latest_price_eur")
  AND "min_price_eur" <= "latest_price_eur" AND "latest_price_eur" <= "max_price_eur"
  AND "min_price_eur" <= "first_price_eur" AND "first_price_eur" <= "max_price_eur"
);

-- CreateIndex
-- sort=drop reads this backwards from the largest drop, min_drop_pct is a range of it.
CREATE INDEX "listing_by_drop_idx" ON "listing"("price_drop_pct", "id");

-- CreateIndex
-- The same order after `city = ?`, as for the other sorts.
CREATE INDEX "listing_city_by_drop_idx" ON "listing"("city", "price_drop_pct", "id");

-- CreateIndex
-- changed_since: listings whose price changed at or after an instant (never-changed ones are NULL).
CREATE INDEX "listing_by_price_change_idx" ON "listing"("price_changed_date", "id");
