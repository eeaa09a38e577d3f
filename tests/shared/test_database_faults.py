"""A database that is away, restarting, read-only, locked or too slow: 503 `database_busy` with
Retry-After in every service (shared/dbfaults.py, shared/errors.py), one log line and no trace,
nothing half-written, and /readyz 503 while the database cannot be written.

PostgreSQL tests run on a database of their own (TEST_DATABASE_URL), every service migrated into
its schema as in production, so that ALTER DATABASE and pg_terminate_backend touch nothing else.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

import httpx
import psycopg
import pytest
from db_outage import Relay
from sqlalchemy import create_engine, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from services.billing.main import create_app as billing_app
from services.inventory.main import create_app as inventory_app
from services.servicedesk.main import create_app as servicedesk_app
from services.warranty.main import create_app as warranty_app
from shared import dbfaults, migrations
from shared import settings as settings_module
from shared.settings import SERVICES

from helpers import TOKEN, asgi_client, assert_problem, internal_headers

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]
APPS = {"warranty": warranty_app, "inventory": inventory_app, "billing": billing_app, "servicedesk": servicedesk_app}
READS = {"warranty": "/units/HVAC-404", "inventory": "/warehouses", "billing": "/invoices",
         "servicedesk": "/tickets"}
UNIT = {
    "serial_number": "HVAC-DB-1", "model_code": "KFR-72LW", "product_name": "Cabinet air conditioner",
    "site": {"name": "Jinan Hospital", "address": "1 Jingshi Rd"}, "project_code": "PRJ-7",
    "accepted_on": "2024-03-01", "certificate": {"number": "CERT-1"},
}
REPAIR = {
    "serial_number": "AC-100001", "repair_reference": "REP-DB-1", "performed_on": "2026-03-01",
    "component": "cooling_system", "causes": ["improper_use"],
    "certificate": {"number": "CERT-1", "product_name": "Split air conditioner", "model_code": "KFR-72LW",
                    "serial_number": "AC-100001"},
    "reservation_ids": [], "labor_hours": "2.5", "visits": 1,
}


def assert_busy(response: httpx.Response, *, says: str | None = None) -> dict:
    body = assert_problem(response, 503, "database_busy")
    assert int(response.headers["retry-after"]) > 0
    assert "Traceback" not in response.text and "SELECT" not in response.text and "INSERT" not in response.text
    if says:
        assert says in body["detail"], body
    return body


# --- the classification, on the drivers' own errors ------------------------------------------------


def wrapped(orig: Exception, cls=sa_exc.OperationalError) -> sa_exc.DBAPIError:
    return cls("SELECT 1", {}, orig)


@pytest.mark.parametrize(("sqlstate", "kind"), [
    ("08006", dbfaults.UNREACHABLE), ("08001", dbfaults.UNREACHABLE), ("57P01", dbfaults.RESTARTING),
    ("57P02", dbfaults.RESTARTING), ("57P03", dbfaults.RESTARTING), ("25006", dbfaults.READ_ONLY),
    ("57014", dbfaults.TIMEOUT), ("53300", dbfaults.OVERLOADED), ("55P03", dbfaults.LOCKED),
    ("40001", dbfaults.CONFLICT), ("40P01", dbfaults.CONFLICT),
])
def test_postgresql_faults_by_sqlstate(sqlstate, kind):
    error = psycopg.errors.lookup(sqlstate)("boom")
    assert dbfaults.classify(wrapped(error)).kind == kind


def test_what_a_retry_cannot_cure_is_not_a_fault():
    assert dbfaults.classify(wrapped(psycopg.errors.lookup("42P01")("no table"), sa_exc.ProgrammingError)) is None
    assert dbfaults.classify(wrapped(psycopg.errors.lookup("23505")("dup"), sa_exc.IntegrityError)) is None
    assert dbfaults.classify(wrapped(sqlite3.OperationalError("no such table: unit"))) is None
    assert dbfaults.classify(RuntimeError("x")) is None


def test_a_connection_the_driver_could_not_make_or_keep_is_unreachable():
    refused = psycopg.OperationalError("connection failed: Connection refused")
    assert dbfaults.classify(wrapped(refused)).kind == dbfaults.UNREACHABLE
    assert dbfaults.classify(sa_exc.TimeoutError("QueuePool limit reached")).kind == dbfaults.OVERLOADED


@pytest.mark.parametrize(("message", "kind"), [
    ("database is locked", dbfaults.LOCKED), ("attempt to write a readonly database", dbfaults.READ_ONLY),
    ("unable to open database file", dbfaults.UNREACHABLE), ("database or disk is full", dbfaults.OVERLOADED),
])
def test_sqlite_faults(message, kind):
    assert dbfaults.classify(wrapped(sqlite3.OperationalError(message))).kind == kind


def test_sqlite_faults_by_error_name(tmp_path):
    path = tmp_path / "x.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE t (x)")
    read_only = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as raised:
        read_only.execute("INSERT INTO t VALUES (1)")
    assert raised.value.sqlite_errorname == "SQLITE_READONLY"
    assert dbfaults.classify(wrapped(raised.value)).kind == dbfaults.READ_ONLY


# --- PostgreSQL: a database of its own --------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_database():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set")
    server = make_url(settings_module.normalise_url(url))
    name = f"faults_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = server.set(database=name).render_as_string(hide_password=False)
    for service in SERVICES:
        migrations.upgrade(service, database_url, service)
    try:
        yield Server(admin, name, database_url)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Server:
    def __init__(self, admin, name: str, url: str) -> None:
        self.admin, self.name, self.url = admin, name, url

    def sql(self, statement: str, **params):
        with self.admin.connect() as conn:
            result = conn.execute(text(statement), params)
            return result.all() if result.returns_rows else []

    def set(self, setting: str, value: str | None) -> None:
        """A database-wide default, for sessions opened from now on."""
        if value is None:
            self.sql(f'ALTER DATABASE "{self.name}" RESET {setting}')
        else:
            self.sql(f'ALTER DATABASE "{self.name}" SET {setting} = {value}')

    def terminate(self, where: str = "true") -> int:
        """End the matching backends and wait (up to 5 s each) until they have exited: the signal alone
        returns before the backend has told its client, and "between requests" means after that."""
        return len(self.sql(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            f" WHERE datname = :name AND pid <> pg_backend_pid() AND {where}", name=self.name))

    def count(self, schema: str, table: str) -> int:
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return conn.execute(text(f'SELECT count(*) FROM "{schema}"."{table}"')).scalar()
        finally:
            engine.dispose()


def service_settings(name: str, url: str):
    return settings_module.load(name, database_url=url, database_schema=name, internal_token=TOKEN,
                                upstream_timeout_seconds=1.0)


def app_of(name: str, url: str):
    return APPS[name](service_settings(name, url))


class Recorder:
    """Stands in for a module's structlog logger: what was logged, by level."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict]] = []

    def __getattr__(self, level: str):
        return lambda event, **fields: self.lines.append((level, event, fields))


