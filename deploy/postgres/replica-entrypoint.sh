#!/bin/sh
# A streaming replica of the primary (compose.yaml's postgres-replica, running as the postgres user). On the
# first start it clones the primary: pg_basebackup -R writes standby.signal and primary_conninfo, and the
# slot keeps the WAL it has not received yet. Then it runs as a hot standby that serves reads.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_basebackup --host="${PRIMARY_HOST:-postgres-primary}" --username=replicator --pgdata="$PGDATA" \
      --wal-method=stream --write-recovery-conf --slot=replica1 --checkpoint=fast; do
    echo "replica: the primary is not ready yet, retrying"
    rm -rf "${PGDATA:?}"/*
    sleep 2
  done
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c shared_preload_libraries=pg_stat_statements
