"""Examples in the warranty contract (/openapi.json, /docs); tests check each against its model."""

UNIT_CREATE = {
    "serial_number": "KFR72-000001", "model_code": "KFR-72LW", "product_name": "Cabinet air conditioner",
    "site": {"name": "Jinan Central Hospital", "address": "16766 Jingshi Road, Jinan", "region": "shandong"},
    "project_code": "PRJ-2024-017", "accepted_on": "2024-03-01",
    "certificate": {"number": "WC-2024-0001", "product_name": "Cabinet air conditioner",
                    "model_code": "KFR-72LW", "serial_number": "KFR72-000001"},
}
TERMS = [
    {"component": "unit", "kind": "months", "length": 12, "covered_from": "2024-03-01",
     "covered_through": "2025-02-28"},
    {"component": "heating_system", "kind": "heating_seasons", "length": 2, "covered_from": "2024-03-01",
     "covered_through": "2026-03-15"},
]
UNIT = {
    **UNIT_CREATE, "site": {**UNIT_CREATE["site"]}, "policy_version": 1, "terms": TERMS,
    "created_at": "2024-03-02T08:15:00Z",
}
COVERAGE = {
    "serial_number": "KFR72-000001", "on": "2025-07-01",
    "components": [{"component": "cooling_system", "covered": True, "covered_from": "2024-03-01",
                    "covered_through": "2026-09-30", "days_left": 456, "reason": None}],
}
IMPORT_CSV = (
    "serial_number,model_code,product_name,site_name,region,accepted_on,certificate_number\n"
    "KFR72-000101,KFR-72LW,Cabinet air conditioner,Qilu Mall,shandong,2024-05-17,WC-101\n"
)
IMPORT_RESULT = {
    "created": 1, "skipped": 0,
    "errors": [{"row": 2, "serial_number": "KFR72-000102", "code": "unknown_region",
                "message": "No season calendar for region 'harbin'"}],
}
CLAIM_CREATE = {
    "serial_number": "KFR72-000001", "failed_on": "2025-07-01", "component": "cooling_system",
    "causes": ["quality_defect"],
    "certificate": {"number": "WC-2024-0001", "product_name": "Cabinet air conditioner",
                    "model_code": "KFR-72LW", "serial_number": "KFR72-000001"},
    "description": "Compressor stops after ten minutes",
}
CLAIM = {
    "id": 1, **CLAIM_CREATE, "certificate": {**CLAIM_CREATE["certificate"], "altered": False},
    "decision": "approved", "reasons": [], "covered_from": "2024-03-01", "covered_through": "2026-09-30",
    "policy_version": 1, "created_at": "2025-07-01T09:30:00Z", "site": {**UNIT_CREATE["site"]},
}
SERVICE_RECORD_CREATE = {
    "kind": "maintenance", "performed_on": "2025-06-01", "technician": "Wang Lei",
    "notes": "Filters cleaned", "parts_replaced": [{"part_number": "FLT-100", "qty": 1}],
}
HISTORY_ITEM = {
    "id": 7, "at": "2025-06-01T10:00:00Z", "on": "2025-06-01", "kind": "maintenance",
    "summary": "Maintenance visit", "technician": "Wang Lei", "notes": "Filters cleaned",
    "parts_replaced": [{"part_number": "FLT-100", "qty": 1}],
}
POLICY_UPDATE = {
    "effective_from": "2027-01-01",
    "terms": [
        {"component": "unit", "kind": "months", "length": 24},
        {"component": "electrical_lines", "kind": "months", "length": 24},
        {"component": "water_piping", "kind": "months", "length": 24},
        {"component": "installation", "kind": "months", "length": 24},
        {"component": "heating_system", "kind": "heating_seasons", "length": 2},
        {"component": "cooling_system", "kind": "cooling_seasons", "length": 2},
    ],
}
POLICY = {"version": 2, **POLICY_UPDATE, "created_at": "2026-11-27T08:00:00Z"}
REGION_UPDATE = {
    "heating": {"start": "11-15", "end": "03-15"}, "cooling": {"start": "05-15", "end": "09-30"},
    "effective_from": "2027-01-01", "apply_to_existing_units": False,
}
REGION = {
    "region": "shandong", "version": 2, "effective_from": "2027-01-01",
    "heating": {"start": "11-15", "end": "03-15"}, "cooling": {"start": "05-15", "end": "09-30"},
}
