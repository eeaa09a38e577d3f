"""Deadlines nest: billing answers 503/504 itself before the caller's deadline, abandons the
work (nothing issued, nothing consumed, nothing left running), and a retry completes it once."""

import time

import pytest
from sqlalchemy import func, select, text

from services.billing import bills
from services.billing.models import Bill

from billing_support import COMPRESSOR, FILTER, post_repair, repair_body
from helpers import assert_problem, internal_headers

pytestmark = pytest.mark.anyio

# Long enough for a loaded machine to do the local steps (1.5 s once let the deadline pass before the
# consume was even sent, under a load average of 15), short enough to keep the suite quick.
BUDGET = 2.5
# Billing gives up on a call a margin before its deadline (shared.deadline); what it does after that
# (give the key back, answer) is quick, but a loaded test machine can stretch it: the bound on the whole
# answer is loose, the one on giving up is not.
ANSWERED_WITHIN = BUDGET + 2.0


def assert_gave_up_before_the_deadline(fake, sent: float) -> None:
    [abandoned_at] = fake.abandoned_at
    assert abandoned_at < sent, (abandoned_at, sent)


def deadline_in(seconds: float) -> dict:
    # The deadline is part of what the gateway signs, so it comes with the signed caller.
    return internal_headers(role="billing", deadline_ms=str(int((time.time() + seconds) * 1000)))


async def post_with_deadline(client, body, *, seconds: float = BUDGET, key: str | None = "late-1"):
    """POST /repairs with a deadline `seconds` from now; the answer, how long it took, and the deadline."""
    headers = deadline_in(seconds)
    if key is not None:
        headers["Idempotency-Key"] = key
    started = time.monotonic()
    response = await client.post("/repairs", json=body, headers=headers)
    return response, time.monotonic() - started, int(headers["x-request-deadline"]) / 1000


def bill_states(database) -> list[str]:
    with database.engine.connect() as conn:
        return list(conn.execute(select(Bill.status).order_by(Bill.id)).scalars())


async def test_inventory_hung_while_consuming_is_a_504_before_the_deadline_and_nothing_is_issued(
    billing, billing_db, inventory, warranty
):
    rid = inventory.add_reservation(COMPRESSOR)
    body = repair_body(reservation_ids=[rid])
    inventory.plan("consume", "hold")  # inventory never answers (the call is abandoned, not released)

    failed, took, sent = await post_with_deadline(billing, body)

    problem = assert_problem(failed, 504, "upstream_timeout")
    assert "inventory" in problem["detail"]
    assert int(failed.headers["retry-after"]) > 0
    assert_gave_up_before_the_deadline(inventory, sent)  # billing waited less than its budget
    assert took < ANSWERED_WITHIN, took
    assert inventory.consumed == [] and inventory.reservations[rid]["status"] == "active"
    assert (await billing.get("/invoices")).json()["items"] == []
    # Suspended where it stood, no number taken: the claim decided, its plan not recorded (that is done with
    # the first consume), so the bill reads begun.
    assert bill_states(billing_db) == ["begun"]

    done = await post_repair(billing, body, key="late-1")
    assert done.status_code == 201, done.text
    assert done.json()["number"] == "INV-2026-000001"
    assert inventory.consumes_of(rid) == 1 and len(warranty.claims) == 1
    found = (await billing.get("/invoices", params={"repair_reference": body["repair_reference"]})).json()
    assert [b["number"] for b in found["items"]] == ["INV-2026-000001"]


async def test_warranty_hung_on_the_claim_is_a_504_and_a_retry_claims_once(billing, billing_db, warranty,
                                                                          inventory):
    rid = inventory.add_reservation(COMPRESSOR)
    body = repair_body(reservation_ids=[rid])
    warranty.plan("post_claim", "hold")
    failed, took, sent = await post_with_deadline(billing, body)
    assert "warranty" in assert_problem(failed, 504, "upstream_timeout")["detail"]
    assert_gave_up_before_the_deadline(warranty, sent)
    assert took < ANSWERED_WITHIN
    assert warranty.claims == [] and inventory.consumed == []
    assert bill_states(billing_db) == ["begun"]
    done = await post_repair(billing, body, key="late-1")
    assert done.status_code == 201 and len(warranty.claims) == 1 and inventory.consumes_of(rid) == 1


async def test_every_call_gives_the_callee_a_deadline_before_billing_gives_up(billing, inventory, warranty):
    rid = inventory.add_reservation(COMPRESSOR)
    sent = deadline_in(5.0)
    response = await billing.post("/repairs", json=repair_body(reservation_ids=[rid]),
                                  headers={**sent, "Idempotency-Key": "nested"})
    assert response.status_code == 201, response.text
    ours = int(sent["x-request-deadline"])
    requests = warranty.requests + inventory.requests
    assert len(requests) == 3  # the reservation read, the claim (naming the unit's site), the consume
    for request in requests:
        theirs = int(request.headers["x-request-deadline"])
        # Billing waits at most until a margin before its own deadline, and the callee's is a margin before that.
        assert theirs <= ours - 400, (request.url.path, ours - theirs)


