-- wrk script: each request asks for a random path from a file (one path per line).
local paths = {}
local token = os.getenv("BENCH_TOKEN")
-- BENCH_ACCEPT, when set, is sent as Accept: "application/json, text/plain" sends a call past the direct route.
local accept = os.getenv("BENCH_ACCEPT")

function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
  local path = paths[math.random(#paths)]
  local headers = { ["Authorization"] = "Bearer " .. token }
  if accept and accept ~= "" then headers["Accept"] = accept end
  return wrk.format("GET", path, headers)
end
