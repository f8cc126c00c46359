-- wrk script: unique signed Sentry event_alert deliveries (bench/lib/wrk.ts writes the inputs).
-- wrk's Lua has no HMAC, so Node precomputes one signature per event id; here each request only joins
-- the fixture body's parts (split at its event_id, which occurs several times) around the id and sends
-- that id's signature.
-- Each thread walks its own stride of the list (thread k: k, k+T, k+2T, ...), so no two requests of a
-- run share an id until the list wraps (then they are duplicates, still answered 200; wrk.ts reports it).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local dir = args[1]
  local nthreads = tonumber(args[2])
  parts = {}
  local nparts = tonumber(args[4])
  for p = 1, nparts do
    local f = assert(io.open(dir .. "/part" .. p .. ".txt", "rb")); parts[p] = f:read("*a"); f:close()
  end
  ids, sigs = {}, {}
  local i = 0
  for line in io.lines(dir .. "/signed.txt") do
    if i % nthreads == tid then
      ids[#ids + 1] = line:sub(1, 32)
      sigs[#sigs + 1] = line:sub(34, 97)
    end
    i = i + 1
  end
  path = args[3]
end

function request()
  counter = counter + 1
  local k = (counter - 1) % #ids + 1
  if counter > #ids then wrapped = counter - #ids end
  local body = table.concat(parts, ids[k])
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Request-ID"] = ids[k],
    ["Sentry-Hook-Resource"] = "event_alert",
    ["Sentry-Hook-Timestamp"] = tostring(os.time()),
    ["Sentry-Hook-Signature"] = sigs[k],
  }, body)
end

function done(summary, latency, requests)
  local wrappedTotal = 0
  for _, t in ipairs(threads) do wrappedTotal = wrappedTotal + (t:get("wrapped") or 0) end
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\"requests\":%d,\"duration_us\":%d,\"p50_us\":%d,\"p99_us\":%d,\"non2xx\":%d,\"errors\":%d,\"wrapped\":%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout, wrappedTotal))
end
