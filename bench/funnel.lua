-- wrk script for bench/funnel.py: POSTs one step_view event per request, as the widget does.
-- wrk ... -s bench/funnel.lua URL -- <noop|event> <site key> <origin> <session pool size>
-- Prints one line "BENCH_RESULT {json}" with counts and latency percentiles (µs).

local threads = {}
local steps = { "cart", "shipping", "payment", "confirmation" }

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  kind = args[1]
  site_key = args[2]
  origin = args[3]
  pool = tonumber(args[4])
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

function request()
  local body
  if kind == "noop" then
    body = '{"site_key":"' .. site_key .. '","client_id":"' .. uuid4() .. '"}'
  else
    local session = math.random(1, pool)
    body = string.format(
      '{"events":[{"site_key":"%s","journey":"checkout","step":"%s","type":"step_view","client_id":"%s",'
        .. '"visitor_id":"v%d","session_id":"s%d","url_path":"/checkout","device":"desktop","locale":"en"}]}',
      site_key, steps[math.random(#steps)], uuid4(), session, session)
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
