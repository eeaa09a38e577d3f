"""Warehouse scope (domain.md section 7): a warehouse person or key with warehouses writes only there, sends
stock out of its own warehouses to any other, and its lists of movements and reservations hold its own
warehouses only; stock itself is read everywhere."""

import pytest

from helpers import assert_problem
from inventory_support import make_catalog, person, receive, reserve, stock_of, warehouse_key

pytestmark = pytest.mark.anyio

PLACES = ("CENTRAL", "SC-01", "SC-02")


@pytest.fixture
async def stocked(inventory, inventory_app):
    levels = {("CENTRAL", "P-100"): 10, ("SC-01", "P-100"): 10, ("SC-02", "P-100"): 10}
    await make_catalog(inventory_app, warehouses=PLACES, stock_levels=levels)


def transfer(source: str, target: str, qty: int = 2) -> dict:
    return {"from_warehouse": source, "to_warehouse": target, "part_number": "P-100", "qty": qty,
            "reference": f"TR-{source}-{target}"}


@pytest.mark.parametrize("who", ["key", "person"])
async def test_stock_goes_out_of_its_own_warehouse_to_any_other(inventory, stocked, who):
    caller = warehouse_key("SC-01") if who == "key" else person("SC-01")
    moved = await inventory.post("/transfers", headers=caller, json=transfer("SC-01", "SC-02"))
    assert moved.status_code == 201, moved.text
    assert (await stock_of(inventory, "SC-01", "P-100"))["on_hand"] == 8
    assert (await stock_of(inventory, "SC-02", "P-100"))["on_hand"] == 12


@pytest.mark.parametrize("who", ["key", "person"])
async def test_an_attacker_cannot_pull_stock_out_of_a_warehouse_not_its_own(inventory, stocked, who):
    caller = warehouse_key("SC-01") if who == "key" else person("SC-01")
    refused = await inventory.post("/transfers", headers=caller, json=transfer("SC-02", "SC-01"))
    body = assert_problem(refused, 403, "warehouse_forbidden")
    assert body["warehouse"] == "SC-02" and "SC-02" in body["detail"]
    assert ("person" in body["detail"]) == (who == "person")
    assert (await stock_of(inventory, "SC-02", "P-100"))["on_hand"] == 10
    assert (await stock_of(inventory, "SC-01", "P-100"))["on_hand"] == 10
    movements = (await inventory.get("/movements", params={"warehouse": "SC-02"})).json()["items"]
    assert [m["kind"] for m in movements] == ["receipt"]  # nothing written


@pytest.mark.parametrize("who", ["key", "person"])
async def test_an_attacker_cannot_receive_adjust_or_reserve_at_another_warehouse(inventory, stocked, who):
    caller = warehouse_key("SC-01") if who == "key" else person("SC-01")
    receipt = {"warehouse": "SC-02", "part_number": "P-100", "qty": 1, "reference": "PO-X"}
    body = assert_problem(await inventory.post("/receipts", headers=caller, json=receipt), 403,
                          "warehouse_forbidden")
    assert body["warehouse"] == "SC-02"
    adjustment = {"warehouse": "CENTRAL", "part_number": "P-100", "delta": -10, "reason": "gone"}
    assert_problem(await inventory.post("/adjustments", headers=caller, json=adjustment), 403,
                   "warehouse_forbidden")
    reservation = {"warehouse": "SC-02", "reference": "RO-X", "lines": [{"part_number": "P-100", "qty": 1}]}
    assert_problem(await inventory.post("/reservations", headers=caller, json=reservation), 403,
                   "warehouse_forbidden")
    # the same writes at home go through
    at_home = await inventory.post("/receipts", headers=caller, json={**receipt, "warehouse": "SC-01"})
    assert at_home.status_code == 201
    assert (await stock_of(inventory, "SC-02", "P-100")) == {
        "warehouse": "SC-02", "part_number": "P-100", "on_hand": 10, "reserved": 0, "available": 10}


async def test_a_refused_unknown_warehouse_is_refused_before_it_is_looked_up(inventory, stocked):
    # 403, not 404: a scoped caller learns nothing about warehouses outside its list
    receipt = {"warehouse": "NOWHERE", "part_number": "P-100", "qty": 1, "reference": "PO-X"}
    assert_problem(await inventory.post("/receipts", headers=person("SC-01"), json=receipt), 403,
                   "warehouse_forbidden")


async def test_lists_of_movements_and_reservations_hold_only_its_warehouses(inventory, stocked):
    mine = (await reserve(inventory, [("P-100", 1)], warehouse="SC-01", reference="RO-1")).json()["id"]
    (await reserve(inventory, [("P-100", 1)], warehouse="SC-02", reference="RO-1")).json()["id"]
    await receive(inventory, "CENTRAL", "P-100", 3)
    caller = person("SC-01")
    listed = (await inventory.get("/reservations", headers=caller)).json()["items"]
    assert [r["id"] for r in listed] == [mine]
    assert (await inventory.get("/reservations", headers=caller, params={"warehouse": "SC-02"})).json()["items"] == []
    assert [r["id"] for r in (await inventory.get("/reservations", headers=caller,
                                                  params={"reference": "RO-1"})).json()["items"]] == [mine]
    movements = (await inventory.get("/movements", headers=caller)).json()["items"]
    assert {m["warehouse"] for m in movements} == {"SC-01"}
    assert (await inventory.get("/movements", headers=caller, params={"warehouse": "CENTRAL"})).json()["items"] == []
    # stock is read everywhere: the role sees a part's stock in every warehouse
    stock = (await inventory.get("/stock", headers=caller, params={"part_number": "P-100"})).json()["items"]
    assert [s["warehouse"] for s in stock] == ["CENTRAL", "SC-01", "SC-02"]
    # a key without a list, and admin, see everything
    assert len((await inventory.get("/reservations", headers=warehouse_key())).json()["items"]) == 2
    assert len((await inventory.get("/reservations")).json()["items"]) == 2


async def test_writable_warehouses_are_those_the_caller_may_change_stock_at(inventory, stocked):
    async def codes(headers=None, **params):
        response = await inventory.get("/warehouses", headers=headers, params=params)
        assert response.status_code == 200, response.text
        return [w["code"] for w in response.json()["items"]]

    assert await codes(person("SC-02", "CENTRAL"), writable="true") == ["CENTRAL", "SC-02"]
    assert await codes(warehouse_key("SC-01"), writable="true") == ["SC-01"]
    assert await codes(warehouse_key("SC-01")) == list(PLACES)  # without the flag: every warehouse
    assert await codes(warehouse_key(), writable="true") == list(PLACES)
    assert await codes(writable="true") == list(PLACES)  # admin
    assert await codes(person("SC-01", "NOWHERE"), writable="true") == ["SC-01"]  # only what exists
