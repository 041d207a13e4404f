-- wrk script: POST /v1/institutions/{BENCH_MEMBER}/dispensings of one unit of a random drug the member holds
-- (lines "drug,location" from the file named as the script's argument; an empty location is the member's stock
-- outside locations), first expiry first out, split from its package (so no traceability code is needed).
-- BENCH_TOKEN is a pharmacist of that member.
local token = os.getenv("BENCH_TOKEN")
local member = os.getenv("BENCH_MEMBER")
local drugs = {}

function init(args)
  for line in io.lines(args[1]) do
    local drug, location = line:match("^([^,]*),?(.*)$")
    drugs[#drugs + 1] = { drug = drug, location = location }
  end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
  local pick = drugs[math.random(#drugs)]
  local location = pick.location ~= "" and string.format([[, "locationCode": "%s"]], pick.location) or ""
  local body = string.format(
    [[{"drugCode": "%s", "quantity": "1", "patientRef": "P-%d", "splitPackage": true%s}]],
    pick.drug, math.random(1, 100000), location)
  local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  return wrk.format("POST", "/v1/institutions/" .. member .. "/dispensings", headers, body)
end
