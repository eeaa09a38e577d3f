"""A hot read over asyncpg (shared/native_read.py): the function's statements answer the rows a Core
connection answers on psycopg (the same values after the columns' result processors: numerics, dates, aware
timestamps, JSON, NULLs; the same names), in a greenlet on the event loop; a deadline, a server error and a
connection the server ended are answered as the thread path answers them. On PostgreSQL only
(TEST_DATABASE_URL)."""

import asyncio
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from shared import dbfaults, deadline, native_read
from shared.db import Database, UtcDateTime
from shared.native import Native
from shared.native_read import NativeReader

from helpers import assert_rows_as_core

pytestmark = pytest.mark.anyio

metadata = sa.MetaData()
THING = sa.Table(
    "native_read_thing", metadata,
    sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(40)),
    sa.Column("price", sa.Numeric(12, 2)), sa.Column("made_on", sa.Date), sa.Column("made_at", UtcDateTime()),
    sa.Column("terms", sa.JSON),
)
BY_ID = sa.select(THING).where(THING.c.id == sa.bindparam("id"))
CHEAPER = sa.select(THING.c.id, THING.c.price).where(THING.c.price < sa.bindparam("below")).order_by(THING.c.id)
ROWS = [
    {"id": 1, "name": "压缩机", "price": Decimal("1250.50"), "made_on": date(2024, 2, 29),
     "made_at": datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=UTC), "terms": [{"component": "unit", "months": 24}]},
    {"id": 2, "name": None, "price": None, "made_on": None, "made_at": None, "terms": None},
    {"id": 3, "name": "fan", "price": Decimal("0.01"), "made_on": date(2026, 12, 7),
     "made_at": datetime(2026, 12, 7, tzinfo=UTC), "terms": {"a": None, "b": [1, 2.5, "三"]}},
]


@pytest.fixture
async def database(database_factory):
    """A service's database with the table (PostgreSQL's only: asyncpg's path is PostgreSQL's)."""
    found = database_factory("gateway")
    if found.url.startswith("sqlite"):
        pytest.skip("asyncpg's path is PostgreSQL's (TEST_DATABASE_URL)")
    db = Database.connect(found.url, schema=found.schema)
    metadata.drop_all(db.write_engine)
    metadata.create_all(db.write_engine)
    with db.write_engine.begin() as conn:
        conn.execute(THING.insert(), ROWS)
    yield db
    await db.dispose_native()
    metadata.drop_all(db.write_engine)
    db.dispose()


@pytest.fixture
def native(database) -> Native:
    return database.native_statements()


def hot_read(native: Native, fn, *args):
    """`fn(reader, *args)` read over asyncpg."""
    return native_read.read(native, fn, args, {})


def everything(reader) -> dict:
    """A hot read of several statements, as a service writes one."""
    return {
        "one": reader.execute(BY_ID, {"id": 1}).one(),
        "nulls": reader.execute(BY_ID, {"id": 2}).first(),
        "none": reader.execute(BY_ID, {"id": 99}).first(),
        "cheaper": reader.execute(CHEAPER, {"below": Decimal("2000")}).all(),
        "count": reader.execute(sa.select(THING.c.id).where(THING.c.id > sa.bindparam("id")), {"id": 0}).all(),
        "text": reader.execute(sa.text("SELECT 1 AS one, '二' AS two")).one(),
    }


async def test_its_rows_are_those_a_core_connection_reads(database, native):
    kinds = []

    def read(reader):
        kinds.append(type(reader))
        return everything(reader)

    ours = await hot_read(native, read)
    with database.read_engine.connect() as connection:
        theirs = everything(connection)
    assert kinds == [NativeReader]
    for name, rows in theirs.items():
        if not isinstance(rows, list):
            rows, ours[name] = [rows] if rows else [], [ours[name]] if ours[name] else []
        assert_rows_as_core(ours[name], rows)
    row = ours["one"][0]
    assert (row.id, row.name, row.price, row.made_on, row.made_at, row.terms) == tuple(ROWS[0].values())
    assert row.made_at.tzinfo is not None and isinstance(row.price, Decimal)
    assert ours["text"][0]._fields == ("one", "two") and tuple(ours["text"][0]) == (1, "二")
    assert ours["none"] == [] and ours["nulls"][0].terms is None


@pytest.fixture
def groups(native, monkeypatch) -> list[int]:
    """The sizes of the groups of statements the native pool sends together."""
    sizes, run = [], native._group  # noqa: SLF001

    async def counted(pool, statement, group):
        sizes.append(len(group))
        return await run(pool, statement, group)

    monkeypatch.setattr(native, "_group", counted)
    return sizes


