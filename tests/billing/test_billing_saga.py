"""The repair saga under failure: every step can fail, a retry with the same key completes
the same bill, every remote effect happens once, and no number is ever burnt."""

import asyncio

import pytest
from sqlalchemy import delete, text

from services.billing.models import IdempotencyRecord

from billing_support import APPLICATION_NAME, COMPRESSOR, FILTER, post_repair, repair_body
from helpers import assert_problem

pytestmark = pytest.mark.anyio

FAILURES = [
    # (service, operation, planned modes, status of the failed attempt)
    pytest.param("warranty", "post_claim", ["down"], 503, id="warranty-down-before-the-claim"),
    pytest.param("warranty", "post_claim", ["error"], 503, id="warranty-5xx-on-the-claim"),
    pytest.param("warranty", "post_claim", ["lost"], 504, id="claim-made-but-its-answer-lost"),
    pytest.param("warranty", "post_claim", ["busy"], 503, id="claim-still-in-flight-at-warranty"),
    pytest.param("inventory", "get_reservation", ["down"], 503, id="inventory-down-reading-a-reservation"),
    pytest.param("inventory", "get_reservation", [None, "timeout"], 504, id="inventory-slow-reading-the-2nd"),
    pytest.param("inventory", "consume", ["down"], 503, id="inventory-down-on-the-1st-consume"),
    pytest.param("inventory", "consume", [None, "down"], 503, id="inventory-down-on-the-2nd-of-2-consumes"),
    pytest.param("inventory", "consume", [None, "error"], 503, id="inventory-5xx-on-the-2nd-of-2-consumes"),
    pytest.param("inventory", "consume", ["timeout"], 504, id="inventory-timeout-on-the-1st-consume"),
    pytest.param("inventory", "consume", [None, "lost"], 504, id="2nd-consume-done-but-its-answer-lost"),
]


@pytest.mark.parametrize(("service", "operation", "modes", "status"), FAILURES)
async def test_failure_half_way_is_completed_by_a_retry_with_the_same_key(
    billing, warranty, inventory, service, operation, modes, status
):
    first = inventory.add_reservation(COMPRESSOR)
    second = inventory.add_reservation(FILTER)
    body = repair_body(reservation_ids=[first, second])
    {"warranty": warranty, "inventory": inventory}[service].plan(operation, *modes)

    failed = await post_repair(billing, body, key="saga-1")
    assert_problem(failed, status, "upstream_timeout" if status == 504 else "upstream_unavailable")
    assert int(failed.headers["retry-after"]) > 0
    assert (await billing.get("/invoices")).json()["items"] == []

    done = await post_repair(billing, body, key="saga-1")
    assert done.status_code == 201, done.text
    bill = done.json()
    assert bill["number"] == "INV-2026-000001"
    assert [x["description"] for x in bill["lines"] if x["kind"] == "part"] == ["CMP-100 Compressor",
                                                                                "FLT-2 Filter"]
    assert bill["total"] == "1453.18"
    # One claim, each reservation consumed exactly once, with the bill's own keys.
    assert len(warranty.claims) == 1
    assert inventory.consumes_of(first) == inventory.consumes_of(second) == 1
    claim_key = warranty.claims[0]["key"]
    assert [key for _rid, key in inventory.consumed] == [
        claim_key.replace("claim", f"res-{first}"), claim_key.replace("claim", f"res-{second}")]

    replayed = await post_repair(billing, body, key="saga-1")
    assert replayed.status_code == 201
    assert replayed.json() == bill
    assert replayed.headers["idempotent-replayed"] == "true"
    assert len(warranty.claims) == 1 and len(inventory.consumed) == 2
    listed = (await billing.get("/invoices")).json()["items"]
    assert [b["number"] for b in listed] == ["INV-2026-000001"]


