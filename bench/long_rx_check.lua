-- wrk script: POST /v1/long-prescriptions/check for a random patient (BENCH_TOKEN, BENCH_DRUG from the environment).
-- Patients are BENCH_PATIENT_PREFIX (P-) followed by a random multiple of BENCH_PATIENT_STEP (1) up to
-- BENCH_PATIENT_MAX (100000): the scale bench's patients of one consortium are every sixtieth.
local token = os.getenv("BENCH_TOKEN")
local drug = os.getenv("BENCH_DRUG")
local today = os.getenv("BENCH_TODAY")
local accept = os.getenv("BENCH_ACCEPT")
local prefix = os.getenv("BENCH_PATIENT_PREFIX") or "P-"
local step = tonumber(os.getenv("BENCH_PATIENT_STEP") or "1")
local max = tonumber(os.getenv("BENCH_PATIENT_MAX") or "100000")

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end

function request()
  local body = string.format([[{"institutionCode": "CY-BJL-CHC", "prescriber": "DR-CY-0001",
 "patient": {"ref": "%s%d", "familyDoctorContract": true, "goodAdherence": true,
             "diagnoses": [{"icd": "I10", "stable": true, "lastAssessedOn": "%s"}]},
 "items": [{"drugCode": "%s", "dailyDose": "1", "days": 56, "assessmentRecorded": true, "patientConfirmed": true}]}]],
    prefix, step * math.random(0, math.floor(max / step)), today, drug)
  local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
  if accept and accept ~= "" then headers["Accept"] = accept end
  return wrk.format("POST", "/v1/long-prescriptions/check", headers, body)
end
