-- wrk script for bench/console.sh: logged-in console pages, each request with a session cookie of its own.
--   args[1]  a file of session cookies, one `crx_session` value a line (the sessions of the page's role)
--   args[2]  a file of paths, one a line (a page's one path, or several: drug codes, search terms)
-- Each thread takes its own share of the sessions (thread k of n: the cookies k, k+n, k+2n, ...), and its requests
-- go round that share, so with as many sessions as connections the connections in flight carry different sessions.
-- Every answer but 200 is counted (a 303 to the login page means a session was lost; wrk itself counts only
-- statuses above 399) and printed by done() as `non-200 responses: N (last status S)`.
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("id", #threads)
end

local function lines(file)
  local t = {}
  for line in io.lines(file) do
    if line ~= "" then t[#t + 1] = line end
  end
  return t
end

local cookies, paths = {}, {}
local next_cookie, next_path = 0, 0
non200, last_status = 0, 0

function init(args)
  local n = tonumber(os.getenv("BENCH_THREADS") or "2")
  local all = lines(args[1])
  for i = id, #all, n do cookies[#cookies + 1] = all[i] end
  if #cookies == 0 then cookies = all end  -- fewer sessions than threads: share them
  paths = lines(args[2])
  -- Threads start at different paths, so that a list of paths is spread over the run from the start.
  next_path = (id - 1) * 7
  math.randomseed(os.time() + id)
end

function request()
  next_cookie = next_cookie % #cookies + 1
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path], { ["Cookie"] = "crx_session=" .. cookies[next_cookie] })
end

-- BENCH_THINK_MS, when set, makes each connection wait about that long (half to one and a half times, at random)
-- before each request, as a person reads a page before the next click; unset, the connections never wait.
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
  local total, last = 0, 0
  for _, thread in ipairs(threads) do
    local n = thread:get("non200") or 0
    total = total + n
    if n > 0 then last = thread:get("last_status") end
  end
  io.write(string.format("non-200 responses: %d (last status %d)\n", total, last))
end
