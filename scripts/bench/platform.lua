-- wrk script for scripts/bench.sh: GET a random unit (or its coverage) of the 100 000 seeded.
--   BENCH_PATH   "/warranty/units/%s" (through the gateway) or "/units/%s" (straight to the service)
--   BENCH_SUFFIX "" or "/coverage"
--   BENCH_HEADER_NAME / BENCH_HEADER_VALUE  the key (X-API-Key) or the internal token
--   BENCH_METHOD  "GET" (default) or "POST" (a claim on a random unit, to BENCH_PATH as given)
-- Prints: "RESULT <req/s> <p50 ms> <p99 ms> <errors> <non-2xx>", as the floor's script does.
local counter = 0
local path = os.getenv("BENCH_PATH") or "/warranty/units/%s"
local suffix = os.getenv("BENCH_SUFFIX") or ""

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

function init(args)
  math.randomseed(os.time() * 100 + tid)
  wrk.headers[os.getenv("BENCH_HEADER_NAME")] = os.getenv("BENCH_HEADER_VALUE")
  -- BENCH_EXTRA_HEADERS "name=value;name=value": the signed caller a service needs straight (shared/identity.py)
  for name, value in string.gmatch(os.getenv("BENCH_EXTRA_HEADERS") or "", "([^=;]+)=([^;]*)") do
    wrk.headers[name] = value
  end
  wrk.headers["Content-Type"] = "application/json"
end

local method = os.getenv("BENCH_METHOD") or "GET"

function request()
  local serial = string.format("BENCH-%06d", math.random(0, 99999))
  if method == "POST" then
    -- a claim on a random unit: the write a technician makes at the customer's site
    local body = string.format('{"serial_number": "%s", "failed_on": "2025-07-01", "component": "cooling_system", '
      .. '"causes": ["quality_defect"], "certificate": null}', serial)
    return wrk.format("POST", path, nil, body)
  end
  return wrk.format("GET", string.format(path, serial) .. suffix)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.0f %.2f %.2f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
