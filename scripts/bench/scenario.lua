-- wrk script for scripts/bench/suite.py: one scenario per run, chosen by BENCH_MODE.
--   get      GET BENCH_PATH, with "%s" replaced by a random unit of the 100 000 imported
--   reserve  POST a reservation of one unit of a random part among BENCH_PARTS at BENCH_WAREHOUSE;
--            with BENCH_IDS_DIR, each thread appends the ids it got to <dir>/ids-<thread>
--   bill     POST a repair (an out-of-warranty bill) consuming one reservation from BENCH_IDS_DIR,
--            each id used once (thread t takes every BENCH_THREADS-th id from its own offset)
-- The key or internal token goes in BENCH_HEADER_NAME / BENCH_HEADER_VALUE.
-- Prints: "RESULT <req/s> <p50 ms> <p99 ms> <socket errors> <non-2xx>".
local counter = 0
local mode = os.getenv("BENCH_MODE") or "get"
local path = os.getenv("BENCH_PATH") or "/healthz"
local parts = tonumber(os.getenv("BENCH_PARTS") or "1")
local warehouse = os.getenv("BENCH_WAREHOUSE") or "WH-BENCH"
local ids_dir = os.getenv("BENCH_IDS_DIR")
local threads = tonumber(os.getenv("BENCH_THREADS") or "2")
local units = tonumber(os.getenv("BENCH_UNITS") or "100000")

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

local ids, next_id, sink = {}, 1, nil

function init(args)
  math.randomseed(os.time() * 100 + tid)
  wrk.headers[os.getenv("BENCH_HEADER_NAME")] = os.getenv("BENCH_HEADER_VALUE")
  -- Straight to a service, the caller must be signed too (shared/identity.py): "name=value;name=value".
  for name, value in string.gmatch(os.getenv("BENCH_EXTRA_HEADERS") or "", "([^=;]+)=([^;]*)") do
    wrk.headers[name] = value
  end
  wrk.headers["Content-Type"] = "application/json"
  if mode == "reserve" and ids_dir then
    sink = io.open(ids_dir .. "/ids-" .. tid, "a")
  elseif mode == "bill" then
    local all = {}
    for t = 1, 64 do
      local f = io.open(ids_dir .. "/ids-" .. t, "r")
      if f then
        for line in f:lines() do all[#all + 1] = tonumber(line) end
        f:close()
      end
    end
    table.sort(all)
    for i = tid, #all, threads do ids[#ids + 1] = all[i] end
  end
end

local function serial()
  return string.format("BENCH-%06d", math.random(0, units - 1))
end

function request()
  if mode == "reserve" then
    local body = string.format('{"warehouse": "%s", "reference": "STORM", "lines": '
      .. '[{"part_number": "BP-%03d", "qty": 1}]}', warehouse, math.random(1, parts))
    return wrk.format("POST", path, nil, body)
  elseif mode == "bill" then
    local id = ids[next_id] or 0  -- 0 is refused (422): running out shows as non-2xx
    next_id = next_id + 1
    local body = string.format('{"serial_number": "%s", "repair_reference": "RR-%d", "performed_on": "2026-07-01", '
      .. '"component": "cooling_system", "causes": ["improper_use"], "certificate": null, '
      .. '"reservation_ids": [%d], "labor_hours": "1.5", "visits": 1}', serial(), id, id)
    local headers = {["Idempotency-Key"] = "bill-" .. id}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    return wrk.format("POST", path, headers, body)
  end
  return wrk.format("GET", string.format(path, serial()))
end

if mode == "reserve" and ids_dir then
  function response(status, headers, body)
    if status == 201 and sink then
      local id = string.match(body, '"id":%s*(%d+)')
      if id then sink:write(id, "\n"); sink:flush() end
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.0f %.2f %.2f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
