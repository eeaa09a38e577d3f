import pytest

from helpers import assert_problem
from inventory_support import make_catalog, part_body, warehouse_body

pytestmark = pytest.mark.anyio


async def test_part_is_created_with_normalised_number_and_money_strings(inventory):
    body = part_body(" p-100 ", list_price="1280", oow="999.5", min_stock=4)
    response = await inventory.post("/parts", json=body)
    assert response.status_code == 201, response.text
    assert response.json() == {
        "part_number": "P-100", "name": "Part  p-100 ", "uom": "pcs", "list_price": "1280.00",
        "out_of_warranty_price": "999.50", "min_stock": 4, "status": "active", "loaner_class": None,
    }
    again = await inventory.get("/parts/p-100")
    assert again.status_code == 200 and again.json() == response.json()


async def test_duplicate_part_is_409(inventory):
    await inventory.post("/parts", json=part_body("P-1"))
    assert_problem(await inventory.post("/parts", json=part_body("p-1")), 409, "part_exists")


async def test_strange_path_values_are_answered_not_crashed_on(inventory):
    for path in ("/parts/%00", "/models/a%00b", "/warehouses/%00", "/movements?part_number=%00",
                 "/stock?warehouse=a%20b", "/parts?model_code=" + "M" * 41):
        response = await inventory.get(path)
        assert response.status_code in (404, 422), response.text
        assert "SELECT" not in response.text and "Traceback" not in response.text
    too_big = "OTk5OTk5OTk5OTk5"  # 999999999999, past a 32-bit id
    assert_problem(await inventory.get("/movements", params={"cursor": too_big}), 422, "invalid_cursor")


async def test_unknown_part_is_404(inventory):
    assert_problem(await inventory.get("/parts/NOPE"), 404, "part_not_found")
    assert_problem(await inventory.patch("/parts/NOPE", json={"name": "x"}), 404, "part_not_found")


INVALID_PARTS = [
        {"list_price": "-1.00"},
        {"list_price": 100},  # money is a string
        {"list_price": "1.001"},
        {"list_price": "99999999999.00"},  # more than NUMERIC(12,2) holds
        {"out_of_warranty_price": "100.01"},  # above list price
        {"min_stock": -1},
        {"min_stock": "3"},
        {"status": "gone"},
        {"colour": "red"},  # unknown field
        {"part_number": "BAD NUMBER"},
        {"name": ""},
        {"name": "nul\u0000byte"},  # PostgreSQL cannot store it
        {"uom": "x" * 17},
]


async def test_invalid_part_is_422_and_not_stored(inventory, subtests):
    for changes in INVALID_PARTS:
        with subtests.test(changes=changes):
            assert_problem(await inventory.post("/parts", json={**part_body("P-9"), **changes}), 422,
                           "validation_error")
    assert (await inventory.get("/parts")).json()["items"] == []


