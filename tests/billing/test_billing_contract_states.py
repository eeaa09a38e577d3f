"""Contracts that ended (early, or past their last day) say so; visits say where they stand and which
fall on a rest day, with the next working day suggested (the planned date stays)."""

import pytest

pytestmark = pytest.mark.anyio  # the clock stands at 2026-03-02 (a Monday)

BODY = {"customer": "Jinan Hotel", "serial_numbers": ["AC-100001"], "includes_labor": True,
        "parts_discount_pct": "10"}


async def make(billing, starts_on: str, ends_on: str) -> dict:
    response = await billing.post("/contracts", json={**BODY, "starts_on": starts_on, "ends_on": ends_on})
    assert response.status_code == 201, response.text
    return response.json()


async def test_ended_contracts_are_marked_in_the_list_and_the_detail(billing):
    past = await make(billing, "2025-01-01", "2025-12-31")
    running = await make(billing, "2026-01-01", "2026-12-31")
    ended_early = await make(billing, "2026-01-01", "2026-12-31")
    await billing.post(f"/contracts/{ended_early['id']}/cancel", json={"ends_on": "2026-06-30", "reason": "sold"})
    last_day_today = await make(billing, "2026-01-01", "2026-03-02")
    listed = {c["id"]: c["ended"] for c in (await billing.get("/contracts")).json()["items"]}
    assert listed == {past["id"]: True, running["id"]: False, ended_early["id"]: True, last_day_today["id"]: False}
    for contract_id, ended in listed.items():
        assert (await billing.get(f"/contracts/{contract_id}")).json()["ended"] is ended


async def test_visits_past_are_missed_and_rest_days_suggest_the_next_working_day(billing):
    contract = await make(billing, "2026-01-01", "2026-12-31")
    visits = (await billing.get(f"/contracts/{contract['id']}/visits")).json()
    assert visits == [
        {"date": "2026-01-15", "kind": "inspection", "state": "missed", "rest_day": False, "next_working_day": None},
        {"date": "2026-03-15", "kind": "inspection", "state": "planned", "rest_day": True,
         "next_working_day": "2026-03-16"},  # a Sunday
        {"date": "2026-06-01", "kind": "maintenance", "state": "planned", "rest_day": False,
         "next_working_day": None},
        {"date": "2026-08-01", "kind": "inspection", "state": "planned", "rest_day": True,
         "next_working_day": "2026-08-03"},  # a Saturday
        {"date": "2026-11-15", "kind": "maintenance", "state": "planned", "rest_day": True,
         "next_working_day": "2026-11-16"},
    ]


async def test_a_visit_planned_today_is_still_planned(billing, clock):
    contract = await make(billing, "2026-01-01", "2026-12-31")
    clock.set(clock.now().replace(month=6, day=1))
    visits = (await billing.get(f"/contracts/{contract['id']}/visits")).json()
    assert [v["state"] for v in visits] == ["missed", "missed", "planned", "planned", "planned"]
