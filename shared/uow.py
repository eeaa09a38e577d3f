"""The one way a request's code gets a transaction, the same in every service and the gateway.

- A plain endpoint: `await uow.read(fn, ...)` or `await uow.write(fn, ...)` runs the use case
  `fn(session, ...)` in one transaction, committed when it returns and rolled back if it raises.
  Use cases take the session first and flush; they never commit.
- A hot read (shared/operations.py, `hot=True`): `await uow.read_rows(fn, ...)` runs `fn(connection, ...)`
  on a Core connection in one read transaction, the same engine and hooks without the ORM Session; on
  PostgreSQL over asyncpg on the event loop (shared/native_read.py).
- A native write (PostgreSQL, `db.native`): `await uow.alone(statement, params)` runs one Core statement
  that is all or nothing by itself as its own transaction over asyncpg, on the event loop, in one round
  trip (shared/native.py): no worker thread, no psycopg, no BEGIN or COMMIT. Used where `make bench` says
  it pays (a reservation).
- Explicit units of work (idempotent requests, the billing saga's steps, the import's chunks,
  background loops): `await uow.call(fn, ...)` runs synchronous code that opens its own
  `db.transaction()` blocks, each one commit. `uow.call_in_thread(fn, ...)` is the same for work
  that takes seconds (the import): always in a worker thread, so the process keeps answering.

Where that synchronous code runs is chosen per process by the database (`DB_WAIT`, a
measurement knob; docs/performance.md has the figures):

- `greenlet` (the default on PostgreSQL): in a greenlet on the event loop, as SQLAlchemy's asyncio
  layer runs synchronous code; `db.transaction()` there is on asyncpg (shared/loop_engine.py) and each
  statement an awaited round trip, so no database wait holds the event loop. At most `DB_THREADS` units
  at once per process.
- `thread`: in a worker thread on psycopg, at most `DB_THREADS` at once (the default on PostgreSQL
  until 2026-12-08, kept to compare).
- `loop` (the default on SQLite): on the event loop. A SQLite statement costs microseconds,
  and a hop to a thread costs more than the wait it would free.

The request's context (its deadline, request id and log fields) goes with it into the thread or greenlet.
"""

import asyncio
import functools
import os
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from sqlalchemy.util.concurrency import greenlet_spawn

from shared.db import POOL_SIZE, Database

if TYPE_CHECKING:
    from shared.compiled import Statement

T = TypeVar("T")
MODES = ("loop", "thread", "greenlet")
# Units that wait on the database at once, per process (threads or greenlets): fewer than the pool's
# connections, and few enough that the one holding a row lock gets the process back quickly to COMMIT. Four,
# measured against 2, 8 and 16 on the PostgreSQL bill (docs/performance.md, "Four database threads per process").
THREADS = int(os.environ.get("DB_THREADS", str(min(4, POOL_SIZE))))
# A measurement knob, as DB_WAIT: `off` runs the hot reads on PostgreSQL through SQLAlchemy in a thread.
NATIVE_READS = os.environ.get("DB_NATIVE_READS", "asyncpg") != "off"


def mode(dialect: str) -> str:
    """`DB_WAIT` if set; else what `make bench` measured fastest for the database."""
    chosen = os.environ.get("DB_WAIT", "")
    if chosen in MODES:
        return chosen
    return "greenlet" if dialect == "postgresql" else "loop"


class Fallback(Exception):  # noqa: N818 (not an error: a signal to the adapter)
    """Raised by an operation's native path (shared/operations.py, `native=`) when the request is one it
    leaves to the use case (a rare branch): its statement changed nothing, the use case then runs as ever."""


class UnitOfWork:
    def __init__(self, db: Database, *, wait: str | None = None, threads: int = THREADS) -> None:
        self.db = db
        self.wait = wait or mode(db.dialect)
        if self.wait == "greenlet" and db.dialect != "postgresql":  # no engine of SQLite's awaits: the loop
            self.wait = "loop"
        self.threads = threads
        self._limiter: CapacityLimiter | None = None

    async def read(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(session, *args, **kwargs)` in a read transaction."""
        return await self.call(self._in_transaction, False, fn, args, kwargs)

    async def write(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(session, *args, **kwargs)` in a write transaction (on SQLite it takes the write lock at BEGIN)."""
        return await self.call(self._in_transaction, True, fn, args, kwargs)

    async def read_rows(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(connection, *args, **kwargs)` in a read transaction on a Core connection: a hot read
        (shared/operations.py) that runs Core statements only and needs no ORM Session around them."""
        if NATIVE_READS and self.db.native:  # PostgreSQL: over asyncpg on the event loop
            from shared.native_read import read  # here: a process on SQLite never loads asyncpg

            return await _finished(read(self.db.native_statements(), fn, args, kwargs))
        return await self.call(self._on_connection, fn, args, kwargs)

    @property
    def native(self) -> bool:
        return self.db.native

    async def alone(self, statement: "Statement", params: Mapping[str, Any]) -> list:
        """The rows of `statement`, one that is all or nothing by itself, run alone over asyncpg (only when
        `native`: shared/native.py). Finished before the request stops, as a unit in a thread is: a
        cancellation meanwhile waits for it, so nothing goes on after the answer."""
        return await _finished(self.db.native_statements().fetch(statement, params))

    async def together(self, statement: "Statement", params: Mapping[str, Any], order: Any, *,
                       among: Hashable = None) -> list:
        """`alone`'s rows, the statement sent with the same statement (and `among`) of this process's other
        requests waiting at that moment, in `order` (the order of the row locks it takes):
        Native.fetch_together."""
        return await _finished(self.db.native_statements().fetch_together(statement, params, order, among=among))

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Synchronous code that opens its own transactions, the event loop free while the database waits."""
        if self.wait == "thread":
            return await self.call_in_thread(fn, *args, **kwargs)
        if self.wait == "greenlet":
            async with self._limited():
                return await _finished(greenlet_spawn(fn, *args, **kwargs))
        return fn(*args, **kwargs)

    async def call_in_thread(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Work that takes seconds of CPU (an import of 100 000 units): in a worker thread on every
        database, so the process keeps answering other requests meanwhile, SQLite included."""
        # A unit once started is finished before the request stops: a thread cannot be interrupted, so
        # when the request is cancelled meanwhile (its deadline: shared/middleware.py) it waits for the
        # thread, and nothing goes on after the answer, as on the loop, where nothing interrupts a step.
        work = functools.partial(fn, *args, **kwargs)
        return await _finished(anyio.to_thread.run_sync(work, limiter=self._limited()))

    def _limited(self) -> CapacityLimiter:
        """The bound on the units this process runs on the database at once, made inside the event loop that
        uses it."""
        if self._limiter is None:
            self._limiter = CapacityLimiter(self.threads)
        return self._limiter

    def _in_transaction(self, write: bool, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        with self.db.transaction(write=write) as session:
            return fn(session, *args, **kwargs)

    def _on_connection(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        with self.db.reading() as connection:
            return fn(connection, *args, **kwargs)


async def _finished(work: Awaitable[T]) -> T:
    """`work`'s result; when the caller is cancelled meanwhile, `work` is still finished first."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait({task})
        if not task.cancelled():
            task.exception()  # seen: the cancellation is what goes on
        raise
