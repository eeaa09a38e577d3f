"""Invoice numbers under concurrency: consecutive, no gaps, no duplicates."""

import asyncio
import threading
from datetime import UTC, datetime

import pytest

from services.billing import numbering
from shared.db import Database

from billing_support import COMPRESSOR, post_repair, repair_body

pytestmark = pytest.mark.anyio


async def test_twenty_bills_at_once_get_twenty_consecutive_numbers(billing, inventory):
    reservations = [inventory.add_reservation(COMPRESSOR) for _ in range(20)]
    responses = await asyncio.gather(*(
        post_repair(billing, repair_body(repair_reference=f"REP-{i}", reservation_ids=[rid]), key=f"bill-{i}")
        for i, rid in enumerate(reservations)
    ))
    assert [r.status_code for r in responses] == [201] * 20
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 21)]
    assert all(inventory.consumes_of(rid) == 1 for rid in reservations)


async def test_bills_issued_across_a_failure_stay_gapless(billing, inventory):
    inventory.plan("consume", None, "down", None, "down")
    reservations = [inventory.add_reservation(COMPRESSOR) for _ in range(6)]
    bodies = [repair_body(repair_reference=f"REP-{i}", reservation_ids=[rid])
              for i, rid in enumerate(reservations)]
    first = [await post_repair(billing, body, key=f"k{i}") for i, body in enumerate(bodies)]
    assert sorted(r.status_code for r in first) == [201] * 4 + [503] * 2
    again = await asyncio.gather(*(post_repair(billing, body, key=f"k{i}") for i, body in enumerate(bodies)))
    assert sorted(r.json()["number"] for r in again) == [f"INV-2026-{n:06d}" for n in range(1, 7)]


def test_numbers_taken_from_many_connections_at_once_are_consecutive(billing_db):
    # Several worker processes share the database: each takes numbers in its own transactions.
    db = Database.connect(billing_db.url, schema=billing_db.schema)
    taken: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            with db.transaction() as session:
                number = numbering.next_number(session, year=2026)
            with lock:
                taken.append(number)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.dispose()
    assert sorted(taken) == [f"INV-2026-{n:06d}" for n in range(1, 61)]


def test_a_number_taken_in_a_rolled_back_transaction_is_not_burnt(billing_db):
    db = Database.connect(billing_db.url, schema=billing_db.schema)
    with pytest.raises(RuntimeError), db.transaction() as session:
        numbering.next_number(session, year=2026)
        raise RuntimeError("the bill could not be issued")
    with db.transaction() as session:
        assert numbering.next_number(session, year=2026) == "INV-2026-000001"
    db.dispose()


async def test_the_year_of_the_number_is_the_year_in_china(billing, clock):
    clock.set(datetime(2026, 12, 31, 16, 30, tzinfo=UTC))  # 2027-01-01 00:30 in Beijing
    bill = (await post_repair(billing, repair_body())).json()
    assert bill["number"] == "INV-2027-000001"
