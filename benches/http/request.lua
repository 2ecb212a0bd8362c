-- wrk script of benches/http/load.sh: one fixed request, sent over and over, and a count
-- of the answers that were not 2xx (wrk's own "Non-2xx" line counts only >= 400, and a
-- run with any of them is not a result).
--
-- Read from the environment (wrk passes no options to a script but its arguments, and a
-- request body does not fit there): OG_METHOD, OG_PATHS (one path, or several separated
-- by spaces: each thread sends them in turn), OG_BODY_FILE (optional), and the caller's
-- headers OG_MERCHANT, OG_CHANNEL, OG_KEY.

local function env(name, default)
  local value = os.getenv(name)
  if value == nil or value == "" then
    if default == nil then
      error(name .. " is not set")
    end
    return default
  end
  return value
end

local function read(path)
  local file = assert(io.open(path, "rb"))
  local text = file:read("*a")
  file:close()
  return text
end

-- Every thread's state, so that done() can sum what each one counted.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local headers = {
    ["x-merchant"] = env("OG_MERCHANT"),
    ["x-channel"] = env("OG_CHANNEL"),
    ["Authorization"] = env("OG_KEY"),
  }
  local body = nil
  local body_file = os.getenv("OG_BODY_FILE")
  if body_file ~= nil and body_file ~= "" then
    body = read(body_file)
    headers["Content-Type"] = "application/json"
  end
  -- Formatted once: a run sends the same few requests over and over.
  prepared = {}
  for path in string.gmatch(env("OG_PATHS"), "%S+") do
    table.insert(prepared, wrk.format(env("OG_METHOD", "GET"), path, headers, body))
  end
  next_request = 0
  non2xx = 0
  first_failure = nil
end

function request()
  next_request = next_request % #prepared + 1
  return prepared[next_request]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_failure == nil then
      first_failure = status .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

function done(summary, latency, requests)
  local failed, sample = 0, nil
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("non2xx") or 0)
    sample = sample or thread:get("first_failure")
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  -- One line for load.sh to parse; latencies are in microseconds in wrk, milliseconds here.
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f req_s=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    failed, e.connect + e.read + e.write + e.timeout))
  if sample ~= nil then
    io.write("FIRST-FAILURE " .. sample .. "\n")
  end
end
