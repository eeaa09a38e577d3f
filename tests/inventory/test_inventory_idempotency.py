import pytest

from services.inventory.models import IdempotencyRecord
from shared.idempotency import Idempotency, fingerprint

from helpers import assert_problem, internal_headers
from inventory_support import make_catalog, receive, reserve, stock_of

pytestmark = pytest.mark.anyio


@pytest.fixture
async def stocked(inventory, inventory_app):
    await make_catalog(inventory_app, stock_levels={("SC-01", "P-100"): 10})


RESERVATION = {"warehouse": "SC-01", "reference": "RO-1", "lines": [{"part_number": "P-100", "qty": 2}]}
MOVEMENTS = [
    ("/receipts", {"warehouse": "SC-01", "part_number": "P-100", "qty": 1, "reference": "PO-2"}),
    ("/transfers", {"from_warehouse": "SC-01", "to_warehouse": "CENTRAL", "part_number": "P-100", "qty": 1,
                    "reference": "TR-1"}),
    ("/adjustments", {"warehouse": "SC-01", "part_number": "P-100", "delta": -1, "reason": "count"}),
    ("/reservations", RESERVATION),
]


@pytest.mark.parametrize(("path", "body"), MOVEMENTS)
async def test_same_key_same_body_replays_the_first_answer(inventory, stocked, path, body):
    headers = {"Idempotency-Key": "k-1"}
    first = await inventory.post(path, json=body, headers=headers)
    assert first.status_code == 201, first.text
    ledger_after_first = (await inventory.get("/movements")).json()
    stock_after_first = (await inventory.get("/stock")).json()
    again = await inventory.post(path, json=body, headers=headers)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["idempotent-replayed"] == "true"
    assert (await inventory.get("/movements")).json() == ledger_after_first
    assert (await inventory.get("/stock")).json() == stock_after_first


@pytest.mark.parametrize(("path", "body"), MOVEMENTS)
async def test_same_key_other_body_is_refused(inventory, stocked, path, body):
    headers = {"Idempotency-Key": "k-2"}
    assert (await inventory.post(path, json=body, headers=headers)).status_code == 201
    changed = {**body, "reference": "something else"} if "reference" in body else {**body, "reason": "other"}
    assert_problem(await inventory.post(path, json=changed, headers=headers), 422, "idempotency_key_reused")


async def test_keys_are_scoped_by_caller_and_path(inventory, stocked):
    body = MOVEMENTS[0][1]
    assert (await inventory.post("/receipts", json=body, headers={"Idempotency-Key": "k"})).status_code == 201
    other_caller = {"Idempotency-Key": "k", **internal_headers(key_id="another-key")}
    assert (await inventory.post("/receipts", json=body, headers=other_caller)).headers.get(
        "idempotent-replayed") is None
    assert (await stock_of(inventory, "SC-01", "P-100"))["on_hand"] == 12


async def test_a_failed_request_keeps_no_claim_and_a_retry_runs(inventory, stocked):
    body = {**RESERVATION, "lines": [{"part_number": "P-100", "qty": 11}]}
    headers = {"Idempotency-Key": "k-3"}
    refused = await inventory.post("/reservations", json=body, headers=headers)
    assert_problem(refused, 409, "insufficient_stock")
    await receive(inventory, "SC-01", "P-100", 1)
    retried = await inventory.post("/reservations", json=body, headers=headers)
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers


async def test_consume_retried_with_the_same_key_gets_the_same_answer(inventory, stocked):
    rid = (await reserve(inventory, [("P-100", 3)])).json()["id"]
    path, headers, body = f"/reservations/{rid}/consume", {"Idempotency-Key": "bill-7"}, {
        "lines": [{"part_number": "P-100", "qty": 2}]}
    first = await inventory.post(path, json=body, headers=headers)
    assert first.status_code == 200, first.text
    again = await inventory.post(path, json=body, headers=headers)
    assert (again.status_code, again.json()) == (200, first.json())
    assert (await stock_of(inventory, "SC-01", "P-100"))["on_hand"] == 8
    # without the key, a second consume is a conflict, not a second issue
    assert_problem(await inventory.post(path, json=body), 409, "reservation_not_active")
    other_body = await inventory.post(path, json={"lines": []}, headers=headers)
    assert_problem(other_body, 422, "idempotency_key_reused")


async def test_release_replays_too(inventory, stocked):
    rid = (await reserve(inventory, [("P-100", 3)])).json()["id"]
    headers = {"Idempotency-Key": "rel-1"}
    first = await inventory.post(f"/reservations/{rid}/release", headers=headers)
    again = await inventory.post(f"/reservations/{rid}/release", headers=headers)
    assert first.status_code == again.status_code == 200 and again.json() == first.json()


async def test_a_request_in_flight_with_the_key_is_409(inventory, inventory_app, stocked, clock):
    # Another process holds the key: the claim row is in_progress, as while its request runs.
    path, body = "/reservations", RESERVATION
    Idempotency(inventory_app.state.db, IdempotencyRecord, clock).claim(
        scope=f"test-key:{path}", key="k-busy",
        fingerprint=fingerprint("POST", path, {**body, "ttl_seconds": None}),
    )
    response = await inventory.post(path, json=body, headers={"Idempotency-Key": "k-busy"})
    assert_problem(response, 409, "idempotency_in_progress")
    assert (await stock_of(inventory, "SC-01", "P-100"))["reserved"] == 0
    # a claim whose holder died is taken over after the lease
    clock.advance(seconds=61)
    assert (await inventory.post(path, json=body, headers={"Idempotency-Key": "k-busy"})).status_code == 201


async def test_a_bad_key_is_422(inventory, stocked):
    response = await inventory.post("/receipts", json=MOVEMENTS[0][1], headers={"Idempotency-Key": "x" * 201})
    assert_problem(response, 422, "validation_error")
