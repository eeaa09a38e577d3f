"""No part consumed without a bill, with or without a key: a bill step the database cannot record
answers 503 with the key that resumes it, and when no retry comes the recovery pass completes the
bill (a consumed reservation is billed) or stops it (nothing was consumed)."""

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from services.billing import bills, clients, recovery
from services.billing.main import create_app
from services.billing.models import Bill

from billing_support import COMPRESSOR, FILTER, post_repair, repair_body
from helpers import asgi_client, assert_problem, internal_headers

pytestmark = pytest.mark.anyio


@pytest.fixture
async def app_and_client(billing_settings, clock, warranty, inventory):
    transports = {"warranty": httpx.MockTransport(warranty.handler),
                  "inventory": httpx.MockTransport(inventory.handler)}
    app = create_app(billing_settings, clock=clock, transports=transports, recover=False)
    async with asgi_client(app, headers=internal_headers(role="billing")) as client:
        yield app, client


async def recover(app) -> dict:
    state = app.state
    return await recovery.recover_once(state.uow, clients.upstreams(app), state.clock, state.idempotency)


def fail_once_after(monkeypatch, name: str, *, on_call: int = 1) -> list[int]:
    """The step `bills.<name>` does its work, then the database fails before the commit (rolled back)."""
    original = getattr(bills, name)
    calls = []

    def step(session, **kwargs):
        result = original(session, **kwargs)
        calls.append(1)
        if len(calls) == on_call:
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))
        return result

    monkeypatch.setattr(bills, name, step)
    return calls


# (the step that cannot be recorded, which call of it, what the recovery pass makes of the bill)
STEPS = [
    pytest.param("begin", 1, None, id="begin"),
    # The plan is recorded with the first consume: when that fails, the consume was done at inventory.
    pytest.param("record_plan", 1, "issued", id="plan-and-1st-consume-not-recorded"),
    pytest.param("mark_consumed", 1, "issued", id="1st-consume-not-recorded"),
    pytest.param("mark_consumed", 2, "issued", id="2nd-consume-not-recorded"),
    pytest.param("issue", 1, "issued", id="issue-not-recorded"),
]


def billed_reservations(app) -> set[int]:
    with app.state.db.transaction(write=False) as session:
        rows = session.scalars(select(Bill).where(Bill.status.in_(("issued", "paid")))).all()
        return {rid for bill in rows for rid in bill.reservation_ids}


@pytest.mark.parametrize(("step", "on_call", "_outcome"), STEPS)
async def test_a_step_not_recorded_answers_503_with_the_key_and_a_retry_with_it_completes(
    app_and_client, monkeypatch, inventory, warranty, step, on_call, _outcome
):
    app, billing = app_and_client
    rids = [inventory.add_reservation(COMPRESSOR), inventory.add_reservation(FILTER)]
    body = repair_body(reservation_ids=rids)
    fail_once_after(monkeypatch, step, on_call=on_call)

    failed = await post_repair(billing, body, key=None)
    problem = assert_problem(failed, 503, "database_busy")
    key = problem["idempotency_key"]
    assert key.startswith("auto-") and failed.headers["idempotency-key"] == key
    assert int(failed.headers["retry-after"]) > 0
    assert (await billing.get("/invoices")).json()["items"] == []

    done = await post_repair(billing, body, key=key)
    assert done.status_code == 201, done.text
    assert done.json()["reservation_ids"] == rids
    assert [inventory.consumes_of(rid) for rid in rids] == [1, 1]
    assert len({c["key"] for c in warranty.claims}) == len(warranty.claims)  # one claim per bill begun
    assert billed_reservations(app) == {rid for rid, _key in inventory.consumed}