async def test_a_failed_saga_burns_no_number(billing, inventory):
    rid = inventory.add_reservation(COMPRESSOR)
    inventory.plan("consume", "down")
    assert (await post_repair(billing, repair_body(reservation_ids=[rid]), key="slow")).status_code == 503
    other = await post_repair(billing, repair_body(repair_reference="REP-2"), key="quick")
    assert other.json()["number"] == "INV-2026-000001"
    resumed = await post_repair(billing, repair_body(reservation_ids=[rid]), key="slow")
    assert resumed.json()["number"] == "INV-2026-000002"


async def test_a_retry_uses_the_rates_of_the_first_attempt(billing, warranty, clock):
    warranty.plan("post_claim", "down")
    assert (await post_repair(billing, repair_body())).status_code == 503
    response = await billing.put("/rates", json={"labor_rate_per_hour": "100.00", "callout_fee": "60.00",
                                                 "vat_rate": "0.13", "currency": "CNY"})
    assert response.status_code == 200
    clock.advance(minutes=5)
    bill = (await post_repair(billing, repair_body())).json()
    assert bill["rates"]["labor_rate_per_hour"] == "80.00"
    assert bill["issued_at"] == "2026-03-02T09:05:00Z"


async def test_another_body_on_a_key_whose_first_attempt_failed_is_422(billing, warranty):
    warranty.plan("post_claim", "down")
    assert (await post_repair(billing, repair_body())).status_code == 503
    response = await post_repair(billing, repair_body(visits=3))
    assert_problem(response, 422, "idempotency_key_reused")


async def test_a_request_without_a_key_is_told_the_key_that_resumes_it(billing, inventory):
    rid = inventory.add_reservation(COMPRESSOR)
    inventory.plan("consume", "down")
    failed = await post_repair(billing, repair_body(reservation_ids=[rid]), key=None)
    key = assert_problem(failed, 503, "upstream_unavailable")["idempotency_key"]
    done = await post_repair(billing, repair_body(reservation_ids=[rid]), key=key)
    assert done.status_code == 201 and inventory.consumes_of(rid) == 1


async def test_reservation_withdrawn_before_anything_was_consumed_stops_the_bill(
    billing, inventory, warranty
):
    first = inventory.add_reservation(COMPRESSOR)
    second = inventory.add_reservation(FILTER)
    body = repair_body(reservation_ids=[first, second])
    inventory.plan("consume", "down")
    assert (await post_repair(billing, body)).status_code == 503
    inventory.reservations[first]["status"] = "expired"  # while the client waited to retry
    assert_problem(await post_repair(billing, body), 409, "reservation_not_active")
    assert inventory.consumed == []
    # The stopped bill holds nothing: the other reservation can go on another bill.
    other = await post_repair(billing, repair_body(reservation_ids=[second]), key="repair-2")
    assert other.json()["number"] == "INV-2026-000001"
    # A retry of the stopped request finds the same refusal, and makes no second claim.
    assert_problem(await post_repair(billing, body), 409, "reservation_not_active")
    assert len(warranty.claims) == 2


async def test_reservation_withdrawn_after_parts_were_consumed_leaves_a_bill_for_what_was_issued(
    billing, inventory
):
    first = inventory.add_reservation(COMPRESSOR)
    second = inventory.add_reservation(FILTER)
    body = repair_body(reservation_ids=[first, second])
    inventory.plan("consume", None, "down")
    assert (await post_repair(billing, body)).status_code == 503
    inventory.reservations[second]["status"] = "released"
    response = await post_repair(billing, body)
    assert response.status_code == 201, response.text
    bill = response.json()
    assert bill["reservation_ids"] == [first] and bill["unbilled_reservation_ids"] == [second]
    assert [x["description"] for x in bill["lines"] if x["kind"] == "part"] == ["CMP-100 Compressor"]
    assert inventory.consumed == [(first, inventory.consumed[0][1])]


