#!/usr/bin/env bash
# make bench: the platform under load, next to the reference floor measured in the same run.
#   1. Floor (../shared/bench, when present): (a) /hello, (b) one SQLite lookup, (c) the same via a bare proxy.
#   2. The platform on SQLite, one process per service (as `make run` starts it).
#   3. When PostgreSQL server binaries are on the machine: a throwaway PostgreSQL (scripts/pg_temp.sh),
#      2 processes per service.
#   Scenarios (scripts/bench/suite.py): warranty's /healthz, coverage straight and through the gateway,
#   the reservation storm on one part and over 60, a bill end to end, the import of 100 000 units,
#   memory at rest, a year's service figures (100 000 tickets and 3 000 complaints written by
#   scripts/bench/tickets.py, then GET /reports/service for the year timed: target < 1 s), and at the
#   end the oversell check; then, on PostgreSQL, the driver and the way of waiting on their own
#   (scripts/bench/drivers.py: psycopg in threads, SQLAlchemy asyncio on psycopg and on asyncpg, raw asyncpg).
#   The table and the JSON land in bench/results/ (latest.md is the last run).
# A benchmark of a busy machine measures the machine: it starts only when the load average over the
# last minute is at most BENCH_MAX_LOAD (1.5), waiting up to BENCH_WAIT seconds (300) for it to fall,
# and otherwise stops without a report (exit 3). The load at the start is printed with the figures.
# Knobs: DURATION=10 CONNS=32 THREADS=2 SQLITE_WORKERS=1 PG_WORKERS=2 SKIP_PG=1 SKIP_FLOOR=1 SKIP_DRIVERS=1
#        BENCH_ENV="NAME=value ..." (passed to every platform process), BENCH_LABEL="..."
#        BENCH_MAX_LOAD=1.5 BENCH_WAIT=300 YEAR_TICKETS=100000 (0: no service figures' year)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { [[ $(id -u) -eq 0 ]] && apt-get install -y -qq wrk >/dev/null; } \
  || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
PY=${PY:-.venv/bin/python}
DURATION=${DURATION:-10}; CONNS=${CONNS:-32}; THREADS=${THREADS:-2}
FLOOR=${FLOOR_DIR:-../shared/bench}
MAX_LOAD=${BENCH_MAX_LOAD:-1.5}; WAIT=${BENCH_WAIT:-300}
load1() { cut -d' ' -f1 /proc/loadavg; }
waited=0
while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN { exit !(l > m) }'; do
  if (( waited >= WAIT )); then
    echo "!! load average $(load1) is above $MAX_LOAD after ${WAIT} s: the machine is busy, no figures taken" >&2
    exit 3
  fi
  echo "== load average $(load1) is above $MAX_LOAD: waiting for the machine to be quiet (${waited}/${WAIT} s)"
  sleep 10; waited=$((waited + 10))
done
export BENCH_LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== load average at the start: $BENCH_LOAD_AT_START"
WORK=$(mktemp -d /tmp/bench.XXXXXX)
PG_STARTED=""

cleanup() {
  if [[ -n $PG_STARTED ]]; then bash scripts/pg_temp.sh stop || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [[ -z ${SKIP_FLOOR:-} && -x $FLOOR/run_floor.sh ]]; then
  echo "== reference floor (same machine, same run)"
  VENV=.venv DURATION=$DURATION CONNS=$CONNS THREADS=$THREADS bash "$FLOOR/run_floor.sh" | tee "$WORK/floor.txt"
else
  echo "== no reference floor (set FLOOR_DIR, unset SKIP_FLOOR); platform figures only"
fi

# shellcheck disable=SC2086
SUITE_ARGS=(--duration "$DURATION" --conns "$CONNS" --threads "$THREADS" --year-tickets "${YEAR_TICKETS:-100000}"
            --env ${BENCH_ENV:-})
echo "== platform on SQLite, ${SQLITE_WORKERS:-1} process(es) per service"
$PY -m scripts.bench.suite --database sqlite --workers "${SQLITE_WORKERS:-1}" "${SUITE_ARGS[@]}" \
  --out "$WORK/sqlite.json" || echo "!! the SQLite run failed or oversold" >&2

if [[ -z ${SKIP_PG:-} ]] && { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; }; then
  eval "$(bash scripts/pg_temp.sh start)"
  PG_STARTED=1
  echo "== platform on PostgreSQL, ${PG_WORKERS:-2} processes per service"
  $PY -m scripts.bench.suite --database postgresql --url "$TEST_DATABASE_URL" --workers "${PG_WORKERS:-2}" \
    --pg-pid-file "$PG_TEMP_DIR/data/postmaster.pid" \
    "${SUITE_ARGS[@]}" --out "$WORK/postgresql.json" || echo "!! the PostgreSQL run failed or oversold" >&2
  if [[ -z ${SKIP_DRIVERS:-} ]]; then
    echo "== the PostgreSQL driver and the way of waiting, on their own (scripts/bench/drivers.py)"
    $PY -m scripts.bench.drivers --url "$TEST_DATABASE_URL" --data "$PG_TEMP_DIR/data" --duration 5 \
      --json bench/results/drivers-latest.json || echo "!! the drivers' run failed" >&2
  fi
else
  echo "== no PostgreSQL server binaries (or SKIP_PG): SQLite only"
fi

$PY -m scripts.bench.report --floor "$WORK/floor.txt" --runs "$WORK/sqlite.json" "$WORK/postgresql.json" \
  --out bench/results --label "${BENCH_LABEL:-}"
