"""The hot reads on SQLite straight on sqlite3 (issue 22 item 2: a read without an ORM session, and
without SQLAlchemy's execution either, whose connection checkout, events, compiled-cache lookup and result
machinery cost more than the statement itself).

Each thread that reads keeps one connection of its own to the service's file, made by the read engine (so
with its hooks: WAL, foreign keys; pysqlite's transaction handling off), never returned to the pool. A read
is BEGIN, its statements, COMMIT, as the engine's read transaction is, a lock waited for no longer than the
request has left, as there. Each statement is compiled once per process with the engine's dialect
(shared/compiled.py) and keeps its bind and result processors, so its rows have the values and the names a
Core connection gives (dates, Decimals, aware UTC timestamps). A hot read's function runs on it unchanged:
`execute(statement, params)` answers `first`, `one`, `all`, `scalar` and their like, all a hot read uses.
A driver error is SQLAlchemy's DBAPIError, as shared/dbfaults.py reads it. `DB_RAW_READS=off` reads
through SQLAlchemy instead (to compare).
"""

import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.sql import ClauseElement

from shared import deadline
from shared.compiled import Kept, Statement

COMPILED_KEPT = 256


class Rows(list):
    """A statement's rows, with the Result methods the hot reads use."""

    def first(self):
        return self[0] if self else None

    def one(self):
        if len(self) != 1:
            raise NoResultFound("No row was found") if not self else MultipleResultsFound("Multiple rows")
        return self[0]

    def all(self) -> list:
        return list(self)

    def one_or_none(self):
        return None if not self else self.one()

    def scalar(self):
        return self[0][0] if self else None

    def scalar_one(self):
        return self.one()[0]


class Reader:
    """Statements on one thread's connection, inside the read transaction RawReads.reading opened."""

    __slots__ = ("_raw", "_reads")

    def __init__(self, raw: sqlite3.Connection, reads: "RawReads") -> None:
        self._raw, self._reads = raw, reads

    def execute(self, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> Rows:
        compiled = self._reads.compiled(statement)
        try:
            cursor = self._raw.execute(compiled.sql, compiled.args(params or {}))
            records = cursor.fetchall()
        except sqlite3.Error as exc:
            raise DBAPIError.instance(compiled.sql, params, exc, sqlite3.Error) from exc
        return Rows(compiled.rows(records, lambda: [column[0] for column in cursor.description]))


class RawReads:
    """The read engine's file, read on a connection per thread (see the module's docstring)."""

    def __init__(self, engine: Engine, busy_ms: int) -> None:
        self.engine, self.busy_ms = engine, busy_ms
        self._local = threading.local()
        self._compiled = Kept(COMPILED_KEPT)

    def compiled(self, statement: ClauseElement) -> Statement:
        found = self._compiled.get(statement)
        if found is None:
            found = self._compiled.keep(statement, Statement.of(statement, self.engine.dialect, results=True))
        return found

    def _connection(self) -> sqlite3.Connection:
        raw = getattr(self._local, "raw", None)
        if raw is None:
            pooled = self.engine.raw_connection()  # the engine's connect hooks run on it
            raw = pooled.driver_connection
            pooled.detach()  # this thread's for good
            self._local.raw = raw
        return raw

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        raw = self._connection()
        try:  # a lock waited for no longer than the request has left
            raw.execute(f"PRAGMA busy_timeout={deadline.budget_ms(self.busy_ms)}")
            raw.execute("BEGIN")
            yield Reader(raw, self)
            raw.execute("COMMIT")
        except sqlite3.Error as exc:
            raise DBAPIError.instance("BEGIN", None, exc, sqlite3.Error) from exc
        finally:
            if raw.in_transaction:
                raw.rollback()

    def close(self) -> None:
        """This thread's connection closed (the others close with their threads)."""
        raw = getattr(self._local, "raw", None)
        if raw is not None:
            self._local.raw = None
            raw.close()
