-- wrk script: POST /v1/long-prescriptions/check for a random patient (BENCH_TOKEN, BENCH_DRUG from the environment).
local token = os.getenv("BENCH_TOKEN")
local drug = os.getenv("BENCH_DRUG")
local today = os.getenv("BENCH_TODAY")
local accept = os.getenv("BENCH_ACCEPT")

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
  local body = string.format([[{"institutionCode": "CY-BJL-CHC", "prescriber": "DR-CY-0001",
 "patient": {"ref": "P-%d", "familyDoctorContract": true, "goodAdherence": true,
             "diagnoses": [{"icd": "I10", "stable": true, "lastAssessedOn": "%s"}]},
 "items": [{"drugCode": "%s", "dailyDose": "1", "days": 56, "assessmentRecorded": true, "patientConfirmed": true}]}]],
    math.random(1, 100000), today, drug)
  local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  if accept and accept ~= "" then headers["Accept"] = accept end
  return wrk.format("POST", "/v1/long-prescriptions/check", headers, body)
end
