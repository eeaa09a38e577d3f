import pytest

from helpers import assert_problem
from inventory_support import make_catalog, part_body, receive

pytestmark = pytest.mark.anyio


async def model(client, code, discontinued_on=None, parts=()):
    body = {"model_code": code, "name": f"Model {code}"}
    if discontinued_on:
        body["discontinued_on"] = discontinued_on
    assert (await client.post("/models", json=body)).status_code == 201
    bill = [{"part_number": p, "qty_per_unit": 1} for p in parts]
    assert (await client.put(f"/models/{code}/parts", json=bill)).status_code == 200


async def test_a_part_of_a_model_in_production_cannot_be_retired(inventory, inventory_app):
    await make_catalog(inventory_app, parts=("P-1", "P-2"), warehouses=())
    await model(inventory, "M-NEW", parts=("P-1",))
    problem = assert_problem(await inventory.patch("/parts/P-1", json={"status": "retired"}), 409,
                             "part_under_supply_guarantee")
    assert problem["models"] == ["M-NEW"]
    assert (await inventory.get("/parts/P-1")).json()["status"] == "active"
    assert (await inventory.patch("/parts/P-2", json={"status": "retired"})).status_code == 200


@pytest.mark.parametrize(
    ("discontinued_on", "retirable"),
    [
        ("2023-03-02", False),  # guaranteed through 2026-03-02, today (the clock's day)
        ("2023-03-01", True),   # guaranteed through 2026-03-01, yesterday
        ("2026-06-01", False),  # not yet discontinued
    ],
)
async def test_retiring_follows_the_guarantee_end_by_day(
    inventory, inventory_app, discontinued_on, retirable
):
    await make_catalog(inventory_app, parts=("P-1",), warehouses=())
    await model(inventory, "M1", discontinued_on, parts=("P-1",))
    response = await inventory.patch("/parts/P-1", json={"status": "retired"})
    if retirable:
        assert response.status_code == 200
    else:
        assert_problem(response, 409, "part_under_supply_guarantee")


async def test_supply_guarantee_report(inventory, inventory_app):
    minimums = (("P-A", 4), ("P-B", 100), ("P-C", 10), ("P-D", 5), ("P-E", 0), ("P-F", 3))
    await make_catalog(inventory_app, parts=[part_body(part, min_stock=n) for part, n in minimums])
    await model(inventory, "M-LIVE", parts=("P-A", "P-B"))
    await model(inventory, "M-LEAP", "2024-02-29", parts=("P-B", "P-C", "P-E"))
    await model(inventory, "M-OLD", "2020-01-01", parts=("P-D",))  # guarantee over: P-D not reported
    await model(inventory, "M-SAFE", None, parts=("P-F",))
    await receive(inventory, "CENTRAL", "P-B", 50)
    await receive(inventory, "SC-01", "P-B", 40)  # 90 of 100: 10 % missing
    await receive(inventory, "CENTRAL", "P-C", 5)  # 5 of 10: 50 % missing
    await receive(inventory, "CENTRAL", "P-F", 3)  # at its minimum
    response = await inventory.get("/supply-guarantee", params={"on": "2027-02-28"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "on": "2027-02-28",
        "models": [
            {"model_code": "M-LEAP", "guaranteed_through": "2027-02-28"},
            {"model_code": "M-LIVE", "guaranteed_through": None},
            {"model_code": "M-SAFE", "guaranteed_through": None},
        ],
        "shortfalls": [
            {"part_number": "P-A", "min_stock": 4, "on_hand_total": 0, "short_by": 4, "models": ["M-LIVE"]},
            {"part_number": "P-C", "min_stock": 10, "on_hand_total": 5, "short_by": 5, "models": ["M-LEAP"]},
            {"part_number": "P-B", "min_stock": 100, "on_hand_total": 90, "short_by": 10,
             "models": ["M-LEAP", "M-LIVE"]},
        ],
    }
    next_day = (await inventory.get("/supply-guarantee", params={"on": "2027-03-01"})).json()
    assert [m["model_code"] for m in next_day["models"]] == ["M-LIVE", "M-SAFE"]
    assert [(s["part_number"], s["models"]) for s in next_day["shortfalls"]] == [("P-A", ["M-LIVE"]),
                                                                                ("P-B", ["M-LIVE"])]
    today = (await inventory.get("/supply-guarantee")).json()
    assert today["on"] == "2026-03-02"


async def test_supply_guarantee_day_must_be_a_date(inventory, subtests):
    for on in ("2027-02-30", "27-02-28", "yesterday"):
        with subtests.test(on=on):
            response = await inventory.get("/supply-guarantee", params={"on": on})
            assert_problem(response, 422, "validation_error")
