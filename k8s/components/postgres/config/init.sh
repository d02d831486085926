#!/bin/sh
# The init container of the saga's PostgreSQL, at every start of the pod:
# on an empty volume, initdb, with the superuser password of the Secret
# postgres-auth (through a pipe, not a command line); then, on a server that
# listens on its Unix socket alone (so no store connects meanwhile), the
# database, roles, schemas and grants of bootstrap.sql. The server that the
# pod then runs listens on the network only once this is done, and its
# readiness probe with it. The server started here logs no statement, so
# that a failing one cannot show a password.
set -eu
: "${PGDATA:?}" "${POSTGRES_PASSWORD:?}" "${ORDERSTORE_PASSWORD:?}" "${STOCKSTORE_PASSWORD:?}" "${PAYMENTSTORE_PASSWORD:?}"
config=/etc/postgres

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s\n' "$POSTGRES_PASSWORD" |
    initdb --pgdata="$PGDATA" --username=postgres --pwfile=/dev/stdin \
      --auth=scram-sha-256 --encoding=UTF8 --locale=C
fi

pg_ctl start --pgdata="$PGDATA" --wait --timeout=120 \
  --options="-c listen_addresses='' -c hba_file=$config/pg_hba.conf -c log_min_error_statement=panic"
# A failure below still stops the server, so that the next attempt finds
# no server holding the data directory.
trap 'pg_ctl stop --pgdata="$PGDATA" --mode=fast --wait' EXIT

PGPASSWORD="$POSTGRES_PASSWORD" psql --no-psqlrc --quiet --username=postgres --dbname=postgres \
  --file="$config/bootstrap.sql"
