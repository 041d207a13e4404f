-- wrk script: POST /v1/institutions/{BENCH_MEMBER}/dispensings of one unit of a random drug the member holds
-- (drug codes from the file named as the script's argument, one per line), first expiry first out, split from its
-- package (so no traceability code is needed). BENCH_TOKEN is a pharmacist of that member.
local token = os.getenv("BENCH_TOKEN")
local member = os.getenv("BENCH_MEMBER")
local drugs = {}

function init(args)
  for line in io.lines(args[1]) do drugs[#drugs + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
  local body = string.format(
    [[{"drugCode": "%s", "quantity": "1", "patientRef": "P-%d", "splitPackage": true}]],
    drugs[math.random(#drugs)], math.random(1, 100000))
  local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  return wrk.format("POST", "/v1/institutions/" .. member .. "/dispensings", headers, body)
end
