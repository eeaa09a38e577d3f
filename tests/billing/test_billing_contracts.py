"""Maintenance contracts: units checked at warranty, the region's calendar fetched there."""

import pytest

from billing_support import OTHER_SERIAL, SERIAL
from helpers import assert_problem

pytestmark = pytest.mark.anyio


def contract_body(**overrides) -> dict:
    body = {"customer": "Jinan Hotel", "serial_numbers": [SERIAL], "starts_on": "2025-01-01",
            "ends_on": "2025-12-31", "includes_labor": True, "parts_discount_pct": "10"}
    body.update(overrides)
    return body


async def test_contract_is_created_and_read_back(billing):
    response = await billing.post("/contracts", json=contract_body(serial_numbers=[" ac-100001", SERIAL]))
    assert response.status_code == 201, response.text
    contract = response.json()
    assert contract == {
        "id": contract["id"], "customer": "Jinan Hotel", "serial_numbers": [SERIAL],
        "starts_on": "2025-01-01", "ends_on": "2025-12-31", "includes_labor": True,
        "parts_discount_pct": "10.00", "region": "shandong", "created_at": "2026-03-02T09:00:00Z",
        "status": "active", "cancellation": None, "ended": True,  # 2025 is over on 2026-03-02
    }
    assert (await billing.get(f"/contracts/{contract['id']}")).json() == contract


async def test_region_defaults_to_the_region_of_the_first_unit(billing, warranty):
    response = await billing.post("/contracts", json=contract_body(serial_numbers=[OTHER_SERIAL, SERIAL]))
    assert response.json()["region"] == "harbin"


async def test_unit_without_a_region_gives_the_default_region(billing, warranty):
    warranty.add_unit("AC-100003", region=None)
    response = await billing.post("/contracts", json=contract_body(serial_numbers=["AC-100003"]))
    assert response.json()["region"] == "shandong"


async def test_explicit_region_wins_and_must_have_a_calendar(billing):
    response = await billing.post("/contracts", json=contract_body(region="Beijing"))
    assert response.json()["region"] == "beijing"
    assert_problem(await billing.post("/contracts", json=contract_body(region="atlantis")), 404,
                   "region_not_found")


async def test_unknown_unit_is_404_and_nothing_is_stored(billing):
    response = await billing.post("/contracts", json=contract_body(serial_numbers=[SERIAL, "XX-000000"]))
    body = assert_problem(response, 404, "unit_not_found")
    assert "XX-000000" in body["detail"]
    assert (await billing.get("/contracts")).json() == {"items": [], "next_cursor": None}


async def test_warranty_down_is_503_and_nothing_is_stored(billing, warranty):
    warranty.plan("get_unit", "down")
    assert_problem(await billing.post("/contracts", json=contract_body()), 503, "upstream_unavailable")
    assert (await billing.get("/contracts")).json()["items"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_on": "2024-12-31"}, "ends_on"),
        ({"parts_discount_pct": "100.01"}, "parts_discount_pct"),
        ({"parts_discount_pct": "-1"}, "parts_discount_pct"),
        ({"parts_discount_pct": "10.125"}, "parts_discount_pct"),
        ({"parts_discount_pct": 10.5}, "parts_discount_pct"),
        ({"serial_numbers": []}, "serial_numbers"),
        ({"serial_numbers": ["x"]}, "serial_numbers.0"),
        ({"includes_labor": "yes"}, "includes_labor"),
        ({"starts_on": "2025-02-30"}, "starts_on"),
        ({"customer": ""}, "customer"),
        ({"extra": 1}, "extra"),
    ],
)
async def test_invalid_contract_is_422(billing, change, field):
    response = await billing.post("/contracts", json=contract_body(**change))
    body = assert_problem(response, 422, "validation_error")
    assert field in [e["field"] for e in body["errors"]]


async def test_one_day_contract_and_whole_number_discounts_are_accepted(billing):
    body = contract_body(ends_on="2025-01-01", parts_discount_pct=100, includes_labor=False)
    response = await billing.post("/contracts", json=body)
    assert response.status_code == 201
    assert response.json()["parts_discount_pct"] == "100.00"


async def test_unknown_contract_is_404(billing):
    assert_problem(await billing.get("/contracts/999"), 404, "contract_not_found")
    assert_problem(await billing.get("/contracts/999/visits"), 404, "contract_not_found")


async def test_contracts_are_listed_by_page_and_filtered_by_unit(billing):
    ids = []
    for serials in ([SERIAL], [OTHER_SERIAL], [SERIAL, OTHER_SERIAL]):
        response = await billing.post("/contracts", json=contract_body(serial_numbers=serials))
        ids.append(response.json()["id"])
    page = (await billing.get("/contracts", params={"limit": 2})).json()
    assert [c["id"] for c in page["items"]] == ids[:2]
    rest = (await billing.get("/contracts", params={"limit": 2, "cursor": page["next_cursor"]})).json()
    assert [c["id"] for c in rest["items"]] == ids[2:] and rest["next_cursor"] is None
    mine = (await billing.get("/contracts", params={"serial_number": "ac-100002"})).json()
    assert [c["id"] for c in mine["items"]] == ids[1:]
    assert_problem(await billing.get("/contracts", params={"cursor": "nonsense"}), 422, "invalid_cursor")


async def test_visits_follow_the_worked_example_of_the_spec(billing, warranty):
    contract = (await billing.post("/contracts", json=contract_body())).json()
    response = await billing.get(f"/contracts/{contract['id']}/visits")
    assert response.status_code == 200
    assert [{"date": v["date"], "kind": v["kind"]} for v in response.json()] == [
        {"date": "2025-01-15", "kind": "inspection"},
        {"date": "2025-03-15", "kind": "inspection"},
        {"date": "2025-06-01", "kind": "maintenance"},
        {"date": "2025-08-01", "kind": "inspection"},
        {"date": "2025-11-15", "kind": "maintenance"},
    ]


async def test_visits_use_the_calendar_warranty_has_now(billing, warranty):
    contract = (await billing.post("/contracts", json=contract_body())).json()
    warranty.regions["shandong"] = {"heating": {"start": "11-01", "end": "03-31"},
                                    "cooling": {"start": "05-15", "end": "09-30"}}
    visits = [{"date": v["date"], "kind": v["kind"]} for v in (await billing.get(
        f"/contracts/{contract['id']}/visits")).json()]
    assert {"date": "2025-05-15", "kind": "maintenance"} in visits
    assert {"date": "2025-11-01", "kind": "maintenance"} in visits


async def test_visits_when_warranty_is_slow_are_504(billing, warranty):
    contract = (await billing.post("/contracts", json=contract_body())).json()
    warranty.plan("get_region", "timeout")
    assert_problem(await billing.get(f"/contracts/{contract['id']}/visits"), 504, "upstream_timeout")
