"""PostgreSQL's write transactions on the event loop, over asyncpg (issue 22 items 2-3; `DB_WAIT=greenlet`).

A unit of work's synchronous code (a use case with its Session, the bill's saga steps) runs as SQLAlchemy's
asyncio engine runs synchronous code: in a greenlet on the event loop (shared/uow.py), each statement an
awaited round trip over asyncpg, prepared once per connection. No worker thread, no psycopg. The engine
is SQLAlchemy's asyncpg engine seen through its synchronous face (`AsyncEngine.sync_engine`), so a Session,
the ORM's flush, shared/direct.py's statements and shared/dbfaults.py's reading of errors are what they
are on psycopg: the same SQL (compiled for this dialect), the same SQLSTATEs (asyncpg's, kept as `sqlstate`).

- The transaction's deadline is its `SET LOCAL statement_timeout`, as on psycopg (shared/db.py's hook).
- A connection the server ended while it sat in the pool is dropped at checkout (a poll of its socket, no
  round trip), as shared/db.py does for psycopg's, so a restart between requests is not seen.
- Work that runs in a worker thread (`uow.call_in_thread`: the import) keeps psycopg's engine: this one
  is only used inside the event loop's greenlets (`shared.db.Database.transaction`).
"""

import contextlib
import os
import socket
import weakref

import asyncpg
from sqlalchemy import Engine, event, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util.concurrency import await_only

from shared import deadline, direct
from shared.native import CONNECT_SECONDS, hung_up

# The asyncpg connections each engine opened, for `terminate`.
_made: "weakref.WeakKeyDictionary[Engine, weakref.WeakSet]" = weakref.WeakKeyDictionary()


def create_loop_engine(url: str, *, schema: str | None, pool_size: int) -> AsyncEngine:
    """An asyncpg engine to `url` and `schema`, whose synchronous face (`sync_engine`) is for use inside greenlets
    only; disposed of (`await engine.dispose()`) in the event loop that used it."""
    parsed = make_url(url)
    # The URL's own query (sslmode, application_name) is asyncpg's to read from the DSN, as shared/native.py's
    # pool reads it: what libpq names it takes, the rest it sends as the server's settings. Quotes doubled are
    # the whole of a string literal's escaping only with standard_conforming_strings (shared/literals.py): set.
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    settings = {"standard_conforming_strings": "on"}
    if schema:
        settings["search_path"] = schema
    async_url = parsed.set(drivername="postgresql+asyncpg", query={})

    async def connect() -> asyncpg.Connection:
        try:
            return await asyncpg.connect(dsn, timeout=CONNECT_SECONDS, server_settings=settings)
        except (OSError, TimeoutError) as exc:  # refused, reset, unreachable: psycopg's OperationalError
            raise made.dialect.loaded_dbapi.OperationalError(f"{type(exc).__name__}: {exc}", exc) from exc

    made = create_async_engine(async_url, async_creator=connect, pool_size=pool_size, max_overflow=10)
    engine = made.sync_engine

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        _begin(connection)

    direct.hold_later_statements(engine, _send)

    made_here = _made[engine] = weakref.WeakSet()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        made_here.add(dbapi_connection.driver_connection)

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, _record, _proxy) -> None:
        if hung_up(dbapi_connection.driver_connection):
            raise DisconnectionError("the server ended this connection while it was idle")

    return made


def terminate(made: AsyncEngine) -> None:
    """Every connection `made` opened, closed at once without the event loop (`Database.dispose`, which is not
    async: a test's database, a tool's): SQLAlchemy's own dispose closes them through an awaitable, which
    needs the loop that made them, and leaves them open on the server without it. `await made.dispose()` in
    that loop is the graceful way (the app's shutdown)."""
    for connection in list(_made.pop(made.sync_engine, ())):
        if connection.is_closed():
            continue
        transport = connection._transport  # noqa: SLF001
        sock = transport.get_extra_info("socket") if transport is not None else None
        try:
            connection.terminate()
        except RuntimeError:  # its event loop is closed: the connection is shut down under it
            if sock is not None:
                with contextlib.suppress(OSError), socket.socket(fileno=os.dup(sock.fileno())) as alias:
                    alias.shutdown(socket.SHUT_RDWR)  # the server sees the end and ends its side


def _begin(connection) -> None:
    """BEGIN, and the deadline's `SET LOCAL statement_timeout`, in ONE round trip (the simple protocol), where
    SQLAlchemy's adapter would send asyncpg's BEGIN alone, then prepare and run the setting (whose text differs
    each time, so each is a statement prepared anew, pushing the service's own out of the connection's cache).
    The adapter then holds the transaction as one it began: its commit and rollback end it."""
    adapted = connection.connection.dbapi_connection
    if adapted._transaction is not None:  # noqa: SLF001
        return
    sql = "BEGIN"
    if deadline.remaining() is not None:
        sql = f"BEGIN; SET LOCAL statement_timeout = {deadline.budget_ms(3_600_000)}"
    _simple(connection, sql)
    adapted._transaction = _Begun(adapted.driver_connection)  # noqa: SLF001


def _send(connection, pending: list, *, last: tuple | None = None, commit: bool = False, cursor=None):
    """What `later` holds (statements with their values written in: shared/literals.py), and the COMMIT, as ONE
    query of the simple protocol; then `last` (its SQL and arguments) on `cursor`, answered."""
    batch = [sql for sql, _args, _check in pending]
    pending.clear()
    if commit:
        batch.append("COMMIT")
    _simple(connection, "; ".join(batch))  # after a COMMIT the server says none is open: nothing left to commit
    if last is None:
        return None
    cursor.execute(*last)
    return cursor


def _simple(connection, sql: str) -> None:
    """`sql` (one or more statements without parameters) in one round trip, its error SQLAlchemy's."""
    adapted = connection.connection.dbapi_connection
    try:
        try:
            await_only(adapted.driver_connection.execute(sql))
        except Exception as error:  # noqa: BLE001 (the adapter raises it as the DB-API's error)
            adapted._handle_exception(error)  # noqa: SLF001
    except connection.dialect.loaded_dbapi.Error as exc:
        raise direct.failed(connection, sql, None, exc, None) from exc


class _Begun:
    """A transaction begun by `_begin`, as the adapter ends one of asyncpg's."""

    __slots__ = ("driver",)

    def __init__(self, driver) -> None:
        self.driver = driver

    async def commit(self) -> None:
        if self.driver.is_in_transaction():  # not when `_send` sent the COMMIT with what `later` held
            await self.driver.execute("COMMIT")

    async def rollback(self) -> None:
        if not self.driver.is_closed():
            await self.driver.execute("ROLLBACK")
