#!/usr/bin/env bash
# make bench: the platform under load, next to the reference floor measured in the same run.
#   Floor (../shared/bench, when present): (a) /hello, (b) one SQLite lookup, (c) the same via a bare proxy.
#   Platform: GET a unit with its terms, and its coverage, straight to warranty and through the gateway,
#   over 100 000 imported units, with the workers make run would start (override *_WORKERS).
# Knobs: DURATION=10 CONNS=32 THREADS=2 WARRANTY_WORKERS=1 GATEWAY_WORKERS=1
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { [[ $(id -u) -eq 0 ]] && apt-get install -y -qq wrk >/dev/null; } \
  || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
PY=${PY:-.venv/bin/python}
DURATION=${DURATION:-10}; CONNS=${CONNS:-32}; THREADS=${THREADS:-2}
FLOOR=${FLOOR_DIR:-../shared/bench}
WORK=$(mktemp -d /tmp/bench.XXXXXX)
RUN_PID=""

cleanup() {
  [[ -n $RUN_PID ]] && kill -TERM "$RUN_PID" 2>/dev/null && wait "$RUN_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

if [[ -x $FLOOR/run_floor.sh ]]; then
  echo "== reference floor (same machine, same run)"
  VENV=.venv DURATION=$DURATION CONNS=$CONNS THREADS=$THREADS bash "$FLOOR/run_floor.sh" | tee "$WORK/floor.txt"
else
  echo "== no reference floor at $FLOOR (set FLOOR_DIR); platform figures only"
fi

export DATA_DIR=$WORK/data INTERNAL_TOKEN=bench-token ADMIN_API_KEY=bench-admin RATE_LIMIT_PER_SECOND=0
export GATEWAY_PORT=$(free_port) WARRANTY_PORT=$(free_port) INVENTORY_PORT=$(free_port) BILLING_PORT=$(free_port)
export LOG_LEVEL=${LOG_LEVEL:-WARNING}
$PY -m scripts.run >"$WORK/run.log" 2>&1 &
RUN_PID=$!
GW=http://127.0.0.1:$GATEWAY_PORT
for _ in $(seq 300); do curl -sf -m 1 -o /dev/null "$GW/readyz" && break; sleep 0.2; done
curl -sf -m 1 -o /dev/null "$GW/readyz" || { cat "$WORK/run.log" >&2; exit 1; }

$PY - "$WORK/units.csv" <<'PYEOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("serial_number,model_code,product_name,site_name,region,accepted_on\n")
    for i in range(100_000):
        f.write(f"BENCH-{i:06d},KFR-72LW,Cabinet AC,Site {i % 97},shandong,2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}\n")
PYEOF
curl -sf -m 300 -H "X-API-Key: bench-admin" -H "Content-Type: text/csv" --data-binary "@$WORK/units.csv" \
  "$GW/warranty/units/import" | head -c 200; echo
KEY=$(curl -sf -H "X-API-Key: bench-admin" -H "Content-Type: application/json" \
  -d '{"role": "station", "name": "bench"}' "$GW/admin/api-keys" | $PY -c 'import json,sys; print(json.load(sys.stdin)["key"])')

load() {  # label, base url, path format, suffix, header name, header value, [method]
  local out rps p50 p99 errs non2xx
  out=$(BENCH_EXTRA_HEADERS=${BENCH_EXTRA_HEADERS:-} BENCH_PATH=$3 BENCH_SUFFIX=$4 BENCH_HEADER_NAME=$5 BENCH_HEADER_VALUE=$6 BENCH_METHOD=${7:-GET} \
    timeout $((DURATION + 20)) wrk -t "$THREADS" -c "$CONNS" -d "${DURATION}s" --timeout 5s \
    -s scripts/bench/platform.lua "$2" | awk '/^RESULT/ {print $2, $3, $4, $5, $6}') || true
  read -r rps p50 p99 errs non2xx <<<"$out"
  printf '%-36s %9s %9s %9s %7s %7s\n' "$1" "$rps" "$p50" "$p99" "$errs" "$non2xx" | tee -a "$WORK/platform.txt"
}

echo "== platform: warranty workers=${WARRANTY_WORKERS:-1}, gateway workers=${GATEWAY_WORKERS:-1}, wrk -t$THREADS -c$CONNS -d${DURATION}s"
printf '%-36s %9s %9s %9s %7s %7s\n' scenario req/s p50_ms p99_ms errors non2xx
WURL=http://127.0.0.1:$WARRANTY_PORT
# Straight to a service: the token alone is not enough, the caller must be signed (shared/identity.py).
BENCH_EXTRA_HEADERS=$($PY -c 'from shared import context, identity
print(";".join(f"{k.decode()}={v.decode()}" for k, v in identity.headers("bench-token",
      context.Caller(role="station"), request_id="bench") if k != b"x-internal-token"))') \
  load "d unit direct to warranty" "$WURL" "/units/%s" "" X-Internal-Token bench-token
load "e unit via gateway" "$GW" "/warranty/units/%s" "" X-API-Key "$KEY"
load "f coverage via gateway" "$GW" "/warranty/units/%s" "/coverage" X-API-Key "$KEY"
load "g claim (a write) via gateway" "$GW" "/warranty/claims" "" X-API-Key "$KEY" POST

if [[ -f $WORK/floor.txt ]]; then
  $PY - "$WORK/floor.txt" "$WORK/platform.txt" <<'PYEOF'
import sys
def rps(path, label):
    for line in open(path):
        if line.startswith(label):
            try:
                return float(line.split()[-5])
            except ValueError:
                return None
floor, ours = sys.argv[1], sys.argv[2]
a, b, c = (rps(floor, x) for x in ("a /hello", "b /units", "c /units"))
print("== ratios to the floor measured above (higher is better)")
for label, ref, name in (("d unit direct", b, "b (bare lookup)"), ("e unit via gateway", c, "c (bare proxy)"),
                         ("e unit via gateway", a, "a (/hello)"), ("f coverage via gateway", c, "c (bare proxy)")):
    value = rps(ours, label)
    if value and ref:
        print(f"{label:28s} / {name:16s} = {value / ref:5.2f}")
PYEOF
fi