async def test_an_unreachable_database_is_503_in_every_service_and_each_comes_back(pg_database, monkeypatch):
    from shared import errors, middleware

    logged = Recorder()
    monkeypatch.setattr(errors, "log", logged)
    monkeypatch.setattr(middleware, "log", logged)
    relay = Relay.to(pg_database.url).start()
    url = relay.url_for(pg_database.url)
    try:
        async with (asgi_client(app_of("warranty", url), headers=internal_headers()) as warranty,
                    asgi_client(app_of("billing", url), headers=internal_headers(role="billing")) as billing,
                    asgi_client(app_of("inventory", url), headers=internal_headers()) as inventory,
                    asgi_client(app_of("servicedesk", url), headers=internal_headers()) as desk):
            clients = {"warranty": warranty, "billing": billing, "inventory": inventory, "servicedesk": desk}
            for name, client in clients.items():  # the pools hold live connections now
                assert (await client.get(READS[name])).status_code in (200, 404), name
            logged.lines.clear()
            relay.cut()
            for name, client in clients.items():
                assert_busy(await client.get(READS[name]), says="cannot be reached")
                assert_busy(await client.get("/readyz"))
            assert_busy(await warranty.post("/units", json=UNIT))
            assert_busy(await billing.post("/repairs", json=REPAIR, headers={"Idempotency-Key": "db-1"}))
            faults = [fields for level, event, fields in logged.lines if event == "database_fault"]
            assert len(faults) == 6  # one line per failed request (the readiness probes log none)
            assert {f["kind"] for f in faults} == {"unreachable"}
            assert all("exc_info" not in fields for _level, _event, fields in logged.lines)  # no trace
            assert {event for _level, event, _fields in logged.lines} == {"database_fault", "request"}

            relay.restore()
            for name, client in clients.items():
                assert (await client.get("/readyz")).status_code == 200, name
            assert (await warranty.post("/units", json=UNIT)).status_code == 201
    finally:
        relay.cut()


async def test_a_restart_between_requests_is_not_seen(pg_database):
    """Connections the server ended while idle in the pool (a restart, pg_terminate_backend) are replaced."""
    async with asgi_client(app_of("warranty", pg_database.url), headers=internal_headers()) as warranty:
        assert (await warranty.get("/units/HVAC-404")).status_code == 404
        assert pg_database.terminate() >= 1
        assert (await warranty.get("/units/HVAC-404")).status_code == 404
        assert (await warranty.get("/readyz")).status_code == 200


