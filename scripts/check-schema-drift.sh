#!/usr/bin/env bash
# Does prisma/schema.prisma say exactly what prisma/migrations build? On a scratch database it applies the
# migrations (`prisma migrate deploy`), then asks Prisma what `prisma migrate dev` would write next
# (`prisma migrate diff --from-migrations ... --to-schema-datamodel ...`, on a shadow database the
# migration adapter creates and drops). Anything at all fails the check, with the SQL it would generate.
#
#   scripts/check-schema-drift.sh      # CI runs it (.ci/run); DRIFT_CHECK_SERVER_URL picks the server
#
# Only the scratch database listing_drift_check_<pid> (and Prisma's prisma_shadow_*) is created, and it
# is dropped on exit. Default server: the machine's PostgreSQL on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVER_URL="${DRIFT_CHECK_SERVER_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
SCRATCH="listing_drift_check_$$"
PRISMA=(node node_modules/prisma/build/index.js)
export PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1

# One statement on SERVER_URL's database, or (with `url`) prints SERVER_URL with the scratch database.
sql() {
  node -e '
    const pg = require("pg");
    const [server, scratch, statement] = process.argv.slice(1);
    if (statement === "url") {
      const url = new URL(server);
      url.pathname = "/" + scratch;
      console.log(url.toString());
      process.exit(0);
    }
    const client = new pg.Client({ connectionString: server });
    client.connect().then(() => client.query(statement)).then(
      () => client.end(),
      (error) => { console.error(`check-schema-drift: ${error.message}`); process.exit(1); },
    );
  ' "$SERVER_URL" "$SCRATCH" "$1"
}

sql "CREATE DATABASE \"$SCRATCH\""
trap 'sql "DROP DATABASE IF EXISTS \"$SCRATCH\" WITH (FORCE)"' EXIT
export DATABASE_URL
DATABASE_URL="$(sql url)"

if ! deployed="$("${PRISMA[@]}" migrate deploy 2>&1)"; then
  printf '%s\n' "$deployed" >&2
  echo "check-schema-drift: prisma migrate deploy failed on a fresh database" >&2
  exit 1
fi

status=0
diff="$("${PRISMA[@]}" migrate diff --from-migrations prisma/migrations --to-schema-datamodel prisma/schema.prisma --script --exit-code 2>&1)" || status=$?
case "$status" in
  0)
    echo "check-schema-drift: prisma/schema.prisma matches prisma/migrations (prisma migrate dev would generate nothing)"
    ;;
  2)
    printf '%s\n' "$diff" >&2
    echo "check-schema-drift: prisma/schema.prisma and prisma/migrations disagree: prisma migrate dev would generate the SQL above." >&2
    echo "  A schema change needs its migration; a dbgenerated(...) default must be written as PostgreSQL prints it back" >&2
    echo "  (npx prisma db pull --print on a migrated database shows it)." >&2
    exit 1
    ;;
  *)
    printf '%s\n' "$diff" >&2
    echo "check-schema-drift: prisma migrate diff failed (exit $status)" >&2
    exit 1
    ;;
esac
