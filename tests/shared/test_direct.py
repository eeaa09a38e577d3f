"""A write transaction's statements straight on its driver connection (shared/direct.py), on SQLite and
PostgreSQL: the rows SQLAlchemy's Core connection gives, the session's pending changes flushed first, a
column default still made, SQLAlchemy's errors, and a connection the server ended never used again."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import (
    JSON,
    Column,
    Date,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    bindparam,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from gateway.models import ApiKey
from shared import direct
from shared.db import Database, UtcDateTime

from helpers import assert_rows_as_core

_META = MetaData()
_THING = Table("direct_thing", _META, Column("id", Integer, primary_key=True), Column("name", String(20)),
               Column("on", Date), Column("price", Numeric(10, 2)), Column("at", UtcDateTime),
               Column("tags", JSON), Column("kind", String(10), default="plain"))
_BY_ID = select(_THING).where(_THING.c.id == bindparam("b_id")).with_for_update()
_ALL = select(_THING.c.id, (_THING.c.price * 2).label("twice"), _THING.c.on.label("day")).order_by(_THING.c.id)
_INSERT = insert(_THING).returning(_THING.c.id)
_RENAME = update(_THING).where(_THING.c.id == bindparam("b_id")).values(name=bindparam("v_name"))
FIRST = {"id": 1, "name": "甲", "on": date(2026, 2, 28), "price": Decimal("12.30"),
         "at": datetime(2026, 12, 6, 8, 0, tzinfo=UTC), "tags": ["a", {"b": 1}], "kind": "plain"}


@pytest.fixture
def db(database_factory):
    found = database_factory("gateway")
    database = Database.connect(found.url, schema=found.schema)
    _META.drop_all(database.write_engine)
    _META.create_all(database.write_engine)
    with database.write_engine.begin() as conn:
        conn.execute(_THING.insert(), [FIRST, {"id": 2, "name": None, "on": None, "price": None, "at": None,
                                               "tags": None, "kind": "plain"}])
    yield database
    _META.drop_all(database.write_engine)
    database.dispose()


def core_rows(db: Database, statement, params=None) -> list:
    with db.write_engine.connect() as connection:
        return connection.execute(statement, params or {}).all()


@pytest.mark.parametrize(("statement", "params"), [(_BY_ID, {"b_id": 1}), (_BY_ID, {"b_id": 2}),
                                                   (_BY_ID, {"b_id": 3}), (_ALL, None)])
def test_rows_are_the_core_connections_values_and_names(db, statement, params):
    with db.transaction() as session:
        ours = direct.run(session, statement, params).all()
    assert_rows_as_core(ours, core_rows(db, statement, params))


def test_writes_count_their_rows_return_what_they_say_and_commit_with_the_session(db):
    with db.transaction() as session:
        assert direct.run(session, _RENAME, {"b_id": 1, "v_name": "乙"}).rowcount == 1
        assert direct.run(session, _RENAME, {"b_id": 9, "v_name": "丙"}).rowcount == 0
        made = direct.run(session, _INSERT, {"id": 5, "name": "丁", "kind": "spare"}).scalar_one()
        direct.run_many(session, insert(_THING), [{"id": 6, "name": "戊", "kind": "x"},
                                                  {"id": 7, "name": "己", "kind": "y"}])
        assert direct.run(session, text("SELECT count(*) AS n FROM direct_thing")).scalar() == 5
    assert made == 5
    assert [(row.id, row.name) for row in core_rows(db, select(_THING).order_by(_THING.c.id))] == [
        (1, "乙"), (2, None), (5, "丁"), (6, "戊"), (7, "己")]


def test_a_column_default_is_still_made(db):
    """`kind` has a default SQLAlchemy makes at execution: that INSERT runs through SQLAlchemy."""
    with db.transaction() as session:
        direct.run(session, _INSERT, {"id": 8, "name": "庚"})
    assert core_rows(db, _BY_ID, {"b_id": 8})[0].kind == "plain"


def test_the_sessions_pending_changes_are_flushed_first_as_its_own_execute_would(db):
    row = ApiKey(id="direct-1", name="n", role="station", warehouses="", key_hash="h",
                 created_at=datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    keys = ApiKey.__table__
    with db.transaction() as session:
        session.add(row)
        assert direct.run(session, select(keys.c.id).where(keys.c.id == bindparam("b_id")),
                          {"b_id": "direct-1"}).scalar() == "direct-1"


def test_a_refused_write_is_sqlalchemys_error_and_nothing_is_written(db):
    with pytest.raises(IntegrityError), db.transaction() as session:
        direct.run(session, _RENAME, {"b_id": 1, "v_name": "辛"})
        direct.run(session, _INSERT, {"id": 1, "name": "again", "kind": "x"})
    assert core_rows(db, _BY_ID, {"b_id": 1})[0].name == "甲"


def test_listeners_see_each_statement(db):
    seen = []
    direct.listeners.append(seen.append)
    try:
        with db.transaction() as session:
            direct.run(session, _BY_ID, {"b_id": 1})
            direct.run_many(session, insert(_THING), [{"id": 9, "name": "x", "kind": "x"}])
    finally:
        direct.listeners.remove(seen.append)
    assert [sql.split()[0] for sql in seen] == ["SELECT", "INSERT"]


def test_off_runs_the_same_statements_through_sqlalchemy(db, monkeypatch):
    theirs = tuple(core_rows(db, _BY_ID, {"b_id": 1})[0])
    monkeypatch.setattr(direct, "DIRECT", False)
    with db.transaction() as session:
        assert direct.run(session, _RENAME, {"b_id": 2, "v_name": "壬"}).rowcount == 1
        assert direct.run(session, _BY_ID, {"b_id": 1}).one() == theirs


def test_a_connection_the_server_ended_is_never_used_again(db):
    if db.dialect != "postgresql":
        pytest.skip("a server that ends a connection: PostgreSQL")
    with pytest.raises(DBAPIError) as refused, db.transaction() as session:
        pid = direct.run(session, text("SELECT pg_backend_pid() AS pid")).scalar()
        with db.write_engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            other.commit()
        direct.run(session, _BY_ID, {"b_id": 1})
    assert refused.value.connection_invalidated
    for _ in range(3):  # whichever pooled connection comes next works
        with db.transaction() as session:
            assert direct.run(session, _BY_ID, {"b_id": 1}).one().name == "甲"


def test_a_session_committed_midway_runs_its_next_statements_in_its_next_transaction(db):
    with pytest.raises(RuntimeError), db.transaction() as session:
        direct.run(session, _RENAME, {"b_id": 1, "v_name": "first"})
        session.commit()
        direct.run(session, _RENAME, {"b_id": 2, "v_name": "second"})
        raise RuntimeError("rolled back")
    assert [row.name for row in core_rows(db, select(_THING).order_by(_THING.c.id))] == ["first", None]


# --- `later`: writes whose rows are not read, sent with the next statement or the COMMIT -------------------

def _missing(count: int) -> None:
    if count != 1:
        raise RuntimeError("the row is not there")


@pytest.fixture
def round_trips(db, tmp_path):
    """The round trips to PostgreSQL of the connections checked out from now (libpq's trace: the server's
    ReadyForQuery ends each). SQLite: no round trips to count (None)."""
    if db.dialect != "postgresql":
        yield None
        return
    trace = tmp_path / "libpq.trace"
    handle = trace.open("w")
    traced = []

    def _on_checkout(dbapi_connection, _record, _proxy):
        dbapi_connection.pgconn.trace(handle.fileno())
        traced.append(dbapi_connection)

    from sqlalchemy import event
    event.listen(db.write_engine, "checkout", _on_checkout)

    def count() -> int:
        for connection in traced:  # libpq writes its trace through its own buffer: flushed by untrace
            if not connection.closed:
                connection.pgconn.untrace()
        traced.clear()
        return sum(1 for line in trace.read_text().splitlines() if "\tReadyForQuery\t" in line)

    yield count
    event.remove(db.write_engine, "checkout", _on_checkout)
    for connection in traced:
        if not connection.closed:
            connection.pgconn.untrace()
    handle.close()


def test_later_writes_are_made_in_order_seen_by_the_next_statement_and_committed(db, round_trips):
    with db.transaction() as session:
        direct.later(session, _RENAME, {"b_id": 1, "v_name": "一"})
        direct.later(session, insert(_THING), {"id": 10, "name": "十", "kind": "x"})
        direct.later(session, _RENAME, {"b_id": 10, "v_name": "十一"})
        seen = direct.run(session, select(_THING.c.id, _THING.c.name).order_by(_THING.c.id)).all()
        direct.later_many(session, insert(_THING), [{"id": 11, "name": "a", "kind": "x"},
                                                    {"id": 12, "name": "b", "kind": "x"}])
        direct.later(session, _RENAME, {"b_id": 2, "v_name": "二"})
    trips = round_trips and round_trips()
    assert [tuple(row) for row in seen] == [(1, "一"), (2, None), (10, "十一")]
    assert [(row.id, row.name) for row in core_rows(db, select(_THING).order_by(_THING.c.id))] == [
        (1, "一"), (2, "二"), (10, "十一"), (11, "a"), (12, "b")]
    if round_trips is not None:
        # BEGIN; the three writes with the SELECT; the other three with the COMMIT (one at a time: nine).
        assert trips == 3


def test_a_later_write_with_a_check_leaves_the_commit_its_own_trip(db, round_trips):
    with db.transaction() as session:
        direct.later(session, _RENAME, {"b_id": 1, "v_name": "一"}, check=_missing)
    trips = round_trips and round_trips()
    assert core_rows(db, _BY_ID, {"b_id": 1})[0].name == "一"
    if round_trips is not None:
        assert trips == 3  # BEGIN; the write, its count checked; COMMIT


def test_a_later_write_refused_at_the_commit_fails_the_transaction_and_nothing_is_written(db):
    with pytest.raises(IntegrityError), db.transaction() as session:
        direct.later(session, _RENAME, {"b_id": 1, "v_name": "辛"})
        direct.later(session, insert(_THING), {"id": 1, "name": "again", "kind": "x"})
    assert core_rows(db, _BY_ID, {"b_id": 1})[0].name == "甲"


def test_a_later_write_refused_is_raised_by_the_next_statement(db):
    with pytest.raises(IntegrityError), db.transaction() as session:
        direct.later(session, insert(_THING), {"id": 2, "name": "again", "kind": "x"})
        direct.run(session, _BY_ID, {"b_id": 1})
        pytest.fail("the refused write was not raised")
    assert core_rows(db, _BY_ID, {"b_id": 2})[0].name is None


def test_a_check_that_fails_refuses_the_commit(db):
    with pytest.raises(RuntimeError, match="not there"), db.transaction() as session:
        direct.later(session, _RENAME, {"b_id": 1, "v_name": "壬"})
        direct.later(session, _RENAME, {"b_id": 99, "v_name": "癸"}, check=_missing)
    assert core_rows(db, _BY_ID, {"b_id": 1})[0].name == "甲"


def test_a_rollback_drops_what_later_holds(db):
    with pytest.raises(RuntimeError), db.transaction() as session:
        direct.later(session, _RENAME, {"b_id": 1, "v_name": "dropped"})
        raise RuntimeError("rolled back")
    for _ in range(3):  # the next transactions, on whichever pooled connection, through SQLAlchemy alone
        with db.transaction() as session:
            session.execute(_RENAME, {"b_id": 2, "v_name": "kept"})
    assert [row.name for row in core_rows(db, select(_THING).order_by(_THING.c.id))] == ["甲", "kept"]


def test_a_statement_through_sqlalchemy_after_later_writes_comes_after_them(db):
    row = ApiKey(id="direct-2", name="n", role="station", warehouses="", key_hash="h",
                 created_at=datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    with db.transaction() as session:
        direct.later(session, insert(_THING), {"id": 20, "name": "new", "kind": "x"})
        assert session.execute(_RENAME, {"b_id": 20, "v_name": "renamed"}).rowcount == 1
        direct.later(session, _RENAME, {"b_id": 1, "v_name": "乙"})
        session.add(row)  # the ORM's flush at the commit
    assert core_rows(db, _BY_ID, {"b_id": 20})[0].name == "renamed"
    assert core_rows(db, _BY_ID, {"b_id": 1})[0].name == "乙"


@pytest.mark.parametrize("name", ["it's", "$$ %s %%", "back\\slash", "甲乙\n丙", "", "O'Brien's \"x\""])
def test_values_written_later_read_back_as_written(db, name):
    values = {"name": name, "on": date(2024, 2, 29), "price": Decimal("-0.05"),
              "at": datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "tags": ["'", {"$$": "\\"}], "kind": "k"}
    with db.transaction() as session:
        direct.later(session, insert(_THING), {"id": 30, **values})
        direct.run(session, insert(_THING), {"id": 31, **values})
    made, written = core_rows(db, select(_THING).where(_THING.c.id.in_([30, 31])).order_by(_THING.c.id))
    assert tuple(made)[1:] == tuple(written)[1:] == tuple(values.values())


def test_listeners_see_later_writes_when_made(db):
    seen = []
    direct.listeners.append(seen.append)
    try:
        with db.transaction() as session:
            direct.later(session, _RENAME, {"b_id": 1, "v_name": "x"})
            direct.later_many(session, insert(_THING), [{"id": 40, "name": "y", "kind": "x"},
                                                        {"id": 41, "name": "z", "kind": "x"}])
    finally:
        direct.listeners.remove(seen.append)
    assert [sql.split()[0] for sql in seen] == ["UPDATE", "INSERT"]


def test_on_an_engine_without_the_hooks_later_writes_at_once(db):
    """An engine made elsewhere than shared.db (a tool's, a test's) never holds a write it would not send."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    plain = create_engine(db.write_engine.url,
                          connect_args={"options": f"-c search_path={db.schema}"} if db.schema else {})
    try:
        with Session(plain) as session, session.begin():
            direct.later(session, _RENAME, {"b_id": 1, "v_name": "at once"})
            assert direct.run(session, _BY_ID, {"b_id": 1}).one().name == "at once"
        assert core_rows(db, _BY_ID, {"b_id": 1})[0].name == "at once"
    finally:
        plain.dispose()


def test_a_value_the_driver_cannot_write_later_is_sqlalchemys_error_and_nothing_is_written(db):
    if db.dialect != "postgresql":
        pytest.skip("a value PostgreSQL's text cannot hold (NUL)")
    from sqlalchemy.exc import DataError

    with pytest.raises(DataError), db.transaction() as session:
        direct.later(session, _RENAME, {"b_id": 2, "v_name": "first"})
        direct.later(session, _RENAME, {"b_id": 1, "v_name": "nul\x00"})
    assert [row.name for row in core_rows(db, select(_THING).order_by(_THING.c.id))] == ["甲", None]


def test_a_later_write_refused_before_a_statement_through_sqlalchemy_is_raised_by_it(db):
    with pytest.raises(IntegrityError), db.transaction() as session:
        direct.later(session, _RENAME, {"b_id": 2, "v_name": "first"})
        direct.later(session, insert(_THING), {"id": 1, "name": "again", "kind": "x"})
        session.execute(_RENAME, {"b_id": 1, "v_name": "never"})
        pytest.fail("the refused write was not raised")
    assert [row.name for row in core_rows(db, select(_THING).order_by(_THING.c.id))] == ["甲", None]
