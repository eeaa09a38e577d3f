"""A reservation on PostgreSQL runs as one statement alone over asyncpg (shared/native.py): the faults a
thread's transaction is answered for are answered the same there (503 `database_busy` by kind, 504 past
the deadline), nothing is half-written, and the next request goes through.

On a database of its own (TEST_DATABASE_URL), as tests/shared/test_database_faults.py, so that ALTER
DATABASE and pg_terminate_backend touch nothing else.
"""

import asyncio
import os
import threading
import time
import uuid
from collections import Counter

import pytest
from db_outage import Relay
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from services.inventory.main import create_app
from shared import migrations
from shared import settings as settings_module

from helpers import TOKEN, asgi_client, assert_problem, internal_headers
from inventory_support import make_catalog, reserve, stock_of

pytestmark = pytest.mark.anyio


class Server:
    def __init__(self, admin, name: str, url: str) -> None:
        self.admin, self.name, self.url = admin, name, url

    def sql(self, statement: str, **params) -> list:
        with self.admin.connect() as conn:
            result = conn.execute(text(statement), params)
            return result.all() if result.returns_rows else []

    def empty(self) -> None:
        """The service's tables, emptied (a connection of its own, closed after: terminate() ends the rest)."""
        engine = create_engine(self.url, poolclass=NullPool)
        with engine.begin() as conn:
            tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'inventory'"
                                       " AND tablename <> 'alembic_version'")).scalars().all()
            conn.execute(text(f"TRUNCATE {', '.join(f'inventory.{t}' for t in tables)} RESTART IDENTITY CASCADE"))
        engine.dispose()

    def terminate(self, where: str = "true") -> int:
        return len(self.sql("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
                            f" WHERE datname = :name AND pid <> pg_backend_pid() AND {where}", name=self.name))


@pytest.fixture(scope="module")
def server():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("PostgreSQL's path (TEST_DATABASE_URL is not set)")
    admin_url = make_url(settings_module.normalise_url(url))
    name = f"alone_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = admin_url.set(database=name).render_as_string(hide_password=False)
    migrations.upgrade("inventory", database_url, "inventory")
    try:
        yield Server(admin, name, database_url)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def app_for(url: str):
    return create_app(settings_module.load("inventory", database_url=url, database_schema="inventory",
                                           internal_token=TOKEN, upstream_timeout_seconds=1.0))


@pytest.fixture
async def stocked(server):
    """The inventory app on the server, its catalog fresh (P-100 and P-200, 10 each at SC-01)."""
    server.empty()
    app = app_for(server.url)
    async with asgi_client(app, headers=internal_headers()) as client:
        await make_catalog(app, stock_levels={("SC-01", "P-100"): 10, ("SC-01", "P-200"): 10})
        assert app.state.db.native
        yield app, client


def assert_busy(response, says: str) -> None:
    body = assert_problem(response, 503, "database_busy")
    assert says in body["detail"] and int(response.headers["retry-after"]) > 0


async def nothing_reserved(client) -> None:
    for part in ("P-100", "P-200"):
        assert (await stock_of(client, "SC-01", part))["reserved"] == 0
    assert (await client.get("/reservations")).json()["items"] == []


async def test_made_alone_over_asyncpg_and_read_back(stocked):
    app, client = stocked
    made = await reserve(client, [("P-200", 2), ("P-100", 3)])
    assert made.status_code == 201, made.text
    body = made.json()
    assert [(line["part_number"], line["qty"], line["list_price"]) for line in body["lines"]] == [
        ("P-100", 3, "100.00"), ("P-200", 2, "100.00")]
    assert (await client.get(f"/reservations/{body['id']}")).json() == body
    assert app.state.db.native_statements()._pool is not None  # the asyncpg pool was used  # noqa: SLF001


