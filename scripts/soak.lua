-- wrk script for scripts/soak: a mix of every endpoint family of both
-- dialects and the hosted page, on objects the run itself creates.
--
-- Configuration comes from the environment (scripts/soak sets it):
-- SOAK_KEY, SOAK_PRICE, SOAK_TAX, SOAK_SHIP, SOAK_TOKEN (Gr4vy JWT).
-- Ids of created sessions are taken from response bodies into per-thread
-- pools, so updates, expiries and deletes act on real, open objects and
-- every request of the mix is expected to succeed: any status >= 400 is
-- counted as an error and a sample printed at the end.

local key = os.getenv("SOAK_KEY")
local price = os.getenv("SOAK_PRICE")
local tax = os.getenv("SOAK_TAX")
local ship = os.getenv("SOAK_SHIP")
local token = os.getenv("SOAK_TOKEN")

local stripe = {
  ["Authorization"] = "Bearer " .. key,
  ["Content-Type"] = "application/x-www-form-urlencoded",
}
local gr4vy = {
  ["Authorization"] = "Bearer " .. token,
  ["Content-Type"] = "application/json",
}

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

-- Per thread (each thread has its own Lua state).
local open = {}       -- open Stripe sessions
local closed = {}     -- expired ones, still readable
local grs = {}        -- live Gr4vy sessions
local errors = 0
local sample = ""
local counter = 0

local known = {}      -- every id ever pooled, so none is pooled twice

