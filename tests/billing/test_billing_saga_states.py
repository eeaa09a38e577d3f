"""The repair saga's states as the database keeps them, through the service."""

import pytest
from sqlalchemy import select

from services.billing.models import Bill

from billing_support import COMPRESSOR, FILTER, post_repair, repair_body
from helpers import assert_problem

pytestmark = pytest.mark.anyio


def states(database) -> list[tuple[str, str]]:
    with database.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(Bill.idempotency_key, Bill.status).order_by(Bill.id))]


async def test_each_state_is_where_a_failure_leaves_the_bill(billing, billing_db, warranty, inventory):
    first, second = inventory.add_reservation(COMPRESSOR), inventory.add_reservation(FILTER)
    body = repair_body(reservation_ids=[first, second])
    warranty.plan("post_claim", "down")
    assert (await post_repair(billing, body, key="k")).status_code == 503
    assert states(billing_db) == [("k", "begun")]
    inventory.plan("consume", "down")
    assert (await post_repair(billing, body, key="k")).status_code == 503
    # The claim decided, nothing consumed: the plan is recorded with the first consume, so still begun.
    assert states(billing_db) == [("k", "begun")]
    inventory.plan("consume", None, "down")
    assert (await post_repair(billing, body, key="k")).status_code == 503
    assert states(billing_db) == [("k", "consuming")]
    assert (await post_repair(billing, body, key="k")).status_code == 201
    assert states(billing_db) == [("k", "issued")]


async def test_a_refusal_before_anything_was_consumed_stops_the_bill_and_a_retry_reopens_it(
    billing, billing_db, inventory
):
    rid = inventory.add_reservation(COMPRESSOR, status="released")
    body = repair_body(reservation_ids=[rid])
    assert_problem(await post_repair(billing, body, key="k"), 409, "reservation_not_active")
    assert states(billing_db) == [("k", "stopped")]
    inventory.reservations[rid]["status"] = "active"  # put back by the warehouse
    assert (await post_repair(billing, body, key="k")).status_code == 201
    assert states(billing_db) == [("k", "issued")]


async def test_a_consume_whose_answer_was_lost_is_completed_even_after_another_bill_took_the_hold(
    billing, billing_db, inventory, clock
):
    rid = inventory.add_reservation(COMPRESSOR)
    body = repair_body(reservation_ids=[rid])
    inventory.plan("consume", "lost")  # inventory issued the parts; billing never heard
    assert (await post_repair(billing, body, key="first")).status_code == 504
    clock.advance(minutes=3)  # the client is slow to retry; the bill looks abandoned
    thief = await post_repair(billing, repair_body(reservation_ids=[rid], repair_reference="R-2"), key="second")
    assert_problem(thief, 409, "reservation_not_active")
    # The first bill's own key tells inventory's replay apart from someone else's consume.
    done = await post_repair(billing, body, key="first")
    assert done.status_code == 201, done.text
    assert done.json()["reservation_ids"] == [rid] and inventory.consumes_of(rid) == 1
    assert dict(states(billing_db)) == {"first": "issued", "second": "stopped"}
