import pytest

from helpers import assert_problem
from inventory_support import make_catalog, receive, reserve, stock_of, warehouse_key

pytestmark = pytest.mark.anyio


@pytest.fixture
async def catalog(inventory, inventory_app):
    await make_catalog(inventory_app)


async def test_receipt_adds_on_hand_and_writes_the_ledger(inventory, catalog):
    movement = await receive(inventory, "sc-01", "p-100", 7, reference="PO-77")
    assert movement == {
        "id": movement["id"], "at": "2026-03-02T08:00:00Z", "kind": "receipt", "warehouse": "SC-01",
        "part_number": "P-100", "qty": 7, "reference": "PO-77", "reason": None, "reservation_id": None,
    }
    await receive(inventory, "SC-01", "P-100", 3)
    assert await stock_of(inventory, "SC-01", "P-100") == {
        "warehouse": "SC-01", "part_number": "P-100", "on_hand": 10, "reserved": 0, "available": 10,
    }


RECEIPT = {"warehouse": "SC-01", "part_number": "P-100", "qty": 1, "reference": "r"}
BAD_RECEIPTS = [
    ({"warehouse": "NOPE"}, 404, "warehouse_not_found"),
    ({"part_number": "NOPE"}, 404, "part_not_found"),
    ({"qty": "1"}, 422, "validation_error"),
    ({"qty": 1.5}, 422, "validation_error"),
    ({"qty": 1.0}, 422, "validation_error"),
    ({"qty": True}, 422, "validation_error"),
    ({"qty": 0}, 422, "validation_error"),
    ({"qty": -3}, 422, "validation_error"),
    ({"reference": None}, 422, "validation_error"),
    ({"on_hand": 9}, 422, "validation_error"),  # unknown field
]


async def test_bad_receipts_change_nothing(inventory, catalog, subtests):
    for changes, status, code in BAD_RECEIPTS:
        with subtests.test(changes=changes):
            assert_problem(await inventory.post("/receipts", json={**RECEIPT, **changes}), status, code)
    assert (await inventory.get("/movements")).json()["items"] == []
    assert (await inventory.get("/stock")).json()["items"] == []


TRANSFER = {"from_warehouse": "CENTRAL", "to_warehouse": "SC-01", "part_number": "P-100", "reference": "T"}


async def test_transfer_moves_stock_in_one_step_and_answers_both_legs(inventory, catalog):
    await receive(inventory, "CENTRAL", "P-100", 10)
    body = {**TRANSFER, "from_warehouse": "central", "qty": 4, "reference": "TR-1"}
    response = await inventory.post("/transfers", json=body)
    assert response.status_code == 201, response.text
    legs = response.json()
    assert set(legs) == {"transfer_out", "transfer_in"}
    assert (legs["transfer_out"]["kind"], legs["transfer_out"]["warehouse"], legs["transfer_out"]["qty"]) == (
        "transfer_out", "CENTRAL", -4)
    assert (legs["transfer_in"]["kind"], legs["transfer_in"]["warehouse"], legs["transfer_in"]["qty"]) == (
        "transfer_in", "SC-01", 4)
    assert (await stock_of(inventory, "CENTRAL", "P-100"))["on_hand"] == 6
    assert (await stock_of(inventory, "SC-01", "P-100"))["on_hand"] == 4


async def test_transfer_cannot_take_reserved_or_missing_stock(inventory, catalog):
    await receive(inventory, "CENTRAL", "P-100", 5)
    assert (await reserve(inventory, [("P-100", 3)], warehouse="CENTRAL")).status_code == 201
    body = {**TRANSFER, "qty": 3}
    problem = assert_problem(await inventory.post("/transfers", json=body), 409, "insufficient_stock")
    assert problem["shortages"] == [{"part_number": "P-100", "requested": 3, "available": 2}]
    body["part_number"] = "P-200"
    assert_problem(await inventory.post("/transfers", json=body), 409, "insufficient_stock")
    assert (await stock_of(inventory, "CENTRAL", "P-100"))["on_hand"] == 5
    assert (await stock_of(inventory, "SC-01", "P-100"))["on_hand"] == 0


async def test_bad_transfers_change_nothing(inventory, catalog, subtests):
    await receive(inventory, "CENTRAL", "P-100", 5)
    body = {**TRANSFER, "qty": 2}
    for changes, status, code in (
        ({"to_warehouse": "central"}, 422, "validation_error"),
        ({"to_warehouse": "NOPE"}, 404, "warehouse_not_found"),
        ({"from_warehouse": "NOPE"}, 404, "warehouse_not_found"),
        ({"part_number": "NOPE"}, 404, "part_not_found"),
        ({"qty": "2"}, 422, "validation_error"),
    ):
        with subtests.test(changes=changes):
            assert_problem(await inventory.post("/transfers", json={**body, **changes}), status, code)
    assert (await stock_of(inventory, "CENTRAL", "P-100"))["on_hand"] == 5


async def test_adjustments_correct_the_count_with_a_reason(inventory, catalog):
    await receive(inventory, "SC-01", "P-100", 5)
    response = await inventory.post("/adjustments", json={
        "warehouse": "SC-01", "part_number": "P-100", "delta": -2, "reason": "stocktake: 2 damaged"})
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "adjustment" and response.json()["qty"] == -2
    assert response.json()["reason"] == "stocktake: 2 damaged"
    body = {"warehouse": "SC-01", "part_number": "P-200", "delta": 4, "reason": "found", "reference": "ST-9"}
    found = await inventory.post("/adjustments", json=body)
    assert found.status_code == 201 and found.json()["reference"] == "ST-9"
    assert (await stock_of(inventory, "SC-01", "P-100"))["on_hand"] == 3
    assert (await stock_of(inventory, "SC-01", "P-200"))["on_hand"] == 4


