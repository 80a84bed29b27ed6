-- Replays a fixed list of GET requests in a seeded random order and counts every answer
-- whose status is not the expected one (wrk itself only counts statuses above 399).
--
-- Arguments (after `--`): requests file, seed, expected status.
-- The requests file has one request per line: a path, optionally a tab and the value of an
-- If-None-Match header.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local requests = {}
local expected = 200
unexpected = 0
first_unexpected = ""

function init(args)
  local path = args[1]
  local seed = tonumber(args[2]) or 1
  expected = tonumber(args[3]) or 200
  for line in io.lines(path) do
    local target, etag = line:match("^([^\t]+)\t?(.*)$")
    if target then
      local headers = {}
      if etag ~= nil and etag ~= "" then
        headers["If-None-Match"] = etag
      end
      table.insert(requests, wrk.format("GET", target, headers))
    end
  end
  if #requests == 0 then
    error("no requests in " .. path)
  end
  math.randomseed(seed + 7919 * (thread_id or 0))
end

function request()
  return requests[math.random(#requests)]
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
    if first_unexpected == "" then
      first_unexpected = tostring(status) .. " " .. string.sub(body or "", 1, 200)
    end
  end
end

function done(summary, latency, requests_stats)
  local bad = 0
  local sample = ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    local first = thread:get("first_unexpected")
    if sample == "" and first ~= nil then
      sample = first
    end
  end
  local e = summary.errors
  io.write(string.format(
    '\nBENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,' ..
    '"timeouts":%d,"unexpected_status":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f,"first_unexpected":"%s"}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout, bad,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, (sample:gsub("[^%w%.:/_ -]", "?"))))
end
