"""GET /reports/parts (domain.md section 9): parts consumed by part, warehouse and month from the ledger's
issues, valued at the list price their reservation recorded, on China's days; and the supply-guarantee
shortfalls on the period's last day. Every figure below is counted by hand from the fixture."""

from datetime import UTC, datetime

import pytest

from helpers import assert_problem, internal_headers
from inventory_support import make_catalog, part_body, reserve

pytestmark = pytest.mark.anyio
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
async def ledger(inventory, inventory_app, clock):
    """SC-01: 20 P-100, 20 P-200; CENTRAL: 10 P-100 (received 2026-03-01). Then, in China time:
    - 03-02 16:00 reservation A (3 P-100, 4 P-200) and D (1 P-100) at SC-01, at the list price 100.00 / 25.50;
    - 03-02 A consumes 2 P-100 (200.00) and 4 P-200 (102.00); C (1 P-200) is released: no issue;
    - 03-05 P-100's list price becomes 120.00; 03-10 D consumes 1 P-100, at its recorded 100.00;
    - 03-31 23:00 B (1 P-100 at CENTRAL, at 120.00), consumed 04-01 00:30 China time (still 03-31 in UTC)."""
    parts = [part_body("P-100", list_price="100.00", oow="80.00", min_stock=30),
             part_body("P-200", list_price="25.50", oow="20.00"),
             part_body("P-300", list_price="9.90", oow="9.90", min_stock=10)]
    levels = {("SC-01", "P-100"): 20, ("SC-01", "P-200"): 20, ("CENTRAL", "P-100"): 10}
    await make_catalog(inventory_app, parts=parts, stock_levels=levels)
    await inventory.post("/models", json={"model_code": "M-1", "name": "Wall unit"})
    await inventory.put("/models/M-1/parts", json=[{"part_number": "P-100", "qty_per_unit": 1},
                                                   {"part_number": "P-300", "qty_per_unit": 2}])
    clock.set(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    a = (await reserve(inventory, [("P-100", 3), ("P-200", 4)], reference="RO-A")).json()["id"]
    d = (await reserve(inventory, [("P-100", 1)], reference="RO-D", ttl_seconds=30 * 86400)).json()["id"]
    c = (await reserve(inventory, [("P-200", 1)], reference="RO-C")).json()["id"]
    used = {"lines": [{"part_number": "P-100", "qty": 2}, {"part_number": "P-200", "qty": 4}]}
    assert (await inventory.post(f"/reservations/{a}/consume", json=used)).status_code == 200
    assert (await inventory.post(f"/reservations/{c}/release")).status_code == 200
    clock.set(datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    assert (await inventory.patch("/parts/P-100", json={"list_price": "120.00"})).status_code == 200
    clock.set(datetime(2026, 3, 10, 2, 0, tzinfo=UTC))
    assert (await inventory.post(f"/reservations/{d}/consume")).status_code == 200
    clock.set(datetime(2026, 3, 31, 15, 0, tzinfo=UTC))
    b = (await reserve(inventory, [("P-100", 1)], warehouse="CENTRAL", reference="RO-B")).json()["id"]
    clock.set(datetime(2026, 3, 31, 16, 30, tzinfo=UTC))
    assert (await inventory.post(f"/reservations/{b}/consume")).status_code == 200
    clock.set(datetime(2026, 5, 6, 2, 0, tzinfo=UTC))


async def figures(inventory, **params) -> dict:
    response = await inventory.get("/reports/parts", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def counts(body: dict) -> list[tuple]:
    return [(r["key"], r["qty"], r["value"], r["issues"]) for r in body["rows"]]


async def test_parts_consumed_by_part_at_the_reservations_list_price(inventory, ledger):
    body = await figures(inventory, **MARCH, group_by="part")
    assert (body["from"], body["to"], body["group_by"]) == ("2026-03-01", "2026-03-31", "part")
    assert counts(body) == [("P-100", 3, "300.00", 2), ("P-200", 4, "102.00", 1)]
    assert [r["name"] for r in body["rows"]] == ["Part P-100", "Part P-200"]
    assert body["totals"] == {"key": "total", "name": "Total", "qty": 7, "value": "402.00", "issues": 3}


async def test_parts_consumed_by_warehouse_and_by_month_on_chinas_days(inventory, ledger):
    spring = {"from": "2026-03-01", "to": "2026-04-30"}
    by_warehouse = await figures(inventory, **spring, group_by="warehouse")
    assert counts(by_warehouse) == [("SC-01", 7, "402.00", 3), ("CENTRAL", 1, "120.00", 1)]
    assert [r["name"] for r in by_warehouse["rows"]] == ["Warehouse SC-01", "Warehouse CENTRAL"]
    by_month = await figures(inventory, **spring, group_by="month")
    # B was issued at 00:30 on 1 April in China (still 31 March in UTC): April's
    assert counts(by_month) == [("2026-03", 7, "402.00", 3), ("2026-04", 1, "120.00", 1)]
    assert counts(await figures(inventory, **MARCH, group_by="month")) == [("2026-03", 7, "402.00", 3)]
    april_first = await figures(inventory, **{"from": "2026-04-01", "to": "2026-04-01"}, group_by="warehouse")
    assert counts(april_first) == [("CENTRAL", 1, "120.00", 1)]


async def test_an_empty_period_has_no_rows_and_zero_totals(inventory, ledger):
    for group_by in ("part", "warehouse", "month"):
        body = await figures(inventory, **{"from": "2026-02-01", "to": "2026-02-28"}, group_by=group_by)
        assert body["rows"] == []
        assert body["totals"] == {"key": "total", "name": "Total", "qty": 0, "value": "0.00", "issues": 0}


async def test_shortfalls_are_those_of_the_last_day_with_the_ledgers_on_hand(inventory, ledger):
    def short(body):
        return [(s["part_number"], s["min_stock"], s["on_hand_total"], s["short_by"]) for s in body["shortfalls"]]

    # end of March (China): 17 at SC-01 and 10 at CENTRAL; B's issue came after
    assert short(await figures(inventory, **MARCH)) == [("P-300", 10, 0, 10), ("P-100", 30, 27, 3)]
    assert short(await figures(inventory, **{"from": "2026-04-01", "to": "2026-04-30"})) == [
        ("P-300", 10, 0, 10), ("P-100", 30, 26, 4)]
    # before anything was received: both missing whole, the larger shortage first
    assert short(await figures(inventory, **{"from": "2026-02-01", "to": "2026-02-28"})) == [
        ("P-100", 30, 0, 30), ("P-300", 10, 0, 10)]
    assert (await figures(inventory, **MARCH))["shortfalls"][0]["models"] == ["M-1"]
    # today's figures agree with the supply-guarantee report
    today = await figures(inventory)
    report = (await inventory.get("/supply-guarantee")).json()
    assert today["shortfalls"] == report["shortfalls"]
    assert (today["from"], today["to"]) == ("2026-01-01", "2026-05-06")


@pytest.mark.parametrize("params", [{"group_by": "colour"}, {"from": "2026-03-02", "to": "2026-03-01"},
                                    {"to": "2026-13-01"}])
async def test_a_bad_question_is_422(inventory, params):
    assert_problem(await inventory.get("/reports/parts", params=params), 422, "validation_error")


async def test_who_reads_the_parts_figures(inventory):
    for role in ("station", "billing", "desk"):
        assert_problem(await inventory.get("/reports/parts", headers=internal_headers(role=role)), 403, "forbidden")
    for role in ("manager", "warehouse"):
        assert (await inventory.get("/reports/parts", headers=internal_headers(role=role))).status_code == 200
