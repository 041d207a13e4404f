"""Validates the catalogue's FHIR export with a third-party FHIR library (fhir.resources, FHIR R4B models).

Usage: python scripts/validate_fhir.py FILE.json. Exits non-zero, naming the problem, when the Bundle or any
MedicationKnowledge in it does not validate.
"""
import json
import sys

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.medicationknowledge import MedicationKnowledge

path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    data = json.load(f)
bundle = Bundle.model_validate(data) if hasattr(Bundle, "model_validate") else Bundle.parse_obj(data)
assert bundle.type == "collection", bundle.type
entries = bundle.entry or []
assert entries, "the bundle has no entries"
for entry in entries:
    resource = entry.resource
    if not isinstance(resource, MedicationKnowledge):
        raise SystemExit(f"entry {entry.fullUrl} is a {type(resource).__name__}, not MedicationKnowledge")
    assert resource.code and resource.code.coding and resource.code.coding[0].code, entry.fullUrl
print(f"FHIR export valid: {len(entries)} MedicationKnowledge resources in an R4B Bundle (fhir.resources)")
