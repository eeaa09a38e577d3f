"""GET /reports/warranty (domain.md section 9): claims by decision, cause, model and month, hand-counted."""

import pytest

from helpers import assert_problem, internal_headers
from warranty_support import certificate, unit_body

pytestmark = pytest.mark.anyio
PERIOD = {"from": "2026-01-01", "to": "2026-02-28"}

# (failed_on, serial, causes, certificate shown) -> the decision the adjudication gives, in the comment
CLAIMS = [
    ("2026-01-10", "CAB-000001", ["quality_defect"], True),                          # approved
    ("2026-01-20", "CAB-000001", ["unstable_power_supply", "improper_use"], True),   # rejected
    ("2026-02-05", "WAL-000001", ["quality_defect", "quality_defect"], True),        # approved
    ("2026-02-28", "WAL-000001", [], False),                                         # rejected: no certificate
    ("2026-03-01", "CAB-000001", ["quality_defect"], True),                          # after the period
    ("2025-12-31", "WAL-000001", ["accident"], True),                                # before the period
]


@pytest.fixture
async def claims(warranty):
    await warranty.post("/units", json=unit_body(serial="CAB-000001"))
    await warranty.post("/units", json=unit_body(serial="WAL-000001", model_code="KFR-35GW",
                                                 product_name="Wall air conditioner"))
    for failed_on, serial, causes, shown in CLAIMS:
        cert = None
        if shown:
            cert = certificate(serial=serial)
            if serial.startswith("WAL"):
                cert.update(product_name="Wall air conditioner", model_code="KFR-35GW")
        made = await warranty.post("/claims", json={"serial_number": serial, "failed_on": failed_on,
                                                    "component": "unit", "causes": causes, "certificate": cert})
        assert made.status_code == 201, made.text


async def figures(warranty, **params) -> dict:
    response = await warranty.get("/reports/warranty", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def counts(body: dict) -> list[tuple]:
    return [(r["key"], r["claims"], r["approved"], r["rejected"], r["units"]) for r in body["rows"]]


async def test_claims_by_decision(warranty, claims):
    body = await figures(warranty, **PERIOD, group_by="decision")
    assert (body["from"], body["to"], body["group_by"]) == ("2026-01-01", "2026-02-28", "decision")
    assert counts(body) == [("approved", 2, 2, 0, 2), ("rejected", 2, 0, 2, 2)]
    assert [r["name"] for r in body["rows"]] == ["Approved", "Rejected"]
    assert body["totals"] == {"key": "total", "name": "Total", "claims": 4, "approved": 2, "rejected": 2,
                              "units": 2, "approval_rate": 0.5}


async def test_claims_by_cause_count_a_claim_under_each_cause_it_names(warranty, claims):
    body = await figures(warranty, **PERIOD, group_by="cause")
    assert counts(body) == [
        ("quality_defect", 2, 2, 0, 2),   # the claim naming it twice counts once
        ("improper_use", 1, 0, 1, 1),
        ("none", 1, 0, 1, 1),
        ("unstable_power_supply", 1, 0, 1, 1),
    ]
    assert body["rows"][0]["name"] == "Product quality defect" and body["rows"][0]["approval_rate"] == 1.0
    assert body["totals"]["claims"] == 4


async def test_claims_by_model_and_by_month(warranty, claims):
    by_model = await figures(warranty, **PERIOD, group_by="model")
    assert counts(by_model) == [("KFR-35GW", 2, 1, 1, 1), ("KFR-72LW", 2, 1, 1, 1)]
    assert [r["name"] for r in by_model["rows"]] == ["Wall air conditioner", "Cabinet air conditioner"]
    by_month = await figures(warranty, **PERIOD, group_by="month")
    assert counts(by_month) == [("2026-01", 2, 1, 1, 1), ("2026-02", 2, 1, 1, 1)]
    whole = await figures(warranty, **{"from": "2025-12-01", "to": "2026-03-31"}, group_by="month")
    assert [r["key"] for r in whole["rows"]] == ["2025-12", "2026-01", "2026-02", "2026-03"]
    assert whole["totals"]["claims"] == 6


async def test_an_empty_period_has_no_rows_and_zero_totals(warranty, claims):
    for group_by in ("cause", "model", "decision", "month"):
        body = await figures(warranty, **{"from": "2025-06-01", "to": "2025-06-30"}, group_by=group_by)
        assert body["rows"] == []
        assert body["totals"] == {"key": "total", "name": "Total", "claims": 0, "approved": 0, "rejected": 0,
                                  "units": 0, "approval_rate": 0.0}


async def test_defaults_are_this_year_to_today_by_decision(warranty, claims):
    body = await figures(warranty)
    assert (body["from"], body["to"], body["group_by"]) == ("2026-01-01", "2026-11-25", "decision")
    assert body["totals"]["claims"] == 5


@pytest.mark.parametrize("params", [{"group_by": "colour"}, {"from": "2026-03-01", "to": "2026-02-01"},
                                    {"from": "2026-02-30"}, {"to": "yesterday"}])
async def test_a_bad_question_is_422(warranty, params):
    assert_problem(await warranty.get("/reports/warranty", params=params), 422, "validation_error")


@pytest.mark.parametrize("role", ["station", "warehouse", "billing", "desk"])
async def test_only_admin_and_manager_read_the_figures(warranty, role):
    refused = await warranty.get("/reports/warranty", headers=internal_headers(role=role))
    assert_problem(refused, 403, "forbidden")
    assert (await warranty.get("/reports/warranty", headers=internal_headers(role="manager"))).status_code == 200
