-- Loaded by bench/run.ts into every wrk run: prints one JSON line with the figures the report needs.
-- Optional pacing (open-ish loop for the "half load" latency check): BENCH_DELAY_MS=<ms> makes
-- each connection wait that long before each request, so rate ~= connections * 1000 / (delay + latency).
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")
-- Optional token pool (cold bearer case): BENCH_TOKENS=<file>, one JWT per line; each request
-- takes the next token (threads start at different offsets).
local token_file = os.getenv("BENCH_TOKENS")
local tokens = nil
local idx = 0
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  if token_file and token_file ~= "" then
    tokens = {}
    for line in io.lines(token_file) do
      if #line > 0 then tokens[#tokens + 1] = line end
    end
    -- start where the previous run stopped (BENCH_TOKEN_OFFSET), so that a warm-up never
    -- leaves the measured run's first tokens in the cache; threads spread over the pool
    idx = (tonumber(os.getenv("BENCH_TOKEN_OFFSET") or "0") + math.floor((id or 0) * #tokens / 4)) % #tokens
  end
end

if delay_ms then
  function delay()
    return delay_ms
  end
end

if token_file and token_file ~= "" then
  function request()
    idx = idx + 1
    if idx > #tokens then idx = 1 end
    local h = {}
    for k, v in pairs(wrk.headers) do h[k] = v end
    h["Authorization"] = "Bearer " .. tokens[idx]
    return wrk.format(nil, nil, h, nil)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
