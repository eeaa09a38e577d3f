"""Billing's unit of work on PostgreSQL: a request waiting on the database does not hold the event loop."""

import asyncio

import pytest
from sqlalchemy import text

from billing_support import post_repair, repair_body

pytestmark = pytest.mark.anyio


async def test_a_request_waiting_on_a_row_lock_leaves_the_process_answering(billing, billing_db):
    if billing_db.schema is None:
        pytest.skip("SQLite runs the unit of work on the event loop (DB_WAIT=loop): nothing to free")
    issued = await post_repair(billing, repair_body(), key="held")
    assert issued.status_code == 201, issued.text
    number = issued.json()["number"]

    with billing_db.engine.connect() as holder:  # another connection holds the bill's row
        holder.execute(text("SELECT id FROM bill WHERE number = :n FOR UPDATE"), {"n": number})
        paying = asyncio.create_task(billing.post(f"/invoices/{number}/pay", json={"method": "cash"}))
        await asyncio.sleep(0.3)
        assert not paying.done()  # it waits on the lock...
        # ...in a worker thread: meanwhile the same process answers, reads included.
        health = await asyncio.wait_for(billing.get("/healthz"), timeout=5)
        assert health.status_code == 200
        read = await asyncio.wait_for(billing.get(f"/invoices/{number}"), timeout=5)
        assert read.json()["status"] == "issued"
        assert not paying.done()
        holder.rollback()

    paid = await asyncio.wait_for(paying, timeout=10)
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
