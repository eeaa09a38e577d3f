"""Never oversell, whatever the concurrency: one event loop, OS threads, and
two service processes sharing one database."""

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from services.inventory import errors, reservations, stock
from services.inventory.schemas import TransferCreate
from shared.context import SYSTEM

from helpers import TOKEN, free_port, internal_headers
from inventory_support import NOW, make_catalog, stock_of

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
ATTEMPTS, IN_STOCK = 120, 25
ONE_UNIT = {"warehouse": "SC-01", "reference": "RO", "lines": [{"part_number": "P-100", "qty": 1}]}


def tally(responses) -> Counter:
    return Counter(r.status_code if r.status_code != 409 else r.json()["code"] for r in responses)


async def test_simultaneous_requests_on_one_app_never_oversell(inventory, inventory_app):
    await make_catalog(inventory_app, stock_levels={("SC-01", "P-100"): IN_STOCK})
    attempts = (inventory.post("/reservations", json=ONE_UNIT) for _ in range(ATTEMPTS))
    responses = await asyncio.gather(*attempts)
    assert tally(responses) == {201: IN_STOCK, "insufficient_stock": ATTEMPTS - IN_STOCK}
    assert await stock_of(inventory, "SC-01", "P-100") == {"warehouse": "SC-01", "part_number": "P-100",
                                                           "on_hand": IN_STOCK, "reserved": IN_STOCK,
                                                           "available": 0}


async def test_simultaneous_two_part_requests_take_both_lines_or_neither(inventory, inventory_app):
    """P-200 runs out long before P-100: a request refused for P-200 leaves P-100 as it was (on PostgreSQL the
    statement runs alone, its own transaction: all or nothing by itself, no rollback to rely on)."""
    await make_catalog(inventory_app, stock_levels={("SC-01", "P-100"): 40, ("SC-01", "P-200"): 7})
    both = {"warehouse": "SC-01", "reference": "RO", "lines": [{"part_number": "P-200", "qty": 1},
                                                              {"part_number": "P-100", "qty": 2}]}
    responses = await asyncio.gather(*(inventory.post("/reservations", json=both) for _ in range(30)))
    assert tally(responses) == {201: 7, "insufficient_stock": 23}
    refused = next(r.json() for r in responses if r.status_code == 409)
    assert {s["part_number"]: s["available"] for s in refused["shortages"]} == {"P-200": 0}
    assert (await stock_of(inventory, "SC-01", "P-100"))["reserved"] == 14
    assert (await stock_of(inventory, "SC-01", "P-200"))["reserved"] == 7


async def test_os_threads_never_oversell_nor_deadlock(inventory, inventory_app, db):
    """Threads with their own connections, all at once: reservations of two
    parts taken in both orders, and transfers both ways."""
    await make_catalog(inventory_app, stock_levels={
        ("SC-01", "P-100"): IN_STOCK, ("SC-01", "P-200"): IN_STOCK, ("CENTRAL", "P-100"): 10})
    orders = ([("P-100", 1)], [("P-200", 1), ("P-100", 1)], [("P-100", 1), ("P-200", 1)])

    def one(n: int) -> tuple[str, list]:
        try:
            with db.transaction() as session:
                if n % 10 == 9:
                    source, target = ("CENTRAL", "SC-01") if n % 20 == 9 else ("SC-01", "CENTRAL")
                    move = TransferCreate(from_warehouse=source, to_warehouse=target, part_number="P-100",
                                          qty=1, reference="t")
                    stock.transfer(session, caller=SYSTEM, now=NOW, transfer_in=move)
                    return "transfer", []
                lines = orders[n % 3]
                reservations.reserve(session, caller=SYSTEM, warehouse="SC-01", reference="RO", lines=lines,
                                     ttl_seconds=3600, now=NOW)
                return "reserved", lines
        except errors.InsufficientStock:
            return "short", []

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(one, range(ATTEMPTS)))
    reserved = Counter()
    for _kind, lines in outcomes:
        for part, qty in lines:
            reserved[part] += qty
    assert Counter(kind for kind, _ in outcomes)["reserved"] >= IN_STOCK // 2
    p100, p200 = await stock_of(inventory, "SC-01", "P-100"), await stock_of(inventory, "SC-01", "P-200")
    assert (p100["reserved"], p200["reserved"]) == (reserved["P-100"], reserved["P-200"])
    assert p100["available"] >= 0 and p200["available"] >= 0
    central = await stock_of(inventory, "CENTRAL", "P-100")
    assert p100["on_hand"] + central["on_hand"] == IN_STOCK + 10


