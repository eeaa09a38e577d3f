"""Engines and the one-transaction-per-request session of a service.

SQLite: WAL, foreign keys on, a busy timeout, and write transactions that take
the write lock at BEGIN (BEGIN IMMEDIATE), so that two processes never both
read-then-upgrade and fail. PostgreSQL: each service in a schema of its own.

On PostgreSQL a service may also run a statement that is all or nothing by itself straight over asyncpg
(`Database.native`, shared/native.py): the same server and schema, one round trip, measured to cost less
than psycopg in a worker thread (docs/performance.md; `DB_NATIVE=off` turns it off to compare). A unit of
work run in a greenlet on the event loop (shared/uow.py's default there) has its transactions on asyncpg
too (shared/loop_engine.py); psycopg's engine serves the rest (the import's worker thread, the tools).

A request's deadline (shared/deadline.py) bounds its database work: each
transaction waits for a lock (SQLite) or runs a statement (PostgreSQL, SET
LOCAL statement_timeout) no longer than the time left, and a unit of work
whose deadline has passed rolls back instead of committing.
"""

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import (
    DateTime,
    Engine,
    MetaData,
    TypeDecorator,
    bindparam,
    create_engine,
    event,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.util.concurrency import in_greenlet

from shared import deadline, direct, pg_engine
from shared.kept import KeptWrites
from shared.rawread import RawReads, Reader

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from shared.native import Native

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC, also on SQLite (which drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: timestamps are stored in UTC with their zone")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, _dialect):
        return None if value is None else value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def one_of(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint's text: `column` holds one of `values`."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def get_or_raise(session: Session, model: type[T], key, *, missing: Exception) -> T:
    """The row of `model` with primary key `key`, or `missing` raised (the service's own not-found)."""
    row = session.get(model, key)
    if row is None:
        raise missing
    return row


def in_force(session: Session, model: type[T], at, *, newer, missing: Exception | None = None) -> T | None:
    """The version of `model` in force at `at`: the latest whose `effective_from` has come, the `newer`
    column (its version or id) deciding between two of the same day. None when none has come yet, or
    `missing` raised when given. (A rate card, the desk's commitments, a warranty policy.)"""
    found = session.scalars(
        select(model).where(model.effective_from <= at).order_by(model.effective_from.desc(), newer.desc()).limit(1)
    ).first()
    if found is None and missing is not None:
        raise missing
    return found


class RowWriter:
    """An UPDATE of some columns of one row of `model`, found by its primary key, built once; `write` runs it
    and puts the values on the loaded object as its row now holds them, so the ORM has nothing left to flush
    for them (no unit-of-work flush on a hot step: one prebuilt statement, as the ORM's would be). The object
    may also be a plain one holding the row's columns (`loaded`): the values are then set on it.

    The object must have no other unflushed change to these columns' rows that a flush would write after."""

    def __init__(self, model: type, *names: str) -> None:
        table = model.__table__
        (key,) = table.primary_key.columns
        self.key, self.names = key.key, names
        self.statement = (update(table).where(key == bindparam("b_key"))
                          .values({table.c[name]: bindparam(f"v_{name}") for name in names}))

    def write(self, session: Session, row, **values) -> None:
        if values.keys() != set(self.names):
            raise ValueError(f"RowWriter writes {self.names}, given {tuple(values)}")
        params = {f"v_{name}": value for name, value in values.items()}
        params["b_key"] = getattr(row, self.key)
        direct.later(session, self.statement, params, check=direct.one_row(type(row).__name__, params["b_key"]))
        put = set_committed_value if hasattr(row, "_sa_instance_state") else setattr
        for name, value in values.items():
            put(row, name, value)


def loaded(row) -> SimpleNamespace | None:
    """A row read by a Core statement as a plain object with its columns as attributes, changed by
    `RowWriter` only: what a hot step reads and writes without the ORM loading an object for it."""
    return SimpleNamespace(**row._asdict()) if row is not None else None


def add_new(session: Session, row, *, exists: Exception):
    """Insert `row`, raising `exists` when its key is taken, also by a concurrent insert."""
    key = inspect(type(row)).primary_key_from_instance(row)
    if session.get(type(row), key) is not None:
        raise exists
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # inserted by a concurrent request since the check above
        raise exists from None
    return row


def make_base() -> type[DeclarativeBase]:
    """A declarative base with its own MetaData, one per service."""

    class Base(DeclarativeBase):
        metadata = MetaData(naming_convention=NAMING_CONVENTION)

    return Base


SQLITE_BUSY_MS = 30_000
POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "20"))


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_db_engine(url: str, *, schema: str | None = None, immediate: bool = False) -> Engine:
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine, begin="BEGIN IMMEDIATE" if immediate else "BEGIN")
        return engine
    connect_args = {"connect_timeout": 5}
    if schema:
        connect_args["options"] = f"-c search_path={schema}"
    # As many connections as threads can wait on the database at once (shared/dbwait.py),
    # plus the event loop's own: a connection opened and closed per request (overflow)
    # cost more than the request's statements.
    engine = create_engine(url, connect_args=connect_args, pool_size=POOL_SIZE, max_overflow=10)
    pg_engine.bound_statements(engine)
    pg_engine.recover_dead_connections(engine)
    direct.send_later_statements(engine)
    return engine


