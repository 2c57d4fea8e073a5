-- Replays the requests listed in a file, one per line, for `bench/load.py`:
--   METHOD <TAB> PATH <TAB> BODY ("-" for none) [<TAB> "Header: value"]...
-- Usage: wrk -t THREADS ... -s bench/lua/requests.lua <url> -- FILE MODE THREADS
--   MODE "cycle": each thread loops over all the lines from its own starting point;
--   MODE "once":  each line is sent at most once (a checkout per prepared cart). When a
--                 thread has used up its lines it sends GET /healthz and counts it as
--                 "exhausted", which makes the run invalid.
-- At the end it prints one line, "BENCH_JSON {...}": statuses, out-of-stock refusals (a 409
-- whose body has the code out_of_stock), socket errors and latency percentiles (microseconds).

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local requests = {}
local position = 0
local mode = "cycle"
counts = {}
out_of_stock = 0
exhausted = 0
first_error = ""

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  local file, threads_total = args[1], tonumber(args[3])
  mode = args[2]
  local all = {}
  for line in io.lines(file) do
    if line ~= "" then
      local f = split(line)
      local headers = {}
      for i = 4, #f do
        local name, value = f[i]:match("^([^:]+):%s*(.*)$")
        if name then headers[name] = value end
      end
      local body = nil
      if f[3] ~= "-" then body = f[3] end
      table.insert(all, wrk.format(f[1], f[2], headers, body))
    end
  end
  if mode == "once" then
    -- Threads take alternate lines, so no line is sent twice.
    for i = id + 1, #all, threads_total do
      table.insert(requests, all[i])
    end
  else
    -- Every thread loops over all lines, each from its own starting point.
    requests = all
    position = math.floor(id * #all / threads_total)
  end
  if #requests == 0 then
    error("no requests for thread " .. id .. " in " .. file)
  end
end

function request()
  position = position + 1
  if position > #requests then
    if mode == "once" then
      exhausted = exhausted + 1
      return wrk.format("GET", "/healthz")
    end
    position = 1
  end
  return requests[position]
end

function response(status, headers, body)
  local key = tostring(status)
  counts[key] = (counts[key] or 0) + 1
  if status == 409 and body and body:find('"out_of_stock"', 1, true) then
    out_of_stock = out_of_stock + 1
  elseif status >= 300 and first_error == "" and body then
    first_error = key .. " " .. body:sub(1, 300)
  end
end

local function quote(text)
  return '"' .. text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function done(summary, latency, requests_made)
  local statuses, oos, used_up, sample = {}, 0, 0, ""
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts")) do
      statuses[key] = (statuses[key] or 0) + n
    end
    oos = oos + thread:get("out_of_stock")
    used_up = used_up + thread:get("exhausted")
    local error_body = thread:get("first_error")
    if sample == "" and error_body ~= "" then sample = error_body end
  end
  local parts = {}
  for key, n in pairs(statuses) do
    table.insert(parts, quote(key) .. ":" .. n)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"statuses":{%s},' ..
    '"out_of_stock":%d,"exhausted":%d,"socket_errors":{"connect":%d,"read":%d,"write":%d,' ..
    '"timeout":%d},"latency_us":{"p50":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f},' ..
    '"first_error":%s}\n',
    summary.requests, summary.duration, summary.bytes, table.concat(parts, ","),
    oos, used_up, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean, quote(sample)))
end
