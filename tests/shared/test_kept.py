"""shared/kept.py: on SQLite each thread's write transactions run on one connection the thread keeps, made by
the write engine (its hooks: BEGIN IMMEDIATE), committed or rolled back whole as before; PostgreSQL keeps its
pool."""

import sqlite3
import threading

import pytest
from sqlalchemy import text

from shared import kept
from shared.db import Database


@pytest.fixture
def db(database_factory):
    found = database_factory("gateway")
    database = Database.connect(found.url, schema=found.schema)
    with database.write_engine.begin() as connection:
        connection.execute(text("CREATE TABLE kept_probe (v INTEGER)"))
    yield database
    with database.write_engine.begin() as connection:
        connection.execute(text("DROP TABLE kept_probe"))
    database.dispose()


def values(db) -> list[int]:
    with db.read_engine.connect() as connection:
        return [v for (v,) in connection.execute(text("SELECT v FROM kept_probe ORDER BY v"))]


def test_sqlite_keeps_one_write_connection_per_thread_and_postgresql_its_pool(db):
    if db.dialect != "sqlite":
        assert db._kept is None  # noqa: SLF001
        return
    seen = []
    for n in (1, 2, 3):
        with db.transaction() as session:
            session.execute(text("INSERT INTO kept_probe (v) VALUES (:v)"), {"v": n})
            seen.append(session.connection().connection.driver_connection)
    assert seen[0] is seen[1] is seen[2]
    assert db.write_engine.pool.checkedout() == 1  # the kept one, never given back between transactions
    others = []
    thread = threading.Thread(target=lambda: others.append(db._kept.bind().connection.driver_connection))  # noqa: SLF001
    thread.start()
    thread.join()
    assert others[0] is not seen[0]
    assert values(db) == [1, 2, 3]


def test_a_transaction_that_fails_leaves_nothing_and_the_next_one_runs(db):
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.execute(text("INSERT INTO kept_probe (v) VALUES (1)"))
        raise RuntimeError("refused")
    with db.transaction() as session:
        session.execute(text("INSERT INTO kept_probe (v) VALUES (2)"))
    assert values(db) == [2]


def test_the_write_lock_is_taken_at_begin_on_the_kept_connection(db):
    """BEGIN IMMEDIATE (the write engine's hook) still runs: a second writer waits at its BEGIN."""
    if db.dialect != "sqlite":
        pytest.skip("SQLite's write lock")
    with db.transaction() as session:
        session.execute(text("SELECT 1"))
        other = sqlite3.connect(db.url.removeprefix("sqlite:///"), timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def test_a_connection_sqlalchemy_invalidated_or_closed_is_replaced(db):
    if db.dialect != "sqlite":
        pytest.skip("SQLite's kept connection")
    first = db._kept.bind()  # noqa: SLF001
    first.invalidate()
    second = db._kept.bind()  # noqa: SLF001
    assert second is not first and not second.invalidated
    second.close()
    third = db._kept.bind()  # noqa: SLF001
    assert third is not second and not third.closed
    with db.transaction() as session:
        session.execute(text("INSERT INTO kept_probe (v) VALUES (7)"))
    assert values(db) == [7]


def test_a_transaction_left_open_on_the_kept_connection_is_rolled_back_not_joined(db):
    if db.dialect != "sqlite":
        pytest.skip("SQLite's kept connection")
    left = db._kept.bind()  # noqa: SLF001
    left.begin()
    left.execute(text("INSERT INTO kept_probe (v) VALUES (1)"))  # never committed by anyone
    with db.transaction() as session:
        session.execute(text("INSERT INTO kept_probe (v) VALUES (2)"))
    assert values(db) == [2]  # the new transaction committed its own row, and only that


def test_off_checks_a_connection_out_per_transaction(db, monkeypatch):
    monkeypatch.setattr(kept, "KEPT", False)
    assert kept.KeptWrites.of(db.write_engine, db.read_engine) is None