async def test_one_line_reservations_waiting_together_go_as_groups_and_never_oversell(stocked):
    app, client = stocked
    native = app.state.db.native_statements()
    sizes, run = [], native._group  # noqa: SLF001

    async def counted(pool, statement, group):
        sizes.append(len(group))
        return await run(pool, statement, group)

    native._group = counted  # noqa: SLF001
    try:
        wanted = ["P-100"] * 14 + ["P-200"] * 6 + ["P-100"] * 3
        answers = await asyncio.gather(*(reserve(client, [(part, 1)], reference=f"RO-{i}")
                                         for i, part in enumerate(wanted)))
    finally:
        del native._group
    assert max(sizes) > 1, sizes  # they did go together
    made = Counter(part for part, answer in zip(wanted, answers, strict=True) if answer.status_code == 201)
    assert made == {"P-100": 10, "P-200": 6}
    for answer in answers:
        if answer.status_code != 201:
            assert_problem(answer, 409, "insufficient_stock")
    assert (await stock_of(client, "SC-01", "P-100"))["reserved"] == 10
    assert (await stock_of(client, "SC-01", "P-200"))["reserved"] == 6
    for i, answer in enumerate(answers):  # each its own reservation, as answered
        if answer.status_code == 201:
            body = answer.json()
            assert body["reference"] == f"RO-{i}" and body["lines"][0]["part_number"] == wanted[i]
            assert (await client.get(f"/reservations/{body['id']}")).json() == body
    assert len({answer.json()["id"] for answer in answers if answer.status_code == 201}) == 16


async def test_a_restart_between_requests_is_not_seen(stocked, server):
    _app, client = stocked
    assert (await reserve(client, [("P-100", 1)])).status_code == 201
    assert server.terminate() >= 1  # every connection of the pool ended while idle
    assert (await reserve(client, [("P-100", 1)])).status_code == 201
    assert (await stock_of(client, "SC-01", "P-100"))["reserved"] == 2


def _terminate_when_waiting(server: Server) -> None:
    until = time.monotonic() + 10
    while time.monotonic() < until and not server.terminate("wait_event_type = 'Lock'"):
        time.sleep(0.02)


async def test_a_statement_ended_by_the_server_while_it_waits_is_503_and_writes_nothing(stocked, server):
    _app, client = stocked
    blocker = create_engine(server.url)
    try:
        with blocker.connect() as conn:
            conn.execute(text("SELECT 1 FROM inventory.stock WHERE part_number = 'P-100' FOR UPDATE"))
            killer = threading.Thread(target=_terminate_when_waiting, args=(server,))
            killer.start()
            response = await reserve(client, [("P-200", 1), ("P-100", 1)])
            killer.join()
            conn.rollback()
    finally:
        blocker.dispose()
    assert_problem(response, 503, "database_busy")  # asyncpg reads the server's farewell as 08003 (native.py)
    await nothing_reserved(client)
    assert (await reserve(client, [("P-100", 1)])).status_code == 201


async def test_past_the_deadline_on_a_row_lock_is_504_and_writes_nothing(stocked, server):
    _app, client = stocked
    blocker = create_engine(server.url)
    try:
        with blocker.connect() as conn:
            conn.execute(text("SELECT 1 FROM inventory.stock WHERE part_number = 'P-100' FOR UPDATE"))
            soon = str(int((time.time() + 0.8) * 1000))
            started = time.monotonic()
            response = await reserve(client, [("P-100", 1)], headers=internal_headers(deadline_ms=soon))
            waited = time.monotonic() - started
            conn.rollback()
    finally:
        blocker.dispose()
    assert_problem(response, 504, "upstream_timeout")
    assert waited < 3
    await nothing_reserved(client)
    assert (await reserve(client, [("P-100", 1)])).status_code == 201  # the connection was given back sound


async def test_a_read_only_server_is_503_and_writes_nothing(stocked, server):
    _app, client = stocked
    server.sql(f'ALTER DATABASE "{server.name}" SET default_transaction_read_only = on')
    try:
        server.terminate()  # sessions opened from now on are read-only
        assert_busy(await reserve(client, [("P-100", 1)]), "read-only")
    finally:
        server.sql(f'ALTER DATABASE "{server.name}" RESET default_transaction_read_only')
    server.terminate()
    await nothing_reserved(client)
    assert (await reserve(client, [("P-100", 1)])).status_code == 201


async def test_an_unreachable_server_is_503_and_it_comes_back(server):
    server.empty()
    relay = Relay.to(server.url).start()
    app = app_for(relay.url_for(server.url))
    try:
        async with asgi_client(app, headers=internal_headers()) as client:
            await make_catalog(app, stock_levels={("SC-01", "P-100"): 10})
            assert (await reserve(client, [("P-100", 1)])).status_code == 201  # the pool holds a live connection
            relay.cut()
            assert_busy(await reserve(client, [("P-100", 1)]), "cannot be reached")
            assert_busy(await reserve(client, [("P-100", 1)]), "cannot be reached")  # a new connection: refused
            relay.restore()
            assert (await reserve(client, [("P-100", 1)])).status_code == 201
            assert (await stock_of(client, "SC-01", "P-100"))["reserved"] == 2
    finally:
        relay.cut()