async def test_reservation_on_a_bill_still_being_made_is_refused_until_that_bill_is_abandoned(
    billing, inventory, clock
):
    rid = inventory.add_reservation(COMPRESSOR)
    inventory.plan("consume", "down")
    assert (await post_repair(billing, repair_body(reservation_ids=[rid]), key="first")).status_code == 503
    body = assert_problem(await post_repair(billing, repair_body(reservation_ids=[rid]), key="second"),
                          409, "reservation_not_active")
    assert "another bill still being made" in body["detail"]
    clock.advance(minutes=3)  # the first client never came back
    taken = await post_repair(billing, repair_body(reservation_ids=[rid]), key="second")
    assert taken.status_code == 201 and inventory.consumes_of(rid) == 1
    assert_problem(await post_repair(billing, repair_body(reservation_ids=[rid]), key="first"),
                   409, "reservation_not_active")
    assert inventory.consumes_of(rid) == 1


async def test_duplicate_while_the_first_is_in_flight_is_409(billing, inventory):
    rid = inventory.add_reservation(COMPRESSOR)
    inventory.plan("consume", "hold")
    first = asyncio.create_task(post_repair(billing, repair_body(reservation_ids=[rid])))
    while inventory.count("consume") == 0:
        await asyncio.sleep(0.005)
    duplicate = await post_repair(billing, repair_body(reservation_ids=[rid]))
    assert_problem(duplicate, 409, "idempotency_in_progress")
    inventory.release()
    assert (await first).status_code == 201
    assert inventory.consumes_of(rid) == 1


async def test_a_stalled_bill_that_consumed_parts_keeps_its_reservations(billing, inventory, clock):
    first = inventory.add_reservation(COMPRESSOR)
    second = inventory.add_reservation(FILTER)
    inventory.plan("consume", None, "down")
    body = repair_body(reservation_ids=[first, second])
    assert (await post_repair(billing, body, key="stalled")).status_code == 503
    clock.advance(hours=2)
    response = await post_repair(billing, repair_body(reservation_ids=[second]), key="thief")
    assert_problem(response, 409, "reservation_not_active")
    done = await post_repair(billing, body, key="stalled")
    assert done.status_code == 201 and done.json()["reservation_ids"] == [first, second]


async def test_a_bill_whose_stored_answer_was_purged_answers_its_current_state(billing, billing_db):
    bill = (await post_repair(billing, repair_body(), key="old")).json()
    await billing.post(f"/invoices/{bill['number']}/pay", json={"method": "cash"})
    with billing_db.engine.begin() as conn:
        conn.execute(delete(IdempotencyRecord.__table__))
    again = await post_repair(billing, repair_body(), key="old")
    assert again.status_code == 201
    assert again.json() == {**bill, "status": "paid", "paid_at": again.json()["paid_at"],
                            "payment": again.json()["payment"]}
    assert (await post_repair(billing, repair_body(), key="old")).headers["idempotent-replayed"] == "true"


def open_write_transactions(database) -> int:
    """Write transactions other connections hold on billing's database right now."""
    if database.schema is None:
        import sqlite3

        probe = sqlite3.connect(database.url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return 0
        except sqlite3.OperationalError:
            return 1
        finally:
            probe.close()
    with database.engine.connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid() AND application_name = :app"
        ), {"app": APPLICATION_NAME}).scalar_one()


async def test_no_transaction_is_open_while_another_service_is_called(
    billing, billing_db, warranty, inventory
):
    seen: list[tuple[str, int]] = []
    for fake in (warranty, inventory):
        fake.observers.append(lambda operation: seen.append((operation, open_write_transactions(billing_db))))
    rids = [inventory.add_reservation(COMPRESSOR), inventory.add_reservation(FILTER)]
    inventory.plan("consume", None, "down")
    assert (await post_repair(billing, repair_body(reservation_ids=rids))).status_code == 503
    assert (await post_repair(billing, repair_body(reservation_ids=rids))).status_code == 201
    operations = [op for op, _ in seen]
    # The reservations read, then the claim (whose answer names the unit's site: no unit read).
    assert operations == ["get_reservation", "get_reservation", "post_claim", "consume", "consume", "consume"]
    assert all(count == 0 for _, count in seen), seen
