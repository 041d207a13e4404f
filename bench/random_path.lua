-- wrk script: each request asks for a random path from a file (one path per line).
local paths = {}
local token = os.getenv("BENCH_TOKEN")

function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
  local path = paths[math.random(#paths)]
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end
