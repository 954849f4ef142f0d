-- CreateEnum
CREATE TYPE "building_type" AS ENUM ('STUDIO', 'APARTMENT', 'HOUSE');

-- CreateTable
CREATE TABLE "listing" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "building_type" "building_type" NOT NULL,
    "surface_area_m2" DOUBLE PRECISION NOT NULL,
    "rooms_count" INTEGER NOT NULL,
    "bedrooms_count" INTEGER NOT NULL,
    "contact_phone_number" TEXT,
    "street_address" TEXT NOT NULL,
    "postal_code" TEXT NOT NULL,
    "city" TEXT NOT NULL,
    "country" CHAR(2) NOT NULL,
    "latest_price_eur" DECIMAL(12,0) NOT NULL,
    "created_date" TIMESTAMPTZ(3) NOT NULL,
    "updated_date" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "listing_pkey" PRIMARY KEY ("id"),
    -- The API validates all of these first, the checks keep any other writer honest.
    CONSTRAINT "listing_price_non_negative" CHECK ("latest_price_eur" >= 0),
    CONSTRAINT "listing_surface_non_negative" CHECK ("surface_area_m2" >= 0),
    CONSTRAINT "listing_rooms_positive" CHECK ("rooms_count" >= 1),
    CONSTRAINT "listing_bedrooms_non_negative" CHECK ("bedrooms_count" >= 0),
    CONSTRAINT "listing_country_alpha2" CHECK ("country" ~ '^[A-Z]{2}$')
);

-- CreateTable
CREATE TABLE "listing_price" (
    "id" BIGSERIAL NOT NULL,
    "listing_id" INTEGER NOT NULL,
    "price_eur" DECIMAL(12,0) NOT NULL,
    "created_date" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "listing_price_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "listing_price_price_non_negative" CHECK ("price_eur" >= 0)
);

-- CreateIndex
-- price_eur as the last key column: "all prices of listing X, oldest first" is answered from the index alone.
CREATE INDEX "listing_price_history_idx" ON "listing_price"("listing_id", "created_date", "id", "price_eur");

-- AddForeignKey
ALTER TABLE "listing_price" ADD CONSTRAINT "listing_price_listing_id_fkey" FOREIGN KEY ("listing_id") REFERENCES "listing"("id") ON DELETE CASCADE ON UPDATE CASCADE;
