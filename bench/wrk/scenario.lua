-- One wrk scenario, configured from the environment, reporting one JSON line:
--   BENCH_METHOD (GET), BENCH_BODY (none), BENCH_TOKEN (no Authorization header),
--   BENCH_LABEL (the "bench" field), BENCH_IMPL (the "impl" field).
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local token = os.getenv("BENCH_TOKEN")
local label = os.getenv("BENCH_LABEL") or "wrk"
local impl = os.getenv("BENCH_IMPL") or "?"

wrk.method = method
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

-- Responses outside 2xx are counted per thread and summed in done().
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  bad = 0
end
function response(status, headers, body)
  if status < 200 or status > 299 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + (thread:get("bad") or 0) end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"bench":"%s","impl":"%s","requests":%d,"non_2xx":%d,"socket_errors":%d,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f}\n',
    label, impl, summary.requests, failed,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
