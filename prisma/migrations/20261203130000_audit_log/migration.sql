-- The audit log (issue 19): one row per change made through the API, inserted by the change's own transaction.
-- Additive only: instances of the previous release keep working against this schema (they write no entries).

CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "action" TEXT NOT NULL,
    "actor_user_id" INTEGER,
    "actor_api_key_id" INTEGER,
    "actor_role" "user_role",
    "target_type" TEXT NOT NULL,
    "target_id" INTEGER,
    "request_id" TEXT,
    "ip" TEXT,
    "changes" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- GET /admin/audit-log: newest first (the primary key read backwards), and the same after each common filter.
CREATE INDEX "audit_log_actor_idx" ON "audit_log"("actor_user_id", "id" DESC);
CREATE INDEX "audit_log_api_key_idx" ON "audit_log"("actor_api_key_id", "id" DESC);
CREATE INDEX "audit_log_target_idx" ON "audit_log"("target_type", "target_id", "id" DESC);
CREATE INDEX "audit_log_action_idx" ON "audit_log"("action", "id" DESC);
-- The retention purge (at < cutoff), and from/to.
CREATE INDEX "audit_log_at_idx" ON "audit_log"("at");

-- Append-only. Every UPDATE and DELETE is refused, except the DELETE of audit_log_purge below, which turns the
-- transaction-local setting audit.purge on around its own DELETE only. This guards against mistakes (a stray
-- UPDATE, a cascade, a maintenance script), not against an account that may change the schema: such an account
-- could drop the trigger as well.
CREATE FUNCTION "audit_log_refuse_change"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('audit.purge', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER "audit_log_append_only" BEFORE UPDATE OR DELETE ON "audit_log"
  FOR EACH ROW EXECUTE FUNCTION "audit_log_refuse_change"();
CREATE TRIGGER "audit_log_no_truncate" BEFORE TRUNCATE ON "audit_log"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_refuse_change"();

-- The retention purge (AUDIT_RETENTION_DAYS): deletes the entries older than that many days, returns how many.
-- The only code that sets audit.purge, and only around its own DELETE (is_local: until the transaction ends at
-- the latest).
CREATE FUNCTION "audit_log_purge"("retention_days" INTEGER) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
  purged BIGINT;
BEGIN
  IF retention_days IS NULL OR retention_days < 1 THEN
    RAISE EXCEPTION 'audit_log_purge: retention_days must be at least 1, got %', retention_days;
  END IF;
  PERFORM set_config('audit.purge', 'on', true);
  DELETE FROM "audit_log" WHERE "at" < now() - make_interval(days => retention_days);
  GET DIAGNOSTICS purged = ROW_COUNT;
  PERFORM set_config('audit.purge', 'off', true);
  RETURN purged;
END;
$$;
