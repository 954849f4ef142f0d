-- API keys (issue 19): long-lived credentials for programs. Additive only: instances of the previous
-- release keep working against this schema.

CREATE TABLE "api_key" (
    "id" SERIAL NOT NULL,
    "owner_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "scopes" TEXT[] NOT NULL,
    "prefix" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "created_date" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_date" TIMESTAMPTZ(3),
    "last_used_date" TIMESTAMPTZ(3),
    "revoked_date" TIMESTAMPTZ(3),

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id"),
    -- The API validates these first, the check keeps any other writer honest.
    CONSTRAINT "api_key_scopes_known" CHECK (
        cardinality("scopes") >= 1
        AND "scopes" <@ ARRAY['listings:write', 'webhooks:manage', 'admin']::TEXT[]
    )
);

-- Every request with a key: one index probe by the key's hash.
CREATE UNIQUE INDEX "api_key_key_hash_key" ON "api_key"("key_hash");
-- An account's keys (GET /auth/api-keys, the admin's view), by id, and the per-account cap.
CREATE INDEX "api_key_owner_idx" ON "api_key"("owner_id", "id");

ALTER TABLE "api_key" ADD CONSTRAINT "api_key_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "app_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
