-- Accounts, refresh tokens, and an owner for every listing.

-- CreateEnum
CREATE TYPE "user_role" AS ENUM ('USER', 'ADMIN');

-- CreateTable
CREATE TABLE "app_user" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "role" "user_role" NOT NULL DEFAULT 'USER',
    "active" BOOLEAN NOT NULL DEFAULT true,
    "token_version" INTEGER NOT NULL DEFAULT 0,
    "created_date" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "app_user_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "app_user_email_lower_case" CHECK ("email" = lower("email"))
);

-- CreateTable
CREATE TABLE "refresh_token" (
    "id" BIGSERIAL NOT NULL,
    "user_id" INTEGER NOT NULL,
    "family_id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "created_date" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "refresh_token_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "app_user_email_key" ON "app_user"("email");

-- CreateIndex
CREATE UNIQUE INDEX "refresh_token_token_hash_key" ON "refresh_token"("token_hash");

-- CreateIndex
CREATE INDEX "refresh_token_family_id_idx" ON "refresh_token"("family_id");

-- CreateIndex
CREATE INDEX "refresh_token_user_id_idx" ON "refresh_token"("user_id");

-- AddForeignKey
ALTER TABLE "refresh_token" ADD CONSTRAINT "refresh_token_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Listings that exist before this migration get an owner: a dedicated, inactive account whose password
-- hash matches no password. An admin moves them to real owners with PUT /admin/listings/{id}/owner.
-- Only created when there is something to own.
INSERT INTO "app_user" ("email", "password_hash", "role", "active")
SELECT 'legacy-listings@listing-api.invalid', '!no-login', 'USER', false
WHERE EXISTS (SELECT 1 FROM "listing");

-- AlterTable
ALTER TABLE "listing" ADD COLUMN "owner_id" INTEGER;
UPDATE "listing" SET "owner_id" = (SELECT "id" FROM "app_user" WHERE "email" = 'legacy-listings@listing-api.invalid');
ALTER TABLE "listing" ALTER COLUMN "owner_id" SET NOT NULL;

-- CreateIndex
CREATE INDEX "listing_owner_idx" ON "listing"("owner_id", "id");

-- AddForeignKey
ALTER TABLE "listing" ADD CONSTRAINT "listing_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "app_user"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