async def test_os_threads_take_exactly_what_is_there(inventory, inventory_app, db):
    await make_catalog(inventory_app, stock_levels={("SC-01", "P-100"): IN_STOCK})

    def one(_n: int) -> str:
        try:
            with db.transaction() as session:
                reservations.reserve(session, caller=SYSTEM, warehouse="SC-01", reference="RO",
                                     lines=[("P-100", 1)], ttl_seconds=3600, now=NOW)
            return "reserved"
        except errors.InsufficientStock:
            return "short"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcome = Counter(pool.map(one, range(ATTEMPTS)))
    assert outcome == {"reserved": IN_STOCK, "short": ATTEMPTS - IN_STOCK}
    assert (await stock_of(inventory, "SC-01", "P-100"))["reserved"] == IN_STOCK


async def wait_ready(client: httpx.AsyncClient, process: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the service exited with {process.returncode}")
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the service did not start in time")


@pytest.mark.e2e
async def test_two_service_processes_on_one_database_never_oversell(
    inventory, inventory_app, inventory_db, tmp_path
):
    await make_catalog(inventory_app, stock_levels={("SC-01", "P-100"): IN_STOCK})
    env = {**os.environ, "INVENTORY_DATABASE_URL": inventory_db.url, "INTERNAL_TOKEN": TOKEN,
           "LOG_LEVEL": "WARNING", "DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    if inventory_db.schema:
        env["INVENTORY_DATABASE_SCHEMA"] = inventory_db.schema
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "services.inventory.main:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=internal_headers(), timeout=60)
               for port in ports]
    try:
        deadline = time.monotonic() + 30
        await asyncio.gather(*(wait_ready(c, p, deadline) for c, p in zip(clients, processes, strict=True)))
        responses = await asyncio.gather(
            *(clients[n % 2].post("/reservations", json=ONE_UNIT) for n in range(ATTEMPTS))
        )
    finally:
        for client in clients:
            await client.aclose()
        for process in processes:
            process.kill()
            process.wait()
    assert tally(responses) == {201: IN_STOCK, "insufficient_stock": ATTEMPTS - IN_STOCK}
    assert (await stock_of(inventory, "SC-01", "P-100"))["reserved"] == IN_STOCK


async def test_a_reservation_waiting_on_a_row_lock_leaves_the_event_loop_free(inventory, inventory_app, db):
    """On PostgreSQL the use case waits in a worker thread: while one reservation waits on a stock
    row another connection holds, the same process still answers /healthz and reads stock."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite runs the unit of work on the event loop (microsecond statements)")
    await make_catalog(inventory_app, stock_levels={("SC-01", "P-100"): IN_STOCK})
    with db.transaction() as holder:
        holder.execute(text("SELECT 1 FROM stock WHERE warehouse = 'SC-01' AND part_number = 'P-100' FOR UPDATE"))
        waiting = asyncio.create_task(inventory.post("/reservations", json=ONE_UNIT))
        await asyncio.sleep(0.3)  # the reservation is now blocked on the row lock
        assert not waiting.done()
        started = time.monotonic()
        health = await asyncio.wait_for(inventory.get("/healthz"), timeout=5)
        stock_now = await asyncio.wait_for(stock_of(inventory, "SC-01", "P-100"), timeout=5)
        answered_in = time.monotonic() - started
        assert health.status_code == 200 and stock_now["reserved"] == 0
        assert answered_in < 5 and not waiting.done()
    made = await asyncio.wait_for(waiting, timeout=30)  # the lock is gone: the reservation goes through
    assert made.status_code == 201, made.text
    assert (await stock_of(inventory, "SC-01", "P-100"))["reserved"] == 1
