"""POST /contracts/{id}/cancel: a contract ended early, within its period, once."""

import pytest

from billing_support import repair_body
from helpers import assert_problem

pytestmark = pytest.mark.anyio

BODY = {"customer": "Jinan Hotel", "serial_numbers": ["AC-100001"], "starts_on": "2025-01-01",
        "ends_on": "2025-12-31", "includes_labor": True, "parts_discount_pct": "10"}


async def make(billing, **overrides) -> dict:
    response = await billing.post("/contracts", json={**BODY, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


async def test_cancel_moves_the_last_day_and_keeps_the_agreed_one(billing):
    contract = await make(billing)
    assert (contract["status"], contract["cancellation"]) == ("active", None)
    response = await billing.post(f"/contracts/{contract['id']}/cancel",
                                  json={"ends_on": "2025-07-31", "reason": "  Customer sold the building "})
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled == {
        **contract, "ends_on": "2025-07-31", "status": "cancelled",
        "cancellation": {"at": "2026-03-02T09:00:00Z", "reason": "Customer sold the building",
                         "original_ends_on": "2025-12-31"},
    }
    assert (await billing.get(f"/contracts/{contract['id']}")).json() == cancelled


async def test_visits_after_the_new_last_day_are_no_longer_planned(billing):
    contract = await make(billing)
    await billing.post(f"/contracts/{contract['id']}/cancel", json={"ends_on": "2025-06-01", "reason": "moved"})
    visits = (await billing.get(f"/contracts/{contract['id']}/visits")).json()
    assert [{"date": v["date"], "kind": v["kind"]} for v in visits] == [
        {"date": "2025-01-15", "kind": "inspection"},
        {"date": "2025-03-15", "kind": "inspection"},
        {"date": "2025-06-01", "kind": "maintenance"},
    ]


async def test_a_repair_after_the_new_last_day_is_not_under_the_contract(billing):
    contract = await make(billing, starts_on="2026-01-01", ends_on="2026-12-31")
    await billing.post(f"/contracts/{contract['id']}/cancel", json={"ends_on": "2026-02-28", "reason": "unpaid"})
    response = await billing.post("/repairs", json=repair_body(labor_hours="1", visits=1),
                                  headers={"Idempotency-Key": "after-cancel"})
    assert response.status_code == 201, response.text
    assert response.json()["contract_id"] is None
    assert response.json()["net"] == "130.00"


@pytest.mark.parametrize("ends_on", ["2025-01-01", "2025-12-31"])
async def test_the_first_and_the_agreed_last_day_are_allowed(billing, ends_on):
    contract = await make(billing)
    response = await billing.post(f"/contracts/{contract['id']}/cancel", json={"ends_on": ends_on, "reason": "x"})
    assert response.status_code == 200, response.text
    assert response.json()["ends_on"] == ends_on


@pytest.mark.parametrize("ends_on", ["2024-12-31", "2026-01-01"])
async def test_a_last_day_outside_the_contract_is_409_and_nothing_changes(billing, ends_on):
    contract = await make(billing)
    response = await billing.post(f"/contracts/{contract['id']}/cancel", json={"ends_on": ends_on, "reason": "x"})
    body = assert_problem(response, 409, "invalid_contract_state")
    assert "2025-01-01" in body["detail"] and "2025-12-31" in body["detail"]
    assert (await billing.get(f"/contracts/{contract['id']}")).json() == contract


async def test_a_cancelled_contract_cannot_be_cancelled_again(billing):
    contract = await make(billing)
    url = f"/contracts/{contract['id']}/cancel"
    first = (await billing.post(url, json={"ends_on": "2025-09-30", "reason": "moved"})).json()
    assert_problem(await billing.post(url, json={"ends_on": "2025-08-31", "reason": "again"}), 409,
                   "invalid_contract_state")
    assert (await billing.get(f"/contracts/{contract['id']}")).json() == first


async def test_unknown_contract_is_404(billing):
    assert_problem(await billing.post("/contracts/999/cancel", json={"ends_on": "2025-09-30", "reason": "x"}),
                   404, "contract_not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ends_on": "2025-09-31", "reason": "x"}, "ends_on"),
        ({"reason": "x"}, "ends_on"),
        ({"ends_on": "2025-09-30"}, "reason"),
        ({"ends_on": "2025-09-30", "reason": "   "}, "reason"),
        ({"ends_on": "2025-09-30", "reason": "x", "status": "active"}, "status"),
    ],
)
async def test_bad_cancel_bodies_are_422(billing, body, field):
    contract = await make(billing)
    problem = assert_problem(await billing.post(f"/contracts/{contract['id']}/cancel", json=body), 422,
                             "validation_error")
    assert field in [e["field"] for e in problem["errors"]]