async def test_many_reads_at_once_go_together_and_each_gets_its_own_rows(native, groups):
    wanted = [1, 2, 3, 99] * 10

    def read(reader, i):
        found = reader.execute(BY_ID, {"id": i}).all()
        cheaper = reader.execute(CHEAPER, {"below": Decimal(i)}).all()
        return found, cheaper

    answers = await asyncio.gather(*(hot_read(native, read, i) for i in wanted))
    assert max(groups) > 1, groups  # they did go together
    for i, (found, cheaper) in zip(wanted, answers, strict=True):
        assert [tuple(row) for row in found] == [tuple(row.values()) for row in ROWS if row["id"] == i]
        assert found == [] or found[0]._fields == ("id", "name", "price", "made_on", "made_at", "terms")
        assert [(row.id, row.price) for row in cheaper] == [
            (row["id"], row["price"]) for row in ROWS if row["price"] is not None and row["price"] < i]


async def test_a_read_that_fails_in_a_group_fails_alone(native, groups):
    ratio = sa.select((sa.literal(10) / sa.bindparam("by", type_=sa.Integer)).label("ratio"))
    wanted = [5, 0, 2, 0, 1] * 4
    answers = await asyncio.gather(*(hot_read(native, lambda reader, by: reader.execute(ratio, {"by": by}).scalar(), by)
                                     for by in wanted), return_exceptions=True)
    assert max(groups) > 1, groups
    for by, answer in zip(wanted, answers, strict=True):
        if by:
            assert answer == 10 // by
        else:
            assert isinstance(answer, sa_exc.DBAPIError) and answer.orig.sqlstate == "22012"


async def test_a_deadline_passed_is_not_read_and_one_that_passes_meanwhile_cancels_the_statement(native):
    token = deadline.start(time.time() - 1)
    try:
        with pytest.raises(deadline.DeadlineExceeded):
            await hot_read(native, lambda reader: reader.execute(BY_ID, {"id": 1}).one())
    finally:
        deadline.reset(token)
    assert native._pool is None  # noqa: SLF001 (nothing was asked of the server)
    token = deadline.start(time.time() + 0.3)
    try:
        with pytest.raises(deadline.DeadlineExceeded):
            await hot_read(native, lambda reader: reader.execute(sa.text("SELECT pg_sleep(5)")).all())
    finally:
        deadline.reset(token)
    assert (await hot_read(native, lambda reader: reader.execute(BY_ID, {"id": 3}).one())).name == "fan"


async def test_a_server_error_is_sqlalchemys_with_its_sqlstate_and_the_pool_goes_on(native):
    with pytest.raises(sa_exc.DBAPIError) as raised:
        await hot_read(native, lambda reader: reader.execute(sa.text("SELECT 1 / 0")).all())
    assert raised.value.orig.sqlstate == "22012" and dbfaults.classify(raised.value) is None
    assert (await hot_read(native, lambda reader: reader.execute(BY_ID, {"id": 1}).one())).id == 1


async def test_connections_the_server_ended_between_reads_are_not_seen(database, native):
    pids = set()

    def read(reader):
        pids.add(reader.execute(sa.text("SELECT pg_backend_pid() AS pid FROM pg_sleep(0.05)")).scalar())

    await asyncio.gather(*(hot_read(native, read) for _ in range(4)))
    assert len(pids) >= 2
    with database.write_engine.connect() as conn:
        ended = conn.execute(sa.text("SELECT count(*) FROM unnest(CAST(:pids AS int[])) AS pid "
                                  "WHERE pg_terminate_backend(pid)"), {"pids": sorted(pids)}).scalar_one()
    assert ended == len(pids)
    time.sleep(0.2)  # the server's farewells reach the pool's sockets
    answers = await asyncio.gather(*(hot_read(native, lambda reader: reader.execute(BY_ID, {"id": 3}).one())
                                     for _ in range(4)))
    assert [row.id for row in answers] == [3] * 4


async def test_a_connection_lost_under_a_read_is_a_503_fault(native, monkeypatch):
    import asyncpg

    async def reset(*_args, **_kwargs):
        raise ConnectionResetError("connection reset by peer")

    await hot_read(native, lambda reader: reader.execute(BY_ID, {"id": 1}).one())  # compiled, typed
    monkeypatch.setattr(asyncpg.Connection, "fetch", reset)
    with pytest.raises(sa_exc.OperationalError) as raised:
        await hot_read(native, lambda reader: reader.execute(BY_ID, {"id": 1}).one())
    assert dbfaults.classify(raised.value).kind == dbfaults.UNREACHABLE