async def test_a_second_consume_that_hangs_leaves_the_bill_to_be_completed_by_the_retry(
    billing, billing_db, inventory
):
    first = inventory.add_reservation(COMPRESSOR)
    second = inventory.add_reservation(FILTER)
    body = repair_body(reservation_ids=[first, second])
    inventory.plan("consume", None, "hold")
    failed, took, sent = await post_with_deadline(billing, body)
    assert_problem(failed, 504, "upstream_timeout")
    assert_gave_up_before_the_deadline(inventory, sent)
    assert took < ANSWERED_WITHIN
    # No bill was issued; the part issued before the hang is on the bill still being made.
    assert (await billing.get("/invoices")).json()["items"] == []
    assert bill_states(billing_db) == ["consuming"]
    assert inventory.consumes_of(first) == 1 and inventory.consumes_of(second) == 0
    done = await post_repair(billing, body, key="late-1")
    assert done.status_code == 201 and done.json()["reservation_ids"] == [first, second]
    assert inventory.consumes_of(first) == inventory.consumes_of(second) == 1


async def test_a_request_whose_deadline_is_already_spent_writes_nothing(billing, billing_db, warranty, inventory):
    rid = inventory.add_reservation(COMPRESSOR)
    late, _took, _sent = await post_with_deadline(billing, repair_body(reservation_ids=[rid]), seconds=-1.0)
    assert late.status_code == 504, late.text
    assert late.headers["content-type"].startswith("application/problem+json")
    assert bill_states(billing_db) == []
    assert warranty.requests == [] and inventory.requests == []


async def test_without_a_key_the_504_tells_the_key_the_server_made_up_and_it_completes_the_same_bill(
    billing, billing_db, inventory
):
    rid = inventory.add_reservation(COMPRESSOR)
    body = repair_body(reservation_ids=[rid])
    inventory.plan("consume", "hold")
    failed, _took, _sent = await post_with_deadline(billing, body, key=None)
    problem = assert_problem(failed, 504, "upstream_timeout")
    key = failed.headers["idempotency-key"]
    assert key == problem["idempotency_key"] and key.startswith("auto-")
    assert inventory.consumed == []

    done = await post_repair(billing, body, key=key)
    assert done.status_code == 201, done.text
    assert "idempotency-key" not in done.headers  # the client sent it: nothing made up
    again = await post_repair(billing, body, key=key)
    assert again.json() == done.json() and again.headers["idempotent-replayed"] == "true"
    assert inventory.consumes_of(rid) == 1
    with billing_db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Bill)).scalar_one() == 1


async def test_a_bill_made_without_a_key_is_told_its_key_and_replays_with_it(billing, inventory):
    rid = inventory.add_reservation(COMPRESSOR)
    body = repair_body(reservation_ids=[rid])
    made = await post_repair(billing, body, key=None)
    assert made.status_code == 201
    key = made.headers["idempotency-key"]
    replayed = await post_repair(billing, body, key=key)
    assert replayed.status_code == 201 and replayed.json() == made.json()
    assert replayed.headers["idempotent-replayed"] == "true" and inventory.consumes_of(rid) == 1


async def test_issuing_that_would_end_past_the_deadline_is_rolled_back_and_burns_no_number(
    billing, billing_db, inventory, monkeypatch
):
    rid = inventory.add_reservation(COMPRESSOR)
    body = repair_body(reservation_ids=[rid])
    real_issue = bills.issue

    def slow_issue(session, **kwargs):
        issued = real_issue(session, **kwargs)
        time.sleep(BUDGET)  # a database stalled past the deadline before the commit
        return issued

    monkeypatch.setattr(bills, "issue", slow_issue)
    failed, _took, _sent = await post_with_deadline(billing, body)
    assert_problem(failed, 504, "upstream_timeout")
    assert bill_states(billing_db) == ["consuming"]
    with billing_db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM invoice_counter")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM bill_line")).scalar_one() == 0

    monkeypatch.setattr(bills, "issue", real_issue)
    done = await post_repair(billing, body, key="late-1")
    assert done.status_code == 201 and done.json()["number"] == "INV-2026-000001"
    assert inventory.consumes_of(rid) == 1


async def test_a_consume_done_is_recorded_even_past_the_deadline_and_nothing_is_issued(
    billing, billing_db, inventory, monkeypatch
):
    rid = inventory.add_reservation(COMPRESSOR)
    body = repair_body(reservation_ids=[rid])
    real_mark = bills.mark_consumed

    def slow_mark(session, **kwargs):
        time.sleep(BUDGET)  # the database stalls after inventory issued the parts
        return real_mark(session, **kwargs)

    monkeypatch.setattr(bills, "mark_consumed", slow_mark)
    failed, _took, _sent = await post_with_deadline(billing, body)
    assert_problem(failed, 504, "upstream_timeout")
    # Forgetting it would let the bill look as if it had consumed nothing (and be stopped, or superseded).
    assert bill_states(billing_db) == ["consuming"]
    assert (await billing.get("/invoices")).json()["items"] == []

    monkeypatch.setattr(bills, "mark_consumed", real_mark)
    done = await post_repair(billing, body, key="late-1")
    assert done.status_code == 201 and inventory.consumes_of(rid) == 1