async def test_patch_changes_only_what_is_sent(inventory):
    await inventory.post("/parts", json=part_body("P-1", min_stock=2))
    response = await inventory.patch("/parts/p-1", json={"name": "Fan motor", "list_price": "120.00"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Fan motor" and body["list_price"] == "120.00"
    assert body["out_of_warranty_price"] == "80.00" and body["min_stock"] == 2


async def test_patch_keeps_the_rules(inventory, subtests):
    await inventory.post("/parts", json=part_body("P-1"))
    for changes in ({"out_of_warranty_price": "150.00"}, {"list_price": "50.00"}, {"name": None},
                    {"list_price": "-5"}, {"part_number": "P-2"}, {"min_stock": True}):
        with subtests.test(changes=changes):
            assert_problem(await inventory.patch("/parts/P-1", json=changes), 422, "validation_error")
    assert (await inventory.get("/parts/P-1")).json() == {**part_body("P-1"), "list_price": "100.00",
                                                          "out_of_warranty_price": "80.00", "min_stock": 0,
                                                          "status": "active", "loaner_class": None}


async def test_part_not_on_a_guaranteed_bill_can_be_retired(inventory):
    await inventory.post("/parts", json=part_body("P-1"))
    response = await inventory.patch("/parts/P-1", json={"status": "retired"})
    assert response.status_code == 200 and response.json()["status"] == "retired"
    listed = await inventory.get("/parts", params={"status": "retired"})
    assert [p["part_number"] for p in listed.json()["items"]] == ["P-1"]


async def test_parts_list_pages_with_a_cursor(inventory):
    for n in range(5):
        await inventory.post("/parts", json=part_body(f"P-{n}"))
    first = (await inventory.get("/parts", params={"limit": 2})).json()
    assert [p["part_number"] for p in first["items"]] == ["P-0", "P-1"] and first["next_cursor"]
    second = (await inventory.get("/parts", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    third = (await inventory.get("/parts", params={"limit": 2, "cursor": second["next_cursor"]})).json()
    assert [p["part_number"] for p in second["items"] + third["items"]] == ["P-2", "P-3", "P-4"]
    assert third["next_cursor"] is None


async def test_list_limits_and_cursors_are_checked(inventory, subtests):
    for path in ("/parts", "/models", "/warehouses", "/stock", "/movements"):
        with subtests.test(path=path):
            for limit in (0, 501, "x"):
                assert_problem(await inventory.get(path, params={"limit": limit}), 422, "validation_error")
            # not base64 JSON, and JSON of another list's shape
            for cursor in ("bm90LWEtY3Vyc29y!", "eyJhIjoxfQ"):
                assert_problem(await inventory.get(path, params={"cursor": cursor}), 422, "invalid_cursor")


async def test_model_with_its_bill_and_parts_that_fit_it(inventory, inventory_app):
    await make_catalog(inventory_app, parts=("P-1", "P-2", "P-3"), warehouses=())
    created = await inventory.post("/models", json={"model_code": "kfr-72lw", "name": "Cabinet AC"})
    assert created.status_code == 201, created.text
    assert created.json() == {"model_code": "KFR-72LW", "name": "Cabinet AC", "discontinued_on": None,
                              "guaranteed_through": None, "loaner_class": None, "parts": []}
    bill = [{"part_number": "p-2", "qty_per_unit": 2}, {"part_number": "P-1", "qty_per_unit": 1}]
    response = await inventory.put("/models/KFR-72LW/parts", json=bill)
    assert response.status_code == 200, response.text
    assert response.json() == [{"part_number": "P-1", "qty_per_unit": 1},
                               {"part_number": "P-2", "qty_per_unit": 2}]
    fitting = (await inventory.get("/parts", params={"model_code": "kfr-72lw"})).json()["items"]
    assert [p["part_number"] for p in fitting] == ["P-1", "P-2"]
    detail = (await inventory.get("/models/KFR-72LW")).json()
    assert detail["parts"] == response.json()
    # replacing the bill replaces it, it does not add to it
    await inventory.put("/models/KFR-72LW/parts", json=[{"part_number": "P-3", "qty_per_unit": 4}])
    replaced = (await inventory.get("/models/KFR-72LW/parts")).json()
    assert replaced == [{"part_number": "P-3", "qty_per_unit": 4}]


async def test_bill_with_unknown_or_duplicate_parts_is_refused_and_changes_nothing(inventory, inventory_app):
    await make_catalog(inventory_app, parts=("P-1",), warehouses=())
    await inventory.post("/models", json={"model_code": "M1", "name": "M"})
    await inventory.put("/models/M1/parts", json=[{"part_number": "P-1", "qty_per_unit": 1}])
    unknown = await inventory.put("/models/M1/parts", json=[{"part_number": "P-1", "qty_per_unit": 1},
                                                           {"part_number": "X-9", "qty_per_unit": 1}])
    assert assert_problem(unknown, 404, "part_not_found")["part_numbers"] == ["X-9"]
    duplicate = [{"part_number": "P-1", "qty_per_unit": 1}, {"part_number": "p-1", "qty_per_unit": 2}]
    assert_problem(await inventory.put("/models/M1/parts", json=duplicate), 422, "validation_error")
    bad_qty = [{"part_number": "P-1", "qty_per_unit": 0}]
    assert_problem(await inventory.put("/models/M1/parts", json=bad_qty), 422, "validation_error")
    assert (await inventory.get("/models/M1/parts")).json() == [{"part_number": "P-1", "qty_per_unit": 1}]
    assert_problem(await inventory.put("/models/NOPE/parts", json=[]), 404, "model_not_found")


async def test_model_errors_and_patch(inventory):
    await inventory.post("/models", json={"model_code": "M1", "name": "M"})
    again = await inventory.post("/models", json={"model_code": "m1", "name": "M"})
    assert_problem(again, 409, "model_exists")
    assert_problem(await inventory.get("/models/NOPE"), 404, "model_not_found")
    assert_problem(await inventory.get("/parts", params={"model_code": "NOPE"}), 404, "model_not_found")
    bad_date = {"model_code": "M2", "name": "M", "discontinued_on": "2024-02-30"}
    assert_problem(await inventory.post("/models", json=bad_date), 422, "validation_error")
    patched = await inventory.patch("/models/M1", json={"discontinued_on": "2024-02-29"})
    assert patched.status_code == 200
    assert patched.json()["guaranteed_through"] == "2027-02-28"
    back = await inventory.patch("/models/M1", json={"discontinued_on": None})
    assert back.json()["discontinued_on"] is None and back.json()["name"] == "M"
    assert_problem(await inventory.patch("/models/M1", json={"name": None}), 422, "validation_error")
    assert_problem(await inventory.patch("/models/NOPE", json={"name": "x"}), 404, "model_not_found")
    listed = (await inventory.get("/models")).json()
    assert listed == {"items": [{"model_code": "M1", "name": "M", "discontinued_on": None,
                                 "guaranteed_through": None, "loaner_class": None}], "next_cursor": None}


async def test_warehouses(inventory):
    created = await inventory.post("/warehouses", json=warehouse_body(" sc-01 ", region=" Shandong "))
    assert created.status_code == 201
    assert created.json() == {"code": "SC-01", "name": "Warehouse  sc-01 ", "kind": "service_center",
                              "region": "shandong"}
    assert_problem(await inventory.post("/warehouses", json=warehouse_body("SC-01")), 409, "warehouse_exists")
    assert_problem(await inventory.post("/warehouses", json=warehouse_body("X", kind="shop")), 422,
                   "validation_error")
    assert_problem(await inventory.get("/warehouses/NOPE"), 404, "warehouse_not_found")
    await inventory.post("/warehouses", json=warehouse_body("CENTRAL", kind="central"))
    assert (await inventory.get("/warehouses/sc-01")).json()["code"] == "SC-01"
    everything = (await inventory.get("/warehouses")).json()
    assert [w["code"] for w in everything["items"]] == ["CENTRAL", "SC-01"]
    central = (await inventory.get("/warehouses", params={"kind": "central"})).json()
    assert [w["code"] for w in central["items"]] == ["CENTRAL"]
