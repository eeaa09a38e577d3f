"""Inventory's audit trail (domain.md section 7): who changed what, with before and after, for master data,
every stock movement and every reservation change; read by admin and manager on GET /audit."""

import pytest

from helpers import assert_problem, internal_headers
from inventory_support import make_catalog, part_body, person, reserve, warehouse_body, warehouse_key

pytestmark = pytest.mark.anyio
WANG = person(name="王管理", user_id="user:1", role="admin")


async def trail(client, **params) -> list[dict]:
    response = await client.get("/audit", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_a_price_change_shows_the_old_and_new_price_and_who_made_it(inventory):
    created = await inventory.post("/parts", json=part_body("FAN-300", list_price="120.00", oow="90.00"),
                                   headers=WANG)
    assert created.status_code == 201
    changed = await inventory.patch("/parts/fan-300", json={"list_price": "135.50", "name": "Part FAN-300"},
                                    headers=WANG)
    assert changed.status_code == 200
    update, create = await trail(inventory, object_type="part", object_id="FAN-300")
    assert update["action"] == "update" and update["service"] == "inventory"
    assert update["changes"] == {"list_price": ["120.00", "135.50"]}  # the name was sent unchanged
    assert update["actor"] == {"kind": "user", "id": "user:1", "name": "王管理"}
    assert update["request_id"] == "req-person"
    assert create["action"] == "create" and create["changes"]["list_price"] == [None, "120.00"]
    assert create["changes"]["out_of_warranty_price"] == [None, "90.00"]
    assert [e["object_id"] for e in await trail(inventory, actor="王管理")] == ["FAN-300", "FAN-300"]


async def test_models_bills_and_warehouses_are_recorded(inventory):
    await inventory.post("/parts", json=part_body("P-1"))
    await inventory.post("/parts", json=part_body("P-2"))
    await inventory.post("/models", json={"model_code": "M-1", "name": "Wall unit"})
    await inventory.patch("/models/M-1", json={"discontinued_on": "2026-06-30", "loaner_class": "split_wall_3.5kW"})
    await inventory.put("/models/M-1/parts", json=[{"part_number": "P-1", "qty_per_unit": 2}])
    await inventory.put("/models/M-1/parts", json=[{"part_number": "P-1", "qty_per_unit": 1},
                                                   {"part_number": "P-2", "qty_per_unit": 4}])
    await inventory.post("/warehouses", json=warehouse_body("SC-09", region="Harbin"))
    model = await trail(inventory, object_type="model", object_id="M-1")
    assert [e["action"] for e in model] == ["update", "create"]
    assert model[0]["changes"] == {"discontinued_on": [None, "2026-06-30"],
                                   "loaner_class": [None, "split_wall_3.5kW"]}
    bills = await trail(inventory, object_type="bill_of_parts", object_id="M-1")
    assert [e["changes"]["parts"] for e in bills] == [[{"P-1": 2}, {"P-1": 1, "P-2": 4}], [{}, {"P-1": 2}]]
    [warehouse] = await trail(inventory, object_type="warehouse")
    assert warehouse["object_id"] == "SC-09" and warehouse["changes"]["region"] == [None, "harbin"]
    assert warehouse["actor"]["kind"] == "key"


async def test_every_movement_and_reservation_change_is_recorded(inventory, inventory_app, clock):
    await make_catalog(inventory_app, parts=("P-1",), warehouses=("CENTRAL", "SC-01"))
    key = warehouse_key("SC-01", "CENTRAL")
    receipt = {"warehouse": "SC-01", "part_number": "P-1", "qty": 10, "reference": "PO-1"}
    assert (await inventory.post("/receipts", json=receipt, headers=key)).status_code == 201
    transfer = {"from_warehouse": "SC-01", "to_warehouse": "CENTRAL", "part_number": "P-1", "qty": 2,
                "reference": "TR-1"}
    assert (await inventory.post("/transfers", json=transfer, headers=key)).status_code == 201
    adjustment = {"warehouse": "SC-01", "part_number": "P-1", "delta": -1, "reason": "damaged"}
    assert (await inventory.post("/adjustments", json=adjustment, headers=key)).status_code == 201
    consumed = (await reserve(inventory, [("P-1", 3)], reference="RO-1", headers=key)).json()["id"]
    released = (await reserve(inventory, [("P-1", 1)], reference="RO-2", headers=key)).json()["id"]
    lapsing = (await reserve(inventory, [("P-1", 1)], reference="RO-3", ttl_seconds=60, headers=key)).json()["id"]
    used = await inventory.post(f"/reservations/{consumed}/consume", json={"lines": [{"part_number": "P-1", "qty": 2}]},
                                headers=key)
    assert used.status_code == 200
    assert (await inventory.post(f"/reservations/{released}/release", headers=key)).status_code == 200
    clock.advance(seconds=61)
    assert (await inventory.post("/receipts", json={**receipt, "reference": "PO-2"}, headers=key)).status_code == 201

    movements = await trail(inventory, object_type="movement")
    assert [(e["action"], e["changes"]["warehouse"][1], e["changes"]["qty"][1]) for e in reversed(movements)] == [
        ("receipt", "SC-01", 10), ("transfer_out", "SC-01", -2), ("transfer_in", "CENTRAL", 2),
        ("adjustment", "SC-01", -1), ("issue", "SC-01", -2), ("receipt", "SC-01", 10)]
    assert all(e["actor"]["id"] == "wh-key" for e in movements)
    assert movements[1]["changes"]["reservation_id"] == [None, consumed]

    def of(entries, rid):
        return [(e["action"], e["changes"].get("status")) for e in reversed(entries) if e["object_id"] == str(rid)]

    reservations = await trail(inventory, object_type="reservation")
    assert of(reservations, consumed) == [("create", [None, "active"]), ("consume", ["active", "consumed"])]
    assert of(reservations, released) == [("create", [None, "active"]), ("release", ["active", "released"])]
    assert of(reservations, lapsing) == [("create", [None, "active"]), ("expire", ["active", "expired"])]
    by_id = {(e["object_id"], e["action"]): e for e in reservations}
    assert by_id[(str(consumed), "create")]["changes"]["lines"] == [None, {"P-1": 3}]
    assert by_id[(str(consumed), "consume")]["changes"]["consumed"] == [None, {"P-1": 2}]
    # the clock, not the caller whose write found it due, ended the hold
    assert by_id[(str(lapsing), "expire")]["actor"] == {"kind": "system", "id": "system", "name": "system"}


async def test_a_refused_change_leaves_no_entry(inventory, inventory_app):
    await make_catalog(inventory_app, parts=("P-1",), warehouses=("SC-01",), stock_levels={("SC-01", "P-1"): 1})
    before = len(await trail(inventory))
    assert (await reserve(inventory, [("P-1", 5)])).status_code == 409
    assert (await inventory.patch("/parts/P-1", json={"out_of_warranty_price": "999.00"})).status_code == 422
    receipt = {"warehouse": "CENTRAL", "part_number": "P-1", "qty": 1, "reference": "x"}
    assert (await inventory.post("/receipts", json=receipt, headers=warehouse_key("SC-01"))).status_code == 403
    assert len(await trail(inventory)) == before


@pytest.mark.parametrize("role", ["warehouse", "station", "billing", "desk"])
async def test_only_admin_and_manager_read_the_trail(inventory, role):
    assert_problem(await inventory.get("/audit", headers=internal_headers(role=role)), 403, "forbidden")
    manager = await inventory.get("/audit", headers=internal_headers(role="manager"))
    assert manager.status_code == 200 and manager.json() == {"items": [], "next_cursor": None}
