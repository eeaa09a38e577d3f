"""Warranty's database work goes through the unit of work: on PostgreSQL a wait on the database
does not hold the event loop, so the process keeps answering while one request waits."""

import asyncio
import time

import pytest
from sqlalchemy import text

from services.warranty.main import create_app

from helpers import asgi_client, internal_headers
from warranty_support import unit_body

pytestmark = pytest.mark.anyio


async def test_a_database_wait_leaves_the_process_answering(backend, warranty_settings, clock):
    if backend != "postgres":
        pytest.skip("SQLite runs the unit of work on the event loop (measured fastest there)")
    app = create_app(warranty_settings, clock=clock)
    async with asgi_client(app, headers=internal_headers()) as client:
        assert (await client.post("/units", json=unit_body(serial="LOCK-000001"))).status_code == 201
        with app.state.db.write_engine.connect() as holder:
            # Another connection holds the unit table: every read of it waits.
            holder.execute(text("LOCK TABLE unit IN ACCESS EXCLUSIVE MODE"))
            # Its deadline bounds the wait (statement_timeout): held on the loop, it would fail the checks below
            # instead of hanging the test.
            bounded = internal_headers(deadline_ms=str(int((time.time() + 8) * 1000)))
            waiting = asyncio.create_task(
                client.get("/units/LOCK-000001/coverage", params={"on": "2025-01-01"}, headers=bounded))
            await asyncio.sleep(0.3)
            assert not waiting.done()
            for _ in range(3):  # the loop is free: other requests are answered meanwhile
                health = await asyncio.wait_for(client.get("/healthz"), timeout=5)
                assert health.status_code == 200
            assert not waiting.done()
            holder.rollback()
        coverage = await asyncio.wait_for(waiting, timeout=10)
        assert coverage.status_code == 200, coverage.text
        assert coverage.json()["serial_number"] == "LOCK-000001"

