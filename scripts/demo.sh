#!/usr/bin/env bash
# make demo: a walk through the three services against a running `make run`
# (GATEWAY_URL, default http://127.0.0.1:8000; ADMIN_API_KEY, default dev-admin-key).
# Uses a fresh serial number each time, so it can be run again.
set -euo pipefail
GW=${GATEWAY_URL:-http://127.0.0.1:8000}
ADMIN=${ADMIN_API_KEY:-dev-admin-key}
PY=${PY:-.venv/bin/python}
RUN=$(date +%s)
SERIAL="DEMO-$RUN"
PART="CMP-$RUN"

call() {  # key, method, path, [json body] -> prints the answer, fails on an HTTP error
  local key=$1 method=$2 path=$3 body=${4:-}
  local args=(-sS -X "$method" "$GW$path" -H "X-API-Key: $key" -H "Idempotency-Key: demo-$RUN-$RANDOM")
  [[ -n $body ]] && args+=(-H "Content-Type: application/json" -d "$body")
  curl --fail-with-body "${args[@]}"
}
field() { $PY -c "import json,sys; print(json.load(sys.stdin)$1)"; }
say() { printf '\n== %s\n' "$*"; }

say "keys for the station, the warehouse and the billing office"
STATION=$(call "$ADMIN" POST /admin/api-keys '{"role": "station", "name": "demo station"}' | field '["key"]')
WAREHOUSE=$(call "$ADMIN" POST /admin/api-keys '{"role": "warehouse", "name": "demo warehouse"}' | field '["key"]')
BILLING=$(call "$ADMIN" POST /admin/api-keys '{"role": "billing", "name": "demo billing"}' | field '["key"]')

say "register unit $SERIAL, accepted 2024-03-01 in Shandong"
call "$ADMIN" POST /warranty/units "{\"serial_number\": \"$SERIAL\", \"model_code\": \"KFR-72LW\",
  \"product_name\": \"Cabinet air conditioner\", \"site\": {\"name\": \"Qilu Mall\", \"region\": \"shandong\"},
  \"accepted_on\": \"2024-03-01\", \"certificate\": {\"number\": \"WC-$RUN\"}}" | field '["terms"]'

say "the technician asks: is the cooling system covered on 2025-07-01?"
call "$STATION" GET "/warranty/units/$SERIAL/coverage?on=2025-07-01&component=cooling_system" | field '["components"]'

say "a part, a service centre, and 10 in stock"
call "$ADMIN" POST /inventory/parts "{\"part_number\": \"$PART\", \"name\": \"Compressor\", \"uom\": \"pcs\",
  \"list_price\": \"1200.00\", \"out_of_warranty_price\": \"960.00\"}" >/dev/null
call "$ADMIN" POST /inventory/warehouses "{\"code\": \"SC-$RUN\", \"name\": \"Demo service centre\",
  \"kind\": \"service_center\", \"region\": \"shandong\"}" >/dev/null
call "$WAREHOUSE" POST /inventory/receipts "{\"warehouse\": \"SC-$RUN\", \"part_number\": \"$PART\", \"qty\": 10,
  \"reference\": \"PO-$RUN\"}" >/dev/null
RES=$(call "$WAREHOUSE" POST /inventory/reservations "{\"warehouse\": \"SC-$RUN\", \"reference\": \"R-$RUN\",
  \"lines\": [{\"part_number\": \"$PART\", \"qty\": 1}]}" | field '["id"]')
echo "reserved 1 x $PART as reservation $RES"
call "$STATION" GET "/inventory/stock?part_number=$PART" | field '["items"]'

say "bill the repair: misuse, so out of warranty"
BILL=$(call "$BILLING" POST /billing/repairs "{\"serial_number\": \"$SERIAL\", \"repair_reference\": \"RR-$RUN\",
  \"performed_on\": \"2025-07-01\", \"component\": \"cooling_system\", \"causes\": [\"improper_use\"],
  \"certificate\": null, \"reservation_ids\": [$RES], \"labor_hours\": \"2\", \"visits\": 1}")
echo "$BILL" | $PY -c 'import json,sys; b=json.load(sys.stdin); print(b["number"], b["claim"]["decision"], [r["code"] for r in b["claim"]["reasons"]]); [print(" ", l["kind"], l["qty"], "x", l["unit_price"], "=", l["amount"]) for l in b["lines"]]; print("  net", b["net"], "vat", b["vat"], "total", b["total"], "warranty cost", b["warranty_cost"])'
NUMBER=$(echo "$BILL" | field '["number"]')
call "$BILLING" POST "/billing/invoices/$NUMBER/pay" '{"method": "cash"}' | field '["status"]'

say "the unit's history"
call "$STATION" GET "/warranty/units/$SERIAL/history" | $PY -c 'import json,sys; [print(" ", h["on"], h["kind"], h["summary"]) for h in json.load(sys.stdin)["items"]]'
