-- wrk script of the benchmark's scenarios (run by bench/bench.py).
--
--   wrk -t2 -cN -dS -s bench/scenario.lua URL -- SCENARIO KEY DATAFILE
--
-- DATAFILE has one record per line (fields separated by spaces):
--   retrieve, metadata      session id
--   line_items              session id and its three line-item ids
--   create                  two price ids
--   list                    the customer e-mail to filter on
--   pi_retrieve, pi_metadata  PaymentIntent id (localstripe)
--
-- Each thread builds a pool of requests once (one per record, with its own
-- random metadata value or quantity) and sends them in random order, so the
-- Lua work per request is a table lookup. `done` prints one JSON line with
-- the counts, errors and latency percentiles (microseconds); wrk counts a
-- status >= 400 in errors.status.

local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

local function urlencode(s)
  return (string.gsub(s, "[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local function form(pairs_)
  local out = {}
  for _, kv in ipairs(pairs_) do
    out[#out + 1] = urlencode(kv[1]) .. "=" .. urlencode(kv[2])
  end
  return table.concat(out, "&")
end

local function fields(line)
  local t = {}
  for w in string.gmatch(line, "%S+") do t[#t + 1] = w end
  return t
end

local pool = {}

function init(args)
  local scenario, key, file = args[1], args[2], args[3]
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  local records = {}
  for line in io.lines(file) do
    if string.match(line, "%S") then records[#records + 1] = fields(line) end
  end
  assert(#records > 0, "no records in " .. file)
  local get = { ["Authorization"] = "Bearer " .. key }
  local post = {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }
  local copies = math.max(1, math.floor(2000 / #records))
  for _, r in ipairs(records) do
    for _ = 1, copies do
      local req
      if scenario == "retrieve" then
        req = wrk.format("GET", "/v1/checkout/sessions/" .. r[1], get)
      elseif scenario == "metadata" then
        req = wrk.format("POST", "/v1/checkout/sessions/" .. r[1], post,
          form({ { "metadata[order_id]", tostring(math.random(1, 999999)) } }))
      elseif scenario == "line_items" then
        -- Retransmit the three items, change one quantity.
        req = wrk.format("POST", "/v1/checkout/sessions/" .. r[1], post, form({
          { "line_items[0][id]", r[2] }, { "line_items[0][quantity]", "1" },
          { "line_items[1][id]", r[3] }, { "line_items[1][quantity]", "2" },
          { "line_items[2][id]", r[4] }, { "line_items[2][quantity]", tostring(math.random(1, 9)) },
        }))
      elseif scenario == "create" then
        req = wrk.format("POST", "/v1/checkout/sessions", post, form({
          { "mode", "payment" },
          { "success_url", "https://example.com/success?session_id={CHECKOUT_SESSION_ID}" },
          { "cancel_url", "https://example.com/cancel" },
          { "line_items[0][price]", r[1] }, { "line_items[0][quantity]", "1" },
          { "line_items[1][price]", r[2] }, { "line_items[1][quantity]", "2" },
          { "metadata[order_id]", tostring(math.random(1, 999999)) },
        }))
      elseif scenario == "list" then
        req = wrk.format("GET", "/v1/checkout/sessions?" .. form({
          { "limit", "10" }, { "customer_details[email]", r[1] },
        }), get)
      elseif scenario == "pi_retrieve" then
        req = wrk.format("GET", "/v1/payment_intents/" .. r[1], get)
      elseif scenario == "pi_metadata" then
        req = wrk.format("POST", "/v1/payment_intents/" .. r[1], post,
          form({ { "metadata[order_id]", tostring(math.random(1, 999999)) } }))
      else
        error("unknown scenario " .. tostring(scenario))
      end
      pool[#pool + 1] = req
    end
  end
end

function request()
  return pool[math.random(#pool)]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