def _terminate_when_waiting(server: Server) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if server.terminate("wait_event_type = 'Lock'"):
            return
        time.sleep(0.02)


async def test_a_statement_ended_by_the_server_while_it_runs_is_503(pg_database):
    """57P01 for certain: the service's own statement waits on a row lock, and is terminated."""
    blocker = create_engine(pg_database.url)
    async with asgi_client(app_of("inventory", pg_database.url), headers=internal_headers()) as inventory:
        code = f"W{uuid.uuid4().hex[:6]}".upper()
        body = {"code": code, "name": "Jinan", "kind": "service_center", "region": "north"}
        with blocker.connect() as conn:
            conn.execute(text("LOCK TABLE inventory.warehouse IN ACCESS EXCLUSIVE MODE"))
            killer = threading.Thread(target=_terminate_when_waiting, args=(pg_database,))
            killer.start()
            response = await inventory.post("/warehouses", json=body)
            killer.join()
            conn.rollback()
        assert_busy(response, says="restarting")
        assert (await inventory.get(f"/warehouses/{code}")).status_code == 404
        assert (await inventory.post("/warehouses", json=body)).status_code == 201
    blocker.dispose()


async def test_a_read_only_database_is_503_on_writes_and_not_ready(pg_database):
    pg_database.set("default_transaction_read_only", "on")
    try:
        billing_headers = internal_headers(role="billing")
        async with (asgi_client(app_of("warranty", pg_database.url), headers=internal_headers()) as warranty,
                    asgi_client(app_of("billing", pg_database.url), headers=billing_headers) as billing):
            before = pg_database.count("billing", "idempotency_record")
            assert_busy(await warranty.post("/units", json={**UNIT, "serial_number": "HVAC-RO-1"}), says="read-only")
            assert_busy(await billing.post("/repairs", json=REPAIR, headers={"Idempotency-Key": "ro-1"}),
                        says="read-only")
            assert (await warranty.get("/units/HVAC-RO-1")).status_code == 404  # reads go on
            for client in (warranty, billing):
                body = assert_busy(await client.get("/readyz"))
                assert "read-only" in body["detail"]
    finally:
        pg_database.set("default_transaction_read_only", None)
    assert pg_database.count("billing", "idempotency_record") == before
    assert pg_database.count("billing", "bill") == 0
    async with asgi_client(app_of("warranty", pg_database.url), headers=internal_headers()) as warranty:
        assert (await warranty.get("/units/HVAC-RO-1")).status_code == 404
        assert (await warranty.get("/readyz")).status_code == 200


async def test_a_statement_past_the_servers_timeout_is_503_and_writes_nothing(pg_database):
    pg_database.set("statement_timeout", "'300ms'")
    blocker = create_engine(pg_database.url)
    try:
        async with asgi_client(app_of("inventory", pg_database.url), headers=internal_headers()) as inventory:
            code = f"T{uuid.uuid4().hex[:6]}".upper()
            with blocker.connect() as conn:
                conn.execute(text("LOCK TABLE inventory.warehouse IN ACCESS EXCLUSIVE MODE"))
                started = time.monotonic()
                response = await inventory.post("/warehouses", json={"code": code, "name": "Jinan",
                                                                     "kind": "service_center", "region": "north"})
                waited = time.monotonic() - started
                conn.rollback()
            assert_busy(response, says="in time")
            assert waited < 5
            assert (await inventory.get(f"/warehouses/{code}")).status_code == 404
    finally:
        pg_database.set("statement_timeout", None)
        blocker.dispose()


# --- SQLite --------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_warranty(tmp_path):
    path = tmp_path / "warranty.sqlite3"
    migrations.upgrade("warranty", f"sqlite:///{path}")
    return path


