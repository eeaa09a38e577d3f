"""PostgreSQL's write transactions in greenlets on the event loop, over asyncpg (shared/loop_engine.py, the default
unit of work on PostgreSQL: shared/uow.py): BEGIN with the deadline in one round trip, `later`'s writes written out
as literals and sent with the COMMIT, what cannot be written so sent alone, nothing written when any part fails, and
a connection the server ended never used again."""

import asyncio
import time

import asyncpg
import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, bindparam, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from shared import dbfaults, deadline, direct
from shared.db import Database
from shared.uow import UnitOfWork

pytestmark = pytest.mark.anyio

_META = MetaData()
_THING = Table("loop_thing", _META, Column("id", Integer, primary_key=True), Column("name", String(200)),
               Column("weight", Float))
_RENAME = update(_THING).where(_THING.c.id == bindparam("b_id")).values(name=bindparam("v_name"))
_ALL = select(_THING.c.id, _THING.c.name).order_by(_THING.c.id)
HOSTILE = "x'); DROP TABLE loop_thing; --\\ 济南 $1"


@pytest.fixture
async def db(database_factory):
    found = database_factory("gateway")
    if not found.url.startswith("postgresql"):
        pytest.skip("the event loop's engine is PostgreSQL's")
    database = Database.connect(found.url, schema=found.schema)
    _META.drop_all(database.write_engine)
    _META.create_all(database.write_engine)
    with database.write_engine.begin() as conn:
        conn.execute(_THING.insert(), [{"id": 1, "name": "甲"}, {"id": 2, "name": None}])
    yield database
    await database.dispose_native()
    _META.drop_all(database.write_engine)
    database.dispose()


@pytest.fixture
def uow(db):
    return UnitOfWork(db)  # PostgreSQL's default: greenlets on the event loop


@pytest.fixture
async def simple_queries(uow, monkeypatch):
    """The queries of the simple protocol asyncpg sends (BEGIN, the held writes, COMMIT), in order, once the engine
    has made its connection (SQLAlchemy's first look at the server is a transaction of asyncpg's own)."""
    await uow.read(lambda session: session.execute(text("SELECT 1")).scalar_one())
    sent: list[str] = []
    real = asyncpg.Connection.execute

    async def execute(self, query, *args, **kwargs):
        if not args:
            sent.append(query)
        return await real(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "execute", execute)
    return sent


def rows(db) -> list[tuple]:
    with db.write_engine.connect() as connection:
        return [tuple(row) for row in connection.execute(_ALL)]


async def test_the_default_on_postgresql_runs_units_on_the_loop_engine(uow, db):
    assert uow.wait == "greenlet"
    engine = await uow.write(lambda session: session.get_bind())
    assert engine in db.engines and engine not in (db.read_engine, db.write_engine)
    assert engine.dialect.driver == "asyncpg"


async def test_later_writes_go_with_the_commit_in_one_query_and_are_made_in_order(uow, db, simple_queries):
    def unit(session):
        direct.later(session, _RENAME, {"b_id": 1, "v_name": "一"})
        direct.later(session, insert(_THING), {"id": 10, "name": HOSTILE})
        seen = direct.run(session, _ALL).all()
        direct.later_many(session, insert(_THING), [{"id": 11, "name": "a"}, {"id": 12, "name": "b'c"}])
        direct.later(session, _RENAME, {"b_id": 2, "v_name": "二"})
        return [tuple(row) for row in seen]

    assert await uow.write(unit) == [(1, "一"), (2, None), (10, HOSTILE)]
    assert rows(db) == [(1, "一"), (2, "二"), (10, HOSTILE), (11, "a"), (12, "b'c")]
    assert simple_queries[0] == "BEGIN"
    assert len(simple_queries) == 3 and simple_queries[2].endswith("; COMMIT")  # BEGIN; two before the read
    assert "'x''); DROP TABLE" in simple_queries[1]  # a value, quoted, never SQL


async def test_the_deadline_is_the_transactions_statement_timeout_sent_with_begin(uow, simple_queries):
    budget = deadline.start_in(5)
    try:
        shown = await uow.read(lambda session: session.execute(text("SHOW statement_timeout")).scalar_one())
    finally:
        deadline.reset(budget)
    assert 4_000 < int(shown.removesuffix("ms")) <= 5_000
    assert simple_queries[0].startswith("BEGIN; SET LOCAL statement_timeout = ")
    assert await uow.read(lambda session: session.execute(text("SHOW statement_timeout")).scalar_one()) == "0"


