-- wrk script for bench/ingest.py and bench/funnel.py: POSTs what the widget sends.
-- wrk ... -s bench/ingest.lua URL -- <mode> <site key> <origin> [session pool]
--   mode: answers per request (0 = the no-op body), or "event": one step_view per request
--   at a random step of one of <session pool> sessions (default 2000).
-- Each answer and event gets a fresh random UUID client_id, so none is a retry.
-- Prints one line "BENCH_RESULT {json}" with counts and latency percentiles (µs).

local threads = {}

local comments = {
  "The payment page kept failing, I had to retry my card three times.",
  "Quick and easy, thanks!",
  "Shipping costs were only shown at the very end, annoying.",
  "ok",
  "Could not find where to enter my discount code.",
  "Great experience overall, delivery options were clear.",
}
local kinds = { { "csat", 1, 5 }, { "ces", 1, 7 }, { "nps", 0, 10 } }

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  batch = tonumber(args[1]) -- nil in "event" mode
  site_key = args[2]
  origin = args[3]
  pool = tonumber(args[4] or "2000")
  ok, bad = 0, 0
  math.randomseed(os.time() * 1000 + tid * 7919 + math.floor(os.clock() * 1e6))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
  wrk.headers["Origin"] = origin
end

local function uuid4()
  return string.format("%08x-%04x-4%03x-%04x-%06x%06x",
    math.random(0, 0xffffffff), math.random(0, 0xffff), math.random(0, 0xfff),
    math.random(0, 0x3fff) + 0x8000, math.random(0, 0xffffff), math.random(0, 0xffffff))
end

local function answer()
  local kind = kinds[math.random(#kinds)]
  return string.format(
    '{"site_key":"%s","journey":"checkout","step":"payment","kind":"%s","score":%d,'
      .. '"comment":"%s","trigger":"inline","client_id":"%s","visitor_id":"v%d",'
      .. '"session_id":"s%d","url_path":"/checkout/payment?ref=mail","device":"desktop","locale":"en"}',
    site_key, kind[1], math.random(kind[2], kind[3]), comments[math.random(#comments)],
    uuid4(), math.random(1, 1000000), math.random(1, 1000000))
end

local steps = { "cart", "shipping", "payment", "confirmation" }

local function step_view()
  local session = math.random(1, pool)
  return string.format(
    '{"events":[{"site_key":"%s","journey":"checkout","step":"%s","type":"step_view","client_id":"%s",'
      .. '"visitor_id":"v%d","session_id":"s%d","url_path":"/checkout","device":"desktop","locale":"en"}]}',
    site_key, steps[math.random(#steps)], uuid4(), session, session)
end

function request()
  local body
  if batch == nil then
    body = step_view()
  elseif batch == 0 then
    body = '{"site_key":"' .. site_key .. '","client_id":"' .. uuid4() .. '"}'
  elseif batch == 1 then
    body = answer()
  else
    local items = {}
    for i = 1, batch do items[i] = answer() end
    body = '{"responses":[' .. table.concat(items, ",") .. ']}'
  end
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
  local ok_total, bad_total = 0, 0
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok")
    bad_total = bad_total + thread:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"ok":%d,"non_2xx":%d,'
      .. '"socket_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, ok_total, bad_total,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