@pytest.mark.parametrize(("step", "on_call", "outcome"), STEPS)
async def test_without_a_retry_the_recovery_pass_bills_every_consumed_part_or_stops_the_bill(
    app_and_client, monkeypatch, inventory, clock, step, on_call, outcome
):
    app, billing = app_and_client
    rids = [inventory.add_reservation(COMPRESSOR), inventory.add_reservation(FILTER)]
    body = repair_body(reservation_ids=rids)
    fail_once_after(monkeypatch, step, on_call=on_call)
    failed = await post_repair(billing, body, key="gone")
    assert_problem(failed, 503, "database_busy")
    assert failed.headers["idempotency-key"] == "gone"

    assert await recover(app) == {}  # not yet: the client has time to retry
    clock.advance(minutes=3)
    assert await recover(app) == ({outcome: 1} if outcome else {})
    assert await recover(app) == {}  # nothing left mid-way

    consumed = {rid for rid, _key in inventory.consumed}
    assert billed_reservations(app) == consumed  # no part consumed without a bill
    if outcome == "issued":
        assert consumed == set(rids)
        [bill] = (await billing.get("/invoices")).json()["items"]
        assert bill["issued_by"] == {"kind": "system", "id": "", "name": "system"}
        replayed = await post_repair(billing, body, key="gone")  # the client comes back: its bill
        assert replayed.status_code == 201 and replayed.json() == bill
    else:
        assert consumed == set()
        for rid in rids:
            assert inventory.reservations[rid]["status"] == "active"
        done = await post_repair(billing, body, key="gone")  # a late retry still completes it
        assert done.status_code == 201 and [inventory.consumes_of(r) for r in rids] == [1, 1]


async def test_a_bill_whose_first_consume_failed_before_it_was_done_is_stopped_with_its_parts_in_stock(
    app_and_client, inventory, warranty, clock
):
    """The claim decided, the consume refused by a failure before inventory did it: the bill reads begun (its
    plan is recorded with its first consume); the pass asks inventory, finds nothing consumed, and stops it."""
    app, billing = app_and_client
    rid = inventory.add_reservation(COMPRESSOR)
    inventory.plan("consume", "down")
    assert (await post_repair(billing, repair_body(reservation_ids=[rid]), key="k")).status_code == 503
    assert len(warranty.claims) == 1
    clock.advance(minutes=3)
    assert await recover(app) == {"stopped": 1}
    assert inventory.consumed == [] and inventory.reservations[rid]["status"] == "active"
    assert billed_reservations(app) == set()


async def test_a_bill_whose_consume_answer_was_lost_is_completed_not_stopped(
    app_and_client, inventory, clock
):
    """Inventory consumed, billing never heard: the bill reads begun, the pass finds the reservation consumed
    and completes the bill with the bill's own consume key (replayed, not done twice)."""
    app, billing = app_and_client
    rid = inventory.add_reservation(COMPRESSOR)
    inventory.plan("consume", "lost")  # inventory consumed it; billing never heard
    assert (await post_repair(billing, repair_body(reservation_ids=[rid]), key="k")).status_code == 504
    clock.advance(minutes=3)
    assert await recover(app) == {"issued": 1}
    assert inventory.consumes_of(rid) == 1
    assert billed_reservations(app) == {rid}


async def test_a_bill_a_request_is_working_on_is_left_alone(app_and_client, inventory, clock, billing_db):
    app, billing = app_and_client
    rid = inventory.add_reservation(COMPRESSOR)
    inventory.plan("consume", "down")
    assert (await post_repair(billing, repair_body(reservation_ids=[rid]), key="k")).status_code == 503
    clock.advance(minutes=3)
    # The client retries at this very moment: its claim on the key is fresh.
    state = app.state
    with state.db.transaction() as session:
        bill = session.scalars(select(Bill)).one()
        scope, key, fingerprint = bill.idempotency_scope, bill.idempotency_key, bill.fingerprint
    assert state.idempotency.claim(scope=scope, key=key, fingerprint=fingerprint) is None
    assert await recover(app) == {"left": 1}
    assert inventory.consumed == []


async def test_a_recovery_that_finds_inventory_down_tries_again_later(app_and_client, inventory, clock):
    app, billing = app_and_client
    rid = inventory.add_reservation(COMPRESSOR)
    inventory.plan("consume", "lost", "down")
    assert (await post_repair(billing, repair_body(reservation_ids=[rid]), key="k")).status_code == 504
    clock.advance(minutes=3)
    assert await recover(app) == {"left": 1}
    clock.advance(minutes=3)
    assert await recover(app) == {"issued": 1}
    assert inventory.consumes_of(rid) == 1