async def test_sqlite_locked_by_another_writer_is_503_and_writes_nothing(sqlite_warranty, monkeypatch):
    from shared import db

    monkeypatch.setattr(db, "SQLITE_BUSY_MS", 200)  # a writer waits this long for the lock, not 30 s
    settings = settings_module.load("warranty", database_url=f"sqlite:///{sqlite_warranty}", internal_token=TOKEN)
    async with asgi_client(warranty_app(settings), headers=internal_headers()) as warranty:
        holder = sqlite3.connect(sqlite_warranty, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            assert_busy(await warranty.post("/units", json=UNIT), says="another writer")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert (await warranty.get(f"/units/{UNIT['serial_number']}")).status_code == 404
        assert (await warranty.post("/units", json=UNIT)).status_code == 201


READ_ONLY_PROBE = """
import asyncio, json, sys
sys.path.insert(0, "tests")
from helpers import TOKEN, asgi_client, internal_headers
from services.warranty.main import create_app
from shared import settings

async def main():
    config = settings.load("warranty", database_url="sqlite:///" + sys.argv[1], internal_token=TOKEN)
    async with asgi_client(create_app(config), headers=internal_headers()) as client:
        ready = await client.get("/readyz")
        write = await client.post("/units", json=json.loads(sys.argv[2]))
        print("RESULT " + json.dumps({"ready": [ready.status_code, ready.json()],
                                      "write": [write.status_code, write.json(), write.headers.get("retry-after")]}))

asyncio.run(main())
"""


def test_a_sqlite_file_the_process_may_not_write_is_503_and_not_ready(sqlite_warranty):
    """The file and its directory read-only for the service; root may write anything, so the service
    runs without the capabilities that let root ignore file modes (util-linux's setpriv)."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run the service without its override of file modes")
    for path in sqlite_warranty.parent.iterdir():
        os.chmod(path, 0o444)
    os.chmod(sqlite_warranty.parent, 0o555)
    try:
        probe = subprocess.run(
            [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--",
             sys.executable, "-c", READ_ONLY_PROBE, str(sqlite_warranty), json.dumps(UNIT)],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )
    finally:
        os.chmod(sqlite_warranty.parent, 0o755)
    if "Operation not permitted" in probe.stderr and "setpriv" in probe.stderr:
        pytest.skip("this container may not drop capabilities")
    lines = [line for line in probe.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, probe.stderr[-3000:]
    result = json.loads(lines[0].removeprefix("RESULT "))
    assert result["ready"][0] == 503 and result["ready"][1]["code"] == "database_busy"
    status, body, retry_after = result["write"]
    assert (status, body["code"]) == (503, "database_busy") and int(retry_after) > 0
    engine = create_engine(f"sqlite:///{sqlite_warranty}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM unit")).scalar() == 0
    engine.dispose()


def test_a_claim_that_could_not_be_given_back_is_given_back_when_the_database_returns(sqlite_warranty, monkeypatch):
    """A failed request's claim whose release met the outage used to block a retry for the rest of its hold
    (409 `idempotency_in_progress` for up to the deadline and a grace after the database returned): it is
    now given back in the background as soon as the database takes writes again."""
    from services.warranty.models import IdempotencyRecord
    from shared import db, idempotency
    from shared.clock import SystemClock

    monkeypatch.setattr(db, "SQLITE_BUSY_MS", 100)
    monkeypatch.setattr(idempotency, "RELEASE_RETRY_SECONDS", 0.05)
    store = idempotency.Idempotency(db.Database.connect(f"sqlite:///{sqlite_warranty}"), IdempotencyRecord,
                                    SystemClock())
    assert store.claim(scope="s", key="k-1", fingerprint="f") is None

    def claims() -> int:
        with sqlite3.connect(sqlite_warranty) as reader:
            return reader.execute("SELECT count(*) FROM idempotency_record WHERE key = 'k-1'").fetchone()[0]

    holder = sqlite3.connect(sqlite_warranty, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the database: the release cannot be written
    try:
        store.give_back(scope="s", key="k-1")  # never raises
        time.sleep(0.3)
        assert claims() == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    deadline = time.monotonic() + 5
    while claims() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert claims() == 0
    assert store.claim(scope="s", key="k-1", fingerprint="f") is None  # the retry runs at once


def test_a_claim_is_not_given_back_later_once_its_hold_may_have_been_taken_over(sqlite_warranty, monkeypatch):
    """The background release stops a second before the claim's hold ends: after that a retry may have taken
    the claim over, and deleting it would let a third request run the effect beside the second."""
    from services.warranty.models import IdempotencyRecord
    from shared import db, idempotency
    from shared.clock import FixedClock

    monkeypatch.setattr(db, "SQLITE_BUSY_MS", 100)
    monkeypatch.setattr(idempotency, "RELEASE_RETRY_SECONDS", 0.05)
    clock = FixedClock(datetime(2026, 12, 4, 9, 0))
    store = idempotency.Idempotency(db.Database.connect(f"sqlite:///{sqlite_warranty}"), IdempotencyRecord, clock)
    assert store.claim(scope="s", key="k-2", fingerprint="f") is None
    holder = sqlite3.connect(sqlite_warranty, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        store.give_back(scope="s", key="k-2")
        clock.advance(seconds=9)  # the hold (10 s) ends within the margin: not the holder's to delete now
        time.sleep(0.3)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    time.sleep(0.3)
    with sqlite3.connect(sqlite_warranty) as reader:
        assert reader.execute("SELECT count(*) FROM idempotency_record WHERE key = 'k-2'").fetchone()[0] == 1
