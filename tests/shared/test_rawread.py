"""Hot reads on SQLite straight on sqlite3 (shared/rawread.py): the same rows as SQLAlchemy's Core
connection gives (names, dates, Decimals, aware UTC timestamps, NULLs), a thread's connection kept, the
read's transaction ended whatever happens, a driver error as SQLAlchemy's."""

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Column, Date, Integer, MetaData, Numeric, String, Table, bindparam, select, text
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound

from shared.db import Database, UtcDateTime
from shared.rawread import RawReads, Reader

from helpers import assert_rows_as_core

_META = MetaData()
_THING = Table("thing", _META, Column("id", Integer, primary_key=True), Column("name", String(20)),
               Column("on", Date), Column("price", Numeric(10, 2)), Column("at", UtcDateTime))
_BY_ID = select(_THING).where(_THING.c.id == bindparam("id"))
_PRICED = select(_THING.c.id, (_THING.c.price * 2).label("twice"), _THING.c.on.label("day")).order_by(_THING.c.id)


@pytest.fixture
def db(tmp_path):
    database = Database.connect(f"sqlite:///{tmp_path / 'things.db'}")
    _META.create_all(database.write_engine)
    with database.write_engine.begin() as conn:
        conn.execute(_THING.insert(), [
            {"id": 1, "name": "甲", "on": date(2026, 2, 28), "price": Decimal("12.30"),
             "at": datetime(2026, 12, 6, 8, 0, tzinfo=UTC)},
            {"id": 2, "name": None, "on": None, "price": None, "at": None},
        ])
    yield database
    database.dispose()


def core_rows(db: Database, statement, params=None) -> list:
    with db.read_engine.connect() as connection:
        return connection.execute(statement, params or {}).all()


@pytest.mark.parametrize(("statement", "params"), [(_BY_ID, {"id": 1}), (_BY_ID, {"id": 2}), (_BY_ID, {"id": 3}),
                                                   (_PRICED, None)])
def test_rows_are_the_core_connections_values_and_names(db, statement, params):
    with db.reading() as reader:
        assert isinstance(reader, Reader)
        ours = reader.execute(statement, params).all()
    assert_rows_as_core(ours, core_rows(db, statement, params))


def test_result_methods_answer_as_sqlalchemys(db):
    with db.reading() as reader:
        assert reader.execute(_BY_ID, {"id": 1}).first().name == "甲"
        assert reader.execute(_BY_ID, {"id": 1}).one().at == datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
        assert reader.execute(_BY_ID, {"id": 3}).first() is None
        assert reader.execute(_BY_ID, {"id": 3}).one_or_none() is None
        with pytest.raises(NoResultFound):
            reader.execute(_BY_ID, {"id": 3}).one()
        with pytest.raises(MultipleResultsFound):
            reader.execute(_PRICED).one()
        assert reader.execute(text("SELECT :n AS n"), {"n": 4}).scalar_one() == 4
        assert reader.execute(text("SELECT :n AS n"), {"n": 4}).one().n == 4


def test_one_connection_per_thread_kept_and_each_read_its_transaction_ended(db):
    raw_reads: RawReads = db._raw_reads  # noqa: SLF001
    seen = []

    def read():
        for _ in range(2):
            with db.reading() as reader:
                reader.execute(_BY_ID, {"id": 1})
                seen.append(reader._raw)  # noqa: SLF001
            assert not reader._raw.in_transaction  # noqa: SLF001

    read()
    other = threading.Thread(target=read)
    other.start()
    other.join()
    assert seen[0] is seen[1] and seen[2] is seen[3] and seen[0] is not seen[2]
    with pytest.raises(ZeroDivisionError), db.reading() as reader:
        reader.execute(_BY_ID, {"id": 1})
        1 / 0  # noqa: B018 (the caller's own error, inside the read)
    assert not raw_reads._local.raw.in_transaction  # noqa: SLF001


def test_a_driver_error_is_sqlalchemys_and_ends_the_read(db):
    with pytest.raises(DBAPIError) as raised, db.reading() as reader:
        reader.execute(text("SELECT * FROM no_such_table"))
    assert "no_such_table" in str(raised.value.orig)
    with db.reading() as reader:
        assert reader.execute(_BY_ID, {"id": 1}).first().id == 1