def _configure_sqlite(engine: Engine, *, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Take transaction control away from pysqlite so that BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # Wait for the write lock no longer than the request has left (an in-process setting, no I/O).
        # Straight on the driver's connection: two statements that return nothing need none of the
        # engine's execution machinery (its events, compiled cache and result), which cost more than both.
        # A refusal (the write lock not had in time) is still the engine's DBAPIError, as shared/dbfaults.py reads it.
        dbapi_connection = connection.connection.driver_connection
        try:
            dbapi_connection.execute(f"PRAGMA busy_timeout={deadline.budget_ms(SQLITE_BUSY_MS)}")
            dbapi_connection.execute(begin)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(begin, None, exc, sqlite3.Error) from exc


def unwritable(session: Session) -> str | None:
    """Why the database would refuse a write now, or None; cheap, and writes nothing (readiness).

    PostgreSQL: a standby (in recovery) or a read-only default for the session's transactions.
    SQLite: the file, or its directory (the WAL and shared-memory files go there), not writable.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        standby, read_only = session.execute(
            text("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")
        ).one()
        if standby:
            return "the database is a standby (in recovery)"
        return "the database is read-only" if read_only == "on" else None
    session.execute(text("SELECT 1"))
    path = bind.url.database
    if not path or path == ":memory:":
        return None
    directory_writable = os.access(os.path.dirname(os.path.abspath(path)), os.W_OK)
    # Without a writable directory, SQLite writes only if its WAL and shared-memory files are there, writable.
    companions = ("",) if directory_writable else ("", "-wal", "-shm")
    if not all(os.access(path + suffix, os.W_OK) for suffix in companions):
        return "the database file is read-only"
    return None


NATIVE = os.environ.get("DB_NATIVE", "asyncpg") != "off"  # a measurement knob, as DB_WAIT
RAW_READS = os.environ.get("DB_RAW_READS", "sqlite3") != "off"  # the same: hot reads on SQLite through SQLAlchemy


@dataclass
class Database:
    """The engines of one service: reads, and writes (which lock early on SQLite)."""

    read_engine: Engine
    write_engine: Engine
    url: str | None = None
    schema: str | None = None
    _native: "Native | None" = field(default=None, repr=False)
    _raw_reads: RawReads | None = field(default=None, repr=False)
    _kept: KeptWrites | None = field(default=None, repr=False)  # SQLite's write connection (shared/kept.py)
    _loop: "AsyncEngine | None" = field(default=None, repr=False)  # in the loop's greenlets (shared/loop_engine.py)

    def __post_init__(self) -> None:
        if RAW_READS and self.read_engine.dialect.name == "sqlite":
            self._raw_reads = RawReads(self.read_engine, SQLITE_BUSY_MS)
        self._kept = KeptWrites.of(self.write_engine, self.read_engine)

    @classmethod
    def connect(cls, url: str, *, schema: str | None = None) -> "Database":
        read = create_db_engine(url, schema=schema)
        write = create_db_engine(url, schema=schema, immediate=True) if is_sqlite(url) else read
        return cls(read, write, url, schema)

    @property
    def native(self) -> bool:
        """Whether `native_statements` is there: PostgreSQL, unless `DB_NATIVE=off`."""
        return NATIVE and self._postgresql

    def native_statements(self) -> "Native":
        """The asyncpg pool for statements that run alone (shared/native.py); only when `native` (asyncpg is
        loaded with it: a process on SQLite never loads it)."""
        if self._native is None:
            from shared.native import Native

            self._native = Native(self.url, self.schema, POOL_SIZE + 10)
        return self._native

    @property
    def engines(self) -> set[Engine]:
        """Every engine a transaction of this database may run on (what a test watches)."""
        found = {self.read_engine, self.write_engine}
        if self._postgresql:
            found.add(self._loop_engine())
        return found

    def _on_loop(self) -> bool:
        """Whether this runs in a greenlet on the event loop, on PostgreSQL: then on asyncpg, never psycopg."""
        return in_greenlet() and self._postgresql

    @property
    def _postgresql(self) -> bool:
        """PostgreSQL, with the URL the asyncpg engines connect to."""
        return self.url is not None and self.dialect == "postgresql"

    def _loop_engine(self) -> Engine:
        if self._loop is None:
            from shared.loop_engine import create_loop_engine

            self._loop = create_loop_engine(self.url, schema=self.schema, pool_size=POOL_SIZE)
        return self._loop.sync_engine

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One unit of work: commit when the block ends, roll back on any error,
        and roll back instead of committing once the request's deadline has passed."""
        if self._on_loop():
            bind = self._loop_engine()  # a unit of work on the event loop (DB_WAIT=greenlet: shared/uow.py)
        else:
            bind = (self._kept.bind() if self._kept else self.write_engine) if write else self.read_engine
        session = Session(bind, expire_on_commit=False)
        try:
            yield session
            deadline.check()
            session.commit()
        except DBAPIError as exc:
            session.rollback()
            left = deadline.remaining()
            if left is not None and left <= 0.05:
                # The statement or lock wait was cut short by the deadline, not by a fault.
                raise deadline.DeadlineExceeded() from exc
            raise
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Connection | Reader]:
        """A read transaction on a Core connection, without an ORM Session (the hot reads of
        shared/operations.py): the read engine's hooks at BEGIN and the deadline as `transaction(write=False)`.
        Closing the connection rolls back whatever did not commit. On SQLite straight on sqlite3
        (shared/rawread.py: the same rows, without SQLAlchemy's execution)."""
        try:
            if self._raw_reads is not None:
                with self._raw_reads.reading() as reader:
                    yield reader
                    deadline.check()
                return
            engine = self._loop_engine() if self._on_loop() else self.read_engine
            with engine.connect() as connection:
                yield connection
                deadline.check()
                connection.commit()
        except DBAPIError as exc:
            left = deadline.remaining()
            if left is not None and left <= 0.05:
                raise deadline.DeadlineExceeded() from exc
            raise

    def dispose(self) -> None:
        for kept in (self._raw_reads, self._kept):
            if kept is not None:
                kept.close()
        if self._loop is not None:  # not disposed in its event loop (dispose_native): closed at once
            from shared.loop_engine import terminate

            terminate(self._loop)
            self._loop = None
        self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            self.write_engine.dispose()

    async def dispose_native(self) -> None:
        """The asyncpg connections, closed in the event loop that used them."""
        if self._native is not None:
            await self._native.dispose()
        if self._loop is not None:
            await self._loop.dispose()
            self._loop = None