async def test_adjustment_never_goes_below_reserved(inventory, catalog):
    await receive(inventory, "SC-01", "P-100", 5)
    assert (await reserve(inventory, [("P-100", 3)])).status_code == 201
    body = {"warehouse": "SC-01", "part_number": "P-100", "delta": -3, "reason": "lost"}
    problem = assert_problem(await inventory.post("/adjustments", json=body), 409, "insufficient_stock")
    assert problem["shortages"] == [{"part_number": "P-100", "requested": 3, "available": 2}]
    body["delta"] = -2
    assert (await inventory.post("/adjustments", json=body)).status_code == 201
    assert await stock_of(inventory, "SC-01", "P-100") == {
        "warehouse": "SC-01", "part_number": "P-100", "on_hand": 3, "reserved": 3, "available": 0}
    missing = {"warehouse": "SC-01", "part_number": "P-200", "delta": -1, "reason": "lost"}
    assert_problem(await inventory.post("/adjustments", json=missing), 409, "insufficient_stock")


async def test_bad_adjustments_are_422(inventory, catalog, subtests):
    for changes in ({"delta": 0}, {"reason": ""}, {"reason": None}, {"delta": "1"}, {"delta": 2.5},
                    {"delta": False}):
        with subtests.test(changes=changes):
            body = {"warehouse": "SC-01", "part_number": "P-100", "delta": 1, "reason": "count", **changes}
            assert_problem(await inventory.post("/adjustments", json=body), 422, "validation_error")
    assert (await inventory.get("/movements")).json()["items"] == []


async def test_stock_and_movements_filter_and_page(inventory, catalog):
    await receive(inventory, "CENTRAL", "P-100", 1)
    await receive(inventory, "CENTRAL", "P-200", 2)
    await receive(inventory, "SC-01", "P-100", 3)
    await receive(inventory, "SC-01", "P-200", 4)
    everything = (await inventory.get("/stock")).json()
    assert [(s["warehouse"], s["part_number"]) for s in everything["items"]] == [
        ("CENTRAL", "P-100"), ("CENTRAL", "P-200"), ("SC-01", "P-100"), ("SC-01", "P-200")]
    by_part = (await inventory.get("/stock", params={"part_number": "p-100"})).json()["items"]
    assert [(s["warehouse"], s["on_hand"]) for s in by_part] == [("CENTRAL", 1), ("SC-01", 3)]
    page = (await inventory.get("/stock", params={"limit": 3})).json()
    rest = (await inventory.get("/stock", params={"limit": 3, "cursor": page["next_cursor"]})).json()
    assert len(page["items"]) == 3 and [s["on_hand"] for s in rest["items"]] == [4]
    assert rest["next_cursor"] is None

    ledger = (await inventory.get("/movements", params={"warehouse": "sc-01"})).json()["items"]
    assert [m["qty"] for m in ledger] == [3, 4]
    first = (await inventory.get("/movements", params={"limit": 2})).json()
    second = (await inventory.get("/movements", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    ids = [m["id"] for m in first["items"] + second["items"]]
    assert ids == sorted(ids) and len(ids) == 4 and second["next_cursor"] is None
    both = (await inventory.get("/movements", params={"warehouse": "SC-01", "part_number": "P-200"})).json()
    assert [m["qty"] for m in both["items"]] == [4]


async def test_warehouse_key_writes_only_at_its_own_warehouses(inventory, catalog):
    await receive(inventory, "CENTRAL", "P-100", 5)
    key = warehouse_key("SC-01")
    ok = await inventory.post("/receipts", headers=key,
                              json={"warehouse": "sc-01", "part_number": "P-100", "qty": 1, "reference": "r"})
    assert ok.status_code == 201
    elsewhere = {"warehouse": "CENTRAL", "part_number": "P-100", "qty": 1, "reference": "r"}
    assert_problem(await inventory.post("/receipts", headers=key, json=elsewhere), 403, "warehouse_forbidden")
    adjust = {"warehouse": "CENTRAL", "part_number": "P-100", "delta": -1, "reason": "x"}
    assert_problem(await inventory.post("/adjustments", headers=key, json=adjust), 403, "warehouse_forbidden")
    # a transfer out of a warehouse outside the key's list is refused (the source decides)
    out_of = {**TRANSFER, "qty": 1}
    assert_problem(await inventory.post("/transfers", headers=key, json=out_of), 403, "warehouse_forbidden")
    assert (await stock_of(inventory, "CENTRAL", "P-100"))["on_hand"] == 5
    # reads are not limited
    assert len((await inventory.get("/stock", headers=key)).json()["items"]) == 2
    # a warehouse key without a list, and admin, are not limited
    unlimited = warehouse_key()
    assert (await inventory.post("/receipts", headers=unlimited, json=elsewhere)).status_code == 201
    assert (await stock_of(inventory, "CENTRAL", "P-100"))["on_hand"] == 6


async def test_services_answer_only_the_gateway(inventory_app):
    from helpers import asgi_client

    async with asgi_client(inventory_app) as bare:
        assert_problem(await bare.get("/stock"), 401, "internal_token_required")
        assert (await bare.get("/healthz")).status_code == 200
        assert (await bare.get("/readyz")).status_code == 200
