#!/usr/bin/env bash
# A throwaway PostgreSQL for tests, from the machine's PostgreSQL server binaries.
#   eval "$(scripts/pg_temp.sh start)"   # exports TEST_DATABASE_URL and PG_TEMP_DIR
#   scripts/pg_temp.sh stop              # stops it and removes its directory
# As root it runs initdb and pg_ctl as the postgres user (initdb refuses root).
set -euo pipefail

bindir() {
  for dir in ${PG_BINDIR:-} /usr/lib/postgresql/*/bin; do
    [[ -x $dir/initdb ]] && { echo "$dir"; return; }
  done
  command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return; }
  echo "no PostgreSQL server binaries (initdb) found; apt-get install postgresql" >&2
  exit 1
}

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    BIN=$(bindir)
    DIR=$(mktemp -d /tmp/pgtest.XXXXXX)
    [[ $(id -u) -eq 0 ]] && chown postgres "$DIR"
    PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$BIN/initdb" -D "$DIR/data" -A trust -U postgres --no-sync -E UTF8 >"$DIR/initdb.log" 2>&1 \
      || { cat "$DIR/initdb.log" >&2; exit 1; }
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
      -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
    echo "export PG_TEMP_DIR=$DIR PG_TEMP_BIN=$BIN"
    echo "export TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
    ;;
  stop)
    DIR=${PG_TEMP_DIR:?PG_TEMP_DIR is not set}
    BIN=${PG_TEMP_BIN:-$(bindir)}
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
