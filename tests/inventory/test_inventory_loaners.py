"""Loaner classes (domain.md section 8, api.md "Changes from domain.md sections 7 and 8"): models and parts
carry `loaner_class`, and GET /loaners lists the warehouses with loaner units of a class, nearest first."""

import pytest

from helpers import assert_problem
from inventory_support import make_catalog, part_body, reserve, warehouse_body

pytestmark = pytest.mark.anyio
WALL = "split_wall_3.5kW"


async def test_a_model_and_a_part_carry_their_loaner_class(inventory):
    made = await inventory.post("/models", json={"model_code": "kfr-35gw", "name": "Wall unit 3.5 kW",
                                                 "loaner_class": WALL})
    assert made.status_code == 201, made.text
    assert made.json()["loaner_class"] == WALL
    assert (await inventory.get("/models/KFR-35GW")).json()["loaner_class"] == WALL
    assert (await inventory.get("/models")).json()["items"][0]["loaner_class"] == WALL
    part = await inventory.post("/parts", json=part_body("LN-35", loaner_class=f" {WALL} "))
    assert part.status_code == 201 and part.json()["loaner_class"] == WALL
    assert (await inventory.get("/parts/ln-35")).json()["loaner_class"] == WALL
    plain = await inventory.post("/parts", json=part_body("CMP-1"))
    assert plain.json()["loaner_class"] is None
    listed = (await inventory.get("/parts", params={"loaner_class": WALL})).json()["items"]
    assert [p["part_number"] for p in listed] == ["LN-35"]


async def test_a_loaner_class_is_changed_or_cleared_by_patch(inventory):
    await inventory.post("/models", json={"model_code": "M-1", "name": "M"})
    patched = await inventory.patch("/models/M-1", json={"loaner_class": "cabinet_7.2kW"})
    assert patched.status_code == 200 and patched.json()["loaner_class"] == "cabinet_7.2kW"
    await inventory.post("/parts", json=part_body("LN-1", loaner_class=WALL))
    cleared = await inventory.patch("/parts/LN-1", json={"loaner_class": None})
    assert cleared.status_code == 200 and cleared.json()["loaner_class"] is None
    renamed = await inventory.patch("/parts/LN-1", json={"name": "still no class"})
    assert renamed.json()["loaner_class"] is None


@pytest.mark.parametrize("bad", ["split wall 3.5kW", "SPLIT_WALL_3.5KW", "split_wall", "3.5kW", "split_wall_3.5",
                                 "split_wall_3.5kw", "split_wall_-1kW", 35, "", "x" * 61 + "_1kW"])
async def test_a_malformed_loaner_class_is_422(inventory, bad):
    body = part_body("LN-X", loaner_class=bad)
    assert_problem(await inventory.post("/parts", json=body), 422, "validation_error")
    model = {"model_code": "M-X", "name": "M", "loaner_class": bad}
    assert_problem(await inventory.post("/models", json=model), 422, "validation_error")
    assert (await inventory.get("/parts/LN-X")).status_code == 404


@pytest.fixture
async def loaner_stock(inventory, inventory_app):
    parts = [part_body("LN-35A", loaner_class=WALL), part_body("LN-35B", loaner_class=WALL),
             part_body("LN-72", loaner_class="cabinet_7.2kW"), part_body("CMP-1")]
    await make_catalog(inventory_app, parts=parts, warehouses=())
    for code, kind, region in (("CENTRAL", "central", "beijing"), ("SC-JINAN", "service_center", "shandong"),
                               ("ST-JINAN-07", "repair_station", "shandong"), ("SC-HARBIN", "service_center", "harbin"),
                               ("SC-EMPTY", "service_center", "shandong")):
        made = await inventory.post("/warehouses", json=warehouse_body(code, kind=kind, region=region))
        assert made.status_code == 201
    for code, part, qty in (("CENTRAL", "LN-35A", 9), ("SC-HARBIN", "LN-35A", 3), ("SC-JINAN", "LN-35A", 1),
                            ("ST-JINAN-07", "LN-35B", 2), ("SC-JINAN", "LN-72", 4), ("SC-EMPTY", "LN-35A", 1),
                            ("SC-JINAN", "CMP-1", 50)):
        receipt = {"warehouse": code, "part_number": part, "qty": qty, "reference": "PO-L"}
        assert (await inventory.post("/receipts", json=receipt)).status_code == 201
    # SC-EMPTY's one unit is promised: nothing available there
    assert (await reserve(inventory, [("LN-35A", 1)], warehouse="SC-EMPTY")).status_code == 201


async def rows(inventory, **params) -> list[tuple]:
    response = await inventory.get("/loaners", params=params)
    assert response.status_code == 200, response.text
    return [(r["warehouse"], r["part_number"], r["available"], r["same_region"]) for r in response.json()["items"]]


async def test_loaners_of_a_class_are_listed_nearest_the_site_first(inventory, loaner_stock):
    assert await rows(inventory, **{"class": WALL, "region": "Shandong"}) == [
        ("ST-JINAN-07", "LN-35B", 2, True),   # the site's region, the most available first
        ("SC-JINAN", "LN-35A", 1, True),
        ("CENTRAL", "LN-35A", 9, False),      # then the central warehouse, which sends anywhere
        ("SC-HARBIN", "LN-35A", 3, False),    # then the rest
    ]
    assert await rows(inventory, **{"class": WALL, "region": "harbin"}) == [
        ("SC-HARBIN", "LN-35A", 3, True), ("CENTRAL", "LN-35A", 9, False),
        ("ST-JINAN-07", "LN-35B", 2, False), ("SC-JINAN", "LN-35A", 1, False)]
    # without a region: central first; loaner_class= is the same as class=
    assert [r[0] for r in await rows(inventory, loaner_class=WALL)] == ["CENTRAL", "SC-HARBIN", "ST-JINAN-07",
                                                                       "SC-JINAN"]
    assert await rows(inventory, **{"class": "cabinet_7.2kW", "region": "shandong"}) == [
        ("SC-JINAN", "LN-72", 4, True)]
    assert await rows(inventory, **{"class": "ducted_12kW"}) == []
    assert len(await rows(inventory, **{"class": WALL, "limit": 2})) == 2
    body = (await inventory.get("/loaners", params={"class": WALL, "region": "shandong"})).json()
    assert body["loaner_class"] == WALL and body["region"] == "shandong"
    assert body["items"][0] == {"warehouse": "ST-JINAN-07", "warehouse_name": "Warehouse ST-JINAN-07",
                                "kind": "repair_station", "region": "shandong", "same_region": True,
                                "part_number": "LN-35B", "name": "Part LN-35B", "available": 2}


async def test_a_reserved_loaner_leaves_the_list_and_an_expired_hold_comes_back(inventory, loaner_stock, clock):
    assert (await reserve(inventory, [("LN-35A", 1)], warehouse="SC-JINAN", ttl_seconds=60)).status_code == 201
    assert "SC-JINAN" not in [r[0] for r in await rows(inventory, **{"class": WALL, "region": "shandong"})]
    clock.advance(seconds=61)
    assert ("SC-JINAN", "LN-35A", 1, True) in await rows(inventory, **{"class": WALL, "region": "shandong"})


@pytest.mark.parametrize("params", [{}, {"class": "not a class"}, {"class": "split_wall_3.5KW"},
                                    {"class": WALL, "region": "x" * 65}, {"class": WALL, "limit": 0}])
async def test_a_bad_loaner_query_is_422(inventory, params):
    assert_problem(await inventory.get("/loaners", params=params), 422, "validation_error")
