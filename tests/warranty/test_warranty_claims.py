import asyncio

import pytest

from helpers import assert_problem
from warranty_support import certificate, unit_body

pytestmark = pytest.mark.anyio


@pytest.fixture
async def unit(warranty):
    response = await warranty.post("/units", json=unit_body(accepted_on="2024-03-01"))
    assert response.status_code == 201
    return response.json()


def claim(failed_on="2025-07-01", component="cooling_system", causes=("quality_defect",), cert="default", **extra):
    body = {
        "serial_number": "HVAC-000001", "failed_on": failed_on, "component": component,
        "causes": list(causes), "certificate": certificate() if cert == "default" else cert,
    }
    body.update(extra)
    return body


async def test_quality_defect_in_term_is_approved_and_stored(warranty, unit):
    response = await warranty.post("/claims", json=claim(description="compressor noise"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["decision"] == "approved" and body["reasons"] == []
    assert body["covered_through"] == "2026-09-30" and body["policy_version"] == 1
    stored = (await warranty.get(f"/claims/{body['id']}")).json()
    assert stored == body
    assert stored["causes"] == ["quality_defect"] and stored["description"] == "compressor noise"


async def test_every_reason_is_given_not_just_the_first(warranty, unit):
    causes = ["improper_use", "unstable_power_supply", "modified_wiring", "natural_disaster"]
    response = await warranty.post("/claims", json=claim(failed_on="2026-10-01", causes=causes, cert=None))
    body = response.json()
    assert body["decision"] == "rejected"
    assert [r["code"] for r in body["reasons"]] == [
        "term_expired", "excluded_misuse", "excluded_power_supply", "excluded_abnormal_use",
        "excluded_certificate", "excluded_force_majeure",
    ]
    assert all(r["message"] for r in body["reasons"])


async def test_failure_before_acceptance_is_the_installers(warranty, unit):
    body = (await warranty.post("/claims", json=claim(failed_on="2024-02-01"))).json()
    assert [r["code"] for r in body["reasons"]] == ["not_yet_accepted"]


@pytest.mark.parametrize(
    "cert",
    [
        certificate(product_name="Split air conditioner"),
        certificate(model_code="KFR-35GW"),
        certificate(serial="HVAC-999999"),
        certificate(altered=True),
        certificate(number="CERT-2"),
    ],
)
async def test_certificate_that_does_not_match_is_excluded(warranty, unit, cert):
    body = (await warranty.post("/claims", json=claim(cert=cert))).json()
    assert [r["code"] for r in body["reasons"]] == ["excluded_certificate"]


async def test_certificate_compared_without_case_or_spacing(warranty, unit):
    cert = certificate(product_name="  cabinet  AIR conditioner ", model_code="kfr-72lw", serial="hvac-000001")
    assert (await warranty.post("/claims", json=claim(cert=cert))).json()["decision"] == "approved"


async def test_unknown_cause_is_422_and_nothing_is_stored(warranty, unit):
    body = assert_problem(await warranty.post("/claims", json=claim(causes=["bad_luck"])), 422, "validation_error")
    assert body["errors"][0]["field"].startswith("causes")
    history = (await warranty.get("/units/HVAC-000001/history")).json()
    assert history["items"] == []


async def test_unknown_component_is_422(warranty, unit):
    assert_problem(await warranty.post("/claims", json=claim(component="roof")), 422, "validation_error")


async def test_claim_for_unknown_unit_is_404(warranty):
    assert_problem(await warranty.post("/claims", json=claim()), 404, "unit_not_found")


async def test_claim_lands_in_history(warranty, unit):
    created = (await warranty.post("/claims", json=claim(causes=["accident"]))).json()
    [entry] = (await warranty.get("/units/HVAC-000001/history")).json()["items"]
    assert entry["kind"] == "claim" and entry["claim_id"] == created["id"]
    assert entry["decision"] == "rejected" and entry["on"] == "2025-07-01"
    assert "excluded_force_majeure" in entry["summary"]


async def test_claim_with_same_idempotency_key_is_made_once(warranty, unit):
    headers = {"Idempotency-Key": "bill-7-claim"}
    first = await warranty.post("/claims", json=claim(), headers=headers)
    again = await warranty.post("/claims", json=claim(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len((await warranty.get("/units/HVAC-000001/history")).json()["items"]) == 1
    other = await warranty.post("/claims", json=claim(causes=["accident"]), headers=headers)
    assert_problem(other, 422, "idempotency_key_reused")


async def test_concurrent_claims_with_one_key_make_one_claim(warranty, unit):
    headers = {"Idempotency-Key": "same"}
    responses = await asyncio.gather(*(warranty.post("/claims", json=claim(), headers=headers) for _ in range(10)))
    ok = [r for r in responses if r.status_code == 201]
    assert ok and len({r.json()["id"] for r in ok}) == 1
    assert all(r.status_code in (201, 409) for r in responses)
    assert len((await warranty.get("/units/HVAC-000001/history")).json()["items"]) == 1


async def test_unknown_claim_is_404(warranty):
    assert_problem(await warranty.get("/claims/999"), 404, "claim_not_found")


async def test_service_records_and_claims_form_the_history_oldest_first(warranty, unit):
    visit = {"kind": "maintenance", "performed_on": "2025-06-01", "technician": "Wang Lei",
             "parts_replaced": [{"part_number": "FLT-01", "qty": 2}]}
    response = await warranty.post("/units/hvac-000001/service-records", json=visit)
    assert response.status_code == 201
    assert response.json()["parts_replaced"] == [{"part_number": "FLT-01", "qty": 2}]
    await warranty.post("/claims", json=claim(failed_on="2025-07-01"))
    await warranty.post("/units/HVAC-000001/service-records",
                        json={"kind": "inspection", "performed_on": "2025-01-15", "technician": "Li Na"})
    page1 = (await warranty.get("/units/HVAC-000001/history", params={"limit": 2})).json()
    page2 = (await warranty.get("/units/HVAC-000001/history",
                                params={"limit": 2, "cursor": page1["next_cursor"]})).json()
    kinds = [(e["on"], e["kind"]) for e in page1["items"] + page2["items"]]
    assert kinds == [("2025-01-15", "inspection"), ("2025-06-01", "maintenance"), ("2025-07-01", "claim")]
    assert page2["next_cursor"] is None
    assert page1["items"][1]["technician"] == "Wang Lei"


@pytest.mark.parametrize(
    "record",
    [
        {"kind": "party", "performed_on": "2025-01-01", "technician": "x"},
        {"kind": "repair", "performed_on": "2025-01-01"},
        {"kind": "repair", "performed_on": "2025-01-01", "technician": "x",
         "parts_replaced": [{"part_number": "P", "qty": "2"}]},
        {"kind": "repair", "performed_on": "2025-01-01", "technician": "x",
         "parts_replaced": [{"part_number": "P", "qty": 1.5}]},
        {"kind": "repair", "performed_on": "2025-01-01", "technician": "x",
         "parts_replaced": [{"part_number": "P", "qty": True}]},
    ],
)
async def test_bad_service_record_is_422(warranty, unit, record):
    response = await warranty.post("/units/HVAC-000001/service-records", json=record)
    assert_problem(response, 422, "validation_error")


async def test_service_record_for_unknown_unit_is_404(warranty):
    response = await warranty.post("/units/NOPE-0001/service-records",
                                   json={"kind": "repair", "performed_on": "2025-01-01", "technician": "x"})
    assert_problem(response, 404, "unit_not_found")


async def test_a_service_record_sent_again_with_its_idempotency_key_is_written_once(warranty, unit):
    record = {"kind": "repair", "performed_on": "2025-06-01", "technician": "Wang Lei",
              "notes": "SR-2026-000001: fan motor"}
    headers = {"Idempotency-Key": "servicedesk-SR-2026-000001-history"}
    first = await warranty.post("/units/HVAC-000001/service-records", json=record, headers=headers)
    again = await warranty.post("/units/HVAC-000001/service-records", json=record, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert len((await warranty.get("/units/HVAC-000001/history")).json()["items"]) == 1


async def test_a_claim_names_the_units_site_where_it_is_answered_and_read(warranty, unit):
    created = (await warranty.post("/claims", json=claim())).json()
    site = {"name": "Jinan Hospital", "address": "1 Jingshi Rd", "region": "shandong"}
    assert created["site"] == unit["site"] == site
    assert (await warranty.get(f"/claims/{created['id']}")).json() == created