async def test_a_write_with_a_check_or_a_value_without_an_exact_literal_goes_alone(uow, db, simple_queries):
    def unit(session):
        direct.later(session, _RENAME, {"b_id": 1, "v_name": "乙"}, check=direct.one_row("thing", 1))
        direct.later(session, update(_THING).where(_THING.c.id == 2).values(weight=bindparam("w")), {"w": 0.1})

    await uow.write(unit)
    assert rows(db)[0] == (1, "乙")
    assert simple_queries == ["BEGIN", "COMMIT"]  # both sent as prepared statements, alone


async def test_a_held_write_refused_at_the_commit_leaves_nothing_written(uow, db):
    def unit(session):
        direct.later(session, _RENAME, {"b_id": 1, "v_name": "辛"})
        direct.later(session, insert(_THING), {"id": 1, "name": "again"})

    with pytest.raises(IntegrityError):
        await uow.write(unit)
    assert rows(db) == [(1, "甲"), (2, None)]
    assert await uow.read(lambda session: direct.run(session, _ALL).all()) == [(1, "甲"), (2, None)]


async def test_a_check_that_fails_refuses_the_commit_and_a_raise_drops_what_is_held(uow, db):
    def checked(session):
        direct.later(session, _RENAME, {"b_id": 1, "v_name": "壬"})
        direct.later(session, _RENAME, {"b_id": 99, "v_name": "癸"}, check=direct.one_row("thing", 99))

    with pytest.raises(RuntimeError, match="thing 99 missing"):
        await uow.write(checked)

    def raising(session):
        direct.later(session, _RENAME, {"b_id": 1, "v_name": "dropped"})
        raise LookupError("rolled back")

    with pytest.raises(LookupError):
        await uow.write(raising)
    await uow.write(lambda session: session.execute(_RENAME, {"b_id": 2, "v_name": "kept"}))
    assert rows(db) == [(1, "甲"), (2, "kept")]


async def test_a_connection_the_server_ended_while_idle_is_not_used_again(uow, db):
    pid = await uow.read(lambda session: session.execute(text("SELECT pg_backend_pid()")).scalar_one())
    with db.write_engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        other.commit()
    time.sleep(0.1)
    await asyncio.sleep(0.05)
    for _ in range(3):
        assert await uow.read(lambda session: session.execute(text("SELECT 1")).scalar_one()) == 1


async def test_a_database_that_refuses_connections_is_sqlalchemys_operational_error(db):
    broken = Database.connect(db.url.replace(db.url.rsplit("@", 1)[1].split("/")[0], "127.0.0.1:1"),
                              schema=db.schema)
    try:
        with pytest.raises(DBAPIError) as raised:
            await UnitOfWork(broken).read(lambda session: session.execute(text("SELECT 1")).scalar_one())
        assert dbfaults.classify(raised.value).kind == dbfaults.UNREACHABLE  # 503 database_busy, as on psycopg
    finally:
        await broken.dispose_native()
        broken.dispose()


def test_a_database_disposed_after_its_event_loop_leaves_no_connection_open(database_factory):
    """A test's or a tool's database: its units ran in an event loop now closed, and `dispose()` (not async) still
    ends the asyncpg connections they opened, on the server too."""
    found = database_factory("gateway")
    if not found.url.startswith("postgresql"):
        pytest.skip("the event loop's engine is PostgreSQL's")
    database = Database.connect(found.url, schema=found.schema)

    async def units() -> set[int]:
        uow = UnitOfWork(database)
        read = text("SELECT pg_backend_pid() FROM pg_sleep(0.05)")
        return set(await asyncio.gather(*(uow.read(lambda session: session.execute(read).scalar_one())
                                          for _ in range(3))))

    pids = asyncio.run(units())
    assert len(pids) == 3
    database.dispose()
    watch = Database.connect(found.url, schema=found.schema)
    try:
        for _ in range(50):
            with watch.write_engine.connect() as connection:
                left = connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                                          {"pids": list(pids)}).scalar_one()
            if left == 0:
                break
            time.sleep(0.05)
        assert left == 0
    finally:
        watch.dispose()


async def test_the_urls_own_query_is_read_as_libpq_reads_it(db):
    """`sslmode` is the client's (never sent to the server as a setting, which would refuse it), any other name
    the server's."""
    query = "sslmode=disable&application_name=loop-engine-test"
    url = db.url + ("&" if "?" in db.url else "?") + query
    asked = Database.connect(url, schema=db.schema)
    try:
        shown = await UnitOfWork(asked).read(
            lambda session: session.execute(text("SELECT current_setting('application_name')")).scalar_one())
        assert shown == "loop-engine-test"
    finally:
        await asked.dispose_native()
        asked.dispose()
