-- wrk script for bench/scale/run.sh: GETs of the API with a bearer token (BENCH_TOKEN), going round a file of paths
-- (args[1], one a line; each thread starts at its own place in it). Every answer but 200 is counted and printed by
-- done() as `non-200 responses: N (last status S)`. BENCH_THINK_MS, when set, makes each connection wait about that
-- long (half to one and a half times, at random) before each request; unset, none.
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("id", #threads)
end

local paths, next_path = {}, 0
local token = os.getenv("BENCH_TOKEN")
non200, last_status = 0, 0

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then paths[#paths + 1] = line end
  end
  next_path = (id - 1) * 7
  math.randomseed(os.time() + id)
end

function request()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path], { ["Authorization"] = "Bearer " .. token })
end

local think = tonumber(os.getenv("BENCH_THINK_MS") or "0")
if think > 0 then
  function delay()
    return math.floor(think / 2 + math.random() * think)
  end
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    last_status = status
  end
end

function done(summary, latency, requests)
  local n, last = 0, 0
  for _, t in ipairs(threads) do
    n = n + t:get("non200")
    local s = t:get("last_status")
    if s ~= 0 then last = s end
  end
  if n > 0 then io.write(string.format("non-200 responses: %d (last status %d)\n", n, last)) end
end
