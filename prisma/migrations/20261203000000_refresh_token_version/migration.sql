-- Refresh tokens carry the account's token_version at issue. A refresh compares it with the account's
-- current one under the account row's lock, so a token committed a moment after a password change,
-- logout-all or deactivation (by a refresh or a login that was already running) is refused on first use,
-- even if the revoking statement could not see it.

-- AlterTable
-- The default keeps an instance of the previous release able to insert during a rolling upgrade; its
-- tokens get 0, which the new release accepts only for an account whose version is still 0.
ALTER TABLE "refresh_token" ADD COLUMN "token_version" INTEGER NOT NULL DEFAULT 0;

-- Tokens issued before this migration keep working: they get their account's current version.
UPDATE "refresh_token" AS t SET "token_version" = u."token_version" FROM "app_user" AS u WHERE u."id" = t."user_id";