-- Reads and updates use the newer half of a pool, expiries and deletes
-- take its oldest entry: no request is ever in flight for an id that
-- another connection is expiring or deleting.
local function pick(list)
  if #list == 0 then return nil end
  local from = math.floor(#list / 2) + 1
  return list[math.random(from, #list)]
end

local function take(list)
  if #list < 50 then return nil end
  return table.remove(list, 1)
end

local function pool(list, id)
  if id ~= nil and not known[id] and #list < 500 then
    known[id] = true
    table.insert(list, id)
  end
end

local function create_session()
  counter = counter + 1
  local body = "mode=payment&success_url=https%3A%2F%2Fexample.com%2Fok"
    .. "&line_items[0][price]=" .. price .. "&line_items[0][quantity]=" .. (counter % 5 + 1)
    .. "&line_items[0][tax_rates][0]=" .. tax
    .. "&shipping_options[0][shipping_rate]=" .. ship
    .. "&metadata[soak]=" .. counter
  return wrk.format("POST", "/v1/checkout/sessions", stripe, body)
end

local function create_gr4vy()
  counter = counter + 1
  local body = '{"cart_items":[{"name":"Ticket","quantity":' .. (counter % 3 + 1)
    .. ',"unit_amount":4500}],"metadata":{"n":"' .. counter .. '"},"amount":' .. (4500 * (counter % 3 + 1))
    .. ',"currency":"USD"}'
  return wrk.format("POST", "/checkout/sessions", gr4vy, body)
end

-- Requests sent per kind, copied to the thread now and then for done().
local mix = {}
local sent_count = 0
local function sent(kind, req)
  mix[kind] = (mix[kind] or 0) + 1
  sent_count = sent_count + 1
  if sent_count % 100 == 0 then
    local parts = {}
    for k, n in pairs(mix) do table.insert(parts, k .. "=" .. n) end
    wrk.thread:set("mix", table.concat(parts, " "))
  end
  return req
end

function request()
  local r = math.random(100)
  local cs = pick(open)
  local gr = pick(grs)
  if r <= 14 or cs == nil then
    return sent("stripe_create", create_session())
  elseif r <= 28 then
    return sent("stripe_retrieve", wrk.format("GET", "/v1/checkout/sessions/" .. cs .. "?expand[]=line_items", stripe))
  elseif r <= 38 then
    counter = counter + 1
    return sent("stripe_update", wrk.format("POST", "/v1/checkout/sessions/" .. cs, stripe,
      "metadata[step]=" .. counter .. "&shipping_options[0][shipping_rate]=" .. ship))
  elseif r <= 43 then
    local line = "&line_items[0][price]=" .. price .. "&line_items[0][quantity]=" .. (counter % 4 + 1)
    return sent("stripe_update_lines", wrk.format("POST", "/v1/checkout/sessions/" .. cs, stripe, "metadata[lines]=1" .. line))
  elseif r <= 50 then
    return sent("stripe_list", wrk.format("GET", "/v1/checkout/sessions?limit=10&status=open", stripe))
  elseif r <= 54 then
    return sent("stripe_line_items", wrk.format("GET", "/v1/checkout/sessions/" .. cs .. "/line_items", stripe))
  elseif r <= 57 then
    local victim = take(open)
    if victim == nil then return sent("stripe_create", create_session()) end
    table.insert(closed, victim)
    return sent("stripe_expire", wrk.format("POST", "/v1/checkout/sessions/" .. victim .. "/expire", stripe, ""))
  elseif r <= 59 and #closed > 0 then
    return sent("stripe_retrieve_expired", wrk.format("GET", "/v1/checkout/sessions/" .. pick(closed), stripe))
  elseif r <= 62 then
    counter = counter + 1
    return sent("product_create", wrk.format("POST", "/v1/products", stripe, "name=Soak+" .. counter))
  elseif r <= 65 then
    return sent("price_retrieve", wrk.format("GET", "/v1/prices/" .. price, stripe))
  elseif r <= 67 then
    return sent("product_list", wrk.format("GET", "/v1/products?limit=5", stripe))
  elseif r <= 70 then
    return sent("event_list", wrk.format("GET", "/v1/events?limit=5&type=product.created", stripe))
  elseif r <= 78 or gr == nil then
    return sent("gr4vy_create", create_gr4vy())
  elseif r <= 84 then
    return sent("gr4vy_get", wrk.format("GET", "/checkout/sessions/" .. gr, gr4vy))
  elseif r <= 89 then
    counter = counter + 1
    return sent("gr4vy_update", wrk.format("PUT", "/checkout/sessions/" .. gr, gr4vy,
      '{"metadata":{"step":"' .. counter .. '"},"expires_in":3600.0}'))
  elseif r <= 91 then
    local victim = take(grs)
    if victim == nil then return sent("gr4vy_create", create_gr4vy()) end
    return sent("gr4vy_delete", wrk.format("DELETE", "/checkout/sessions/" .. victim, gr4vy))
  elseif r <= 97 then
    return sent("hosted_page", wrk.format("GET", "/c/pay/" .. cs))
  elseif r <= 98 then
    return sent("metrics", wrk.format("GET", "/metrics"))
  else
    return sent("healthz", wrk.format("GET", "/healthz"))
  end
end

function response(status, headers, body)
  if status >= 400 then
    errors = errors + 1
    if sample == "" then sample = status .. " " .. string.sub(body or "", 1, 300) end
    wrk.thread:set("errors", errors)
    wrk.thread:set("sample", sample)
    return
  end
  if body == nil then return end
  local cs = string.match(body, '^{%s*"id":%s*"(cs_test_[%w]+)"')
  if cs ~= nil and string.find(body, '"status":%s*"open"') then
    pool(open, cs)
  end
  pool(grs, string.match(body, '^{%s*"type":%s*"checkout%-session",%s*"id":%s*"([%x%-]+)"'))
end

function done(summary, latency, requests)
  local total = 0
  local first = ""
  for _, t in ipairs(threads) do
    total = total + (t:get("errors") or 0)
    local s = t:get("sample") or ""
    if first == "" then first = s end
  end
  io.write(string.format("soak: requests=%d errors_4xx_5xx=%d socket_errors=%d timeouts=%d\n",
    summary.requests, total,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout))
  if first ~= "" then io.write("soak: first error: " .. first .. "\n") end
  local totals = {}
  for _, t in ipairs(threads) do
    for k, n in string.gmatch(t:get("mix") or "", "([%w_]+)=(%d+)") do
      totals[k] = (totals[k] or 0) + tonumber(n)
    end
  end
  local names = {}
  for k in pairs(totals) do table.insert(names, k) end
  table.sort(names)
  local parts = {}
  for _, k in ipairs(names) do table.insert(parts, k .. "=" .. totals[k]) end
  io.write("soak: mix " .. table.concat(parts, " ") .. "\n")
end
