"""One statement on PostgreSQL straight over asyncpg, on the event loop (issue 22 items 2-3).

A hot write whose whole effect is one statement that is all or nothing by itself (a reservation:
services/inventory/reservation_statement.py) needs no transaction around it: PostgreSQL runs a lone
statement as a transaction of its own. So `Native.fetch` sends it in one round trip (asyncpg's extended
protocol, the statement prepared once per connection: Bind, Execute, Sync): no BEGIN, no SET LOCAL, no
COMMIT, and the row locks it takes are held only while the server runs it. No ORM, no SQLAlchemy
execution: the statement is compiled once per process (shared/compiled.py, `Statement.of(statement,
DIALECT)`) with SQLAlchemy's asyncpg dialect, and each request's values go through that dialect's bind
processors (the same values psycopg's path sends).

`Native.fetch_together` sends such statements of this process's requests waiting at the same moment as one
group: one round trip, one transaction (asyncpg's fetchmany: a Bind and Execute each, one Sync), their
row locks taken in order and held by one transaction in turn instead of handed from request to request.
A reservation of one line goes so (a storm on one part: docs/performance.md).

The hot reads go over the same pool (shared/native_read.py).

- The request's deadline bounds it as asyncpg's `timeout` (the server is asked to cancel the statement),
  answered as the thread path answers a statement that ran out of time (deadline.DeadlineExceeded).
- Errors come back as SQLAlchemy's (DBAPIError, IntegrityError for class 23, OperationalError for a lost
  connection; the asyncpg error as `orig`, with its SQLSTATE), so shared/dbfaults.py answers them as it
  answers psycopg's: a restart, a read-only server, a refused connection are 503 `database_busy`.
- A connection the server ended (a restart) is seen closed by asyncpg and replaced at its next acquire,
  so a restart fails only the statements in flight at that moment; the pool opens nothing until used.
- The pool belongs to the event loop that made it (a test that runs a new loop gets a new pool).
"""

import asyncio
import json
import os
import time
from collections import deque
from collections.abc import Awaitable, Hashable, Mapping
from dataclasses import dataclass, field
from select import POLLERR, POLLHUP, POLLIN, poll
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy import make_url
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from shared import deadline
from shared.compiled import Statement

DIALECT = asyncpg_dialect()  # what the statements it runs are compiled for: Statement.of(statement, DIALECT)
ACQUIRE_SECONDS = 30.0  # as the thread path's pool waits for a free connection
CONNECT_SECONDS = 5.0  # as psycopg's connect_timeout
# Groups of one statement in flight per process (fetch_together), and the most statements in a group.
LANES = int(os.environ.get("DB_NATIVE_LANES", "2"))
MOST = 64
T = TypeVar("T")


async def _json_codec(connection: asyncpg.Connection) -> None:
    """`json` values as SQLAlchemy's asyncpg dialect has them, which the statements are compiled for: its bind
    processor makes the text, the codec carries it; what is read is decoded here (the dialect's result
    processor does nothing). As the dialect sets up each connection it makes."""
    await connection.set_type_codec("json", encoder=str.encode, decoder=_json_decoded, schema="pg_catalog",
                                    format="binary")


def _json_decoded(value: bytes) -> Any:
    return json.loads(value.decode())


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """Nothing to undo when a connection goes back: its statements ran alone, no session state was set
    (asyncpg's default reset is a round trip per release: RESET ALL, UNLISTEN, CLOSE ALL)."""


@dataclass
class Native:
    """asyncpg connections to the service's database and schema, per event loop."""

    url: str
    schema: str | None
    size: int
    _pool: tuple[asyncio.AbstractEventLoop, asyncpg.Pool] | None = field(default=None, repr=False)
    _queues: dict[tuple[str, Hashable], "_Queue"] = field(default_factory=dict, repr=False)

    async def pool(self) -> asyncpg.Pool:
        loop = asyncio.get_running_loop()
        if self._pool is None or self._pool[0] is not loop:
            self._queues = {}
            dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
            settings = {"search_path": self.schema} if self.schema else None
            pool = asyncpg.create_pool(dsn, min_size=0, max_size=self.size, timeout=CONNECT_SECONDS,
                                       server_settings=settings, reset=_keep_session, init=_json_codec)
            await pool  # min_size 0: connects nothing yet
            self._pool = (loop, pool)
        return self._pool[1]

    async def fetch(self, statement: Statement, params: Mapping[str, Any]) -> list:
        """The rows of `statement` run alone (its own transaction) with `params`."""
        deadline.check()
        return await self._alone(await self.pool(), statement, statement.args(params), deadline.at())

    async def fetch_together(self, statement: Statement, params: Mapping[str, Any], order: Any, *,
                             among: Hashable = None) -> list:
        """The rows of `statement` (one with a `b_tag` parameter that its rows answer as `tag`) with `params`,
        sent together with the same statement of this process's other requests waiting at that moment:
        in `order` (the order of the row locks they take), in one round trip, as ONE transaction
        (asyncpg's fetchmany: Bind and Execute for each, one Sync). Each statement must be all or nothing
        by itself; when the group fails (an error of one of them) nothing of it was written and each runs
        alone, as `fetch`; a time out or a connection lost under it fails them all, as it fails the
        statements in flight alone. At most LANES groups of a statement and `among` (a warehouse: a row
        locked long there holds up no other) are in flight per process: while they are, the next
        requests wait and go as the next group."""
        deadline.check()
        pool = await self.pool()
        loop = asyncio.get_running_loop()
        queue = self._queues.get((statement.sql, among))
        if queue is None:
            queue = self._queues[(statement.sql, among)] = _Queue()
        asked = _Asked(statement.args(params), order, deadline.at(), loop.create_future())
        queue.waiting.append(asked)
        if queue.lanes < LANES:
            queue.lanes += 1
            task = loop.create_task(self._lane(pool, statement, queue))
            queue.tasks.add(task)
            task.add_done_callback(queue.tasks.discard)
        return await asked.answer

    async def _lane(self, pool: asyncpg.Pool, statement: Statement, queue: "_Queue") -> None:
        try:
            while queue.waiting:
                group, now = [], time.time()
                for _ in range(min(MOST, len(queue.waiting))):
                    asked = queue.waiting.popleft()
                    if asked.at is not None and asked.at <= now:  # its caller has given up: not sent
                        _fail([asked], deadline.DeadlineExceeded())
                    else:
                        group.append(asked)
                if not group:
                    continue
                try:
                    if len(group) == 1:
                        await _settle(group[0], self._alone(pool, statement, group[0].args, group[0].at))
                    else:
                        await self._group(pool, statement, group)
                except BaseException as exc:  # noqa: BLE001 (a defect here must not leave a request waiting)
                    _fail(group, exc)
                    if not isinstance(exc, Exception):
                        raise
        finally:
            queue.lanes -= 1

    async def _group(self, pool: asyncpg.Pool, statement: Statement, group: list["_Asked"]) -> None:
        group.sort(key=lambda asked: asked.order)
        # Bounded by the latest deadline of the group: a time out cannot tell whether the server committed
        # just before (its cancel comes too late), so it is every member's answer, and is theirs only once
        # every member's deadline has passed.
        at = None if any(asked.at is None for asked in group) else max(asked.at for asked in group)
        for tag, asked in enumerate(group):
            asked.args[statement.tag] = tag
        try:
            connection = await self._connection(pool, statement.sql, at)
        except Exception as exc:  # noqa: BLE001 (each gets the same answer: no connection)
            _fail(group, exc)
            return
        records = failed = None
        try:
            records = await connection.fetchmany(statement.sql, [asked.args for asked in group],
                                                 timeout=_timeout(at))
        except TimeoutError as exc:  # asyncpg asked the server to cancel it
            failed = deadline.DeadlineExceeded()
            failed.__cause__ = exc
        except (*_LOST, asyncpg.PostgresConnectionError) as exc:  # lost under it
            _discard(connection, exc)
            failed = sa_exc.OperationalError(statement.sql, None, exc, connection_invalidated=True)
        except asyncpg.PostgresError:  # one of them failed, so the transaction did: nothing was written
            pass
        finally:
            await pool.release(connection)
        if records is not None:
            rows: list[list] = [[] for _ in group]
            for row in statement.rows(records):
                rows[row.tag].append(row)
            for asked, its in zip(group, rows, strict=True):
                if not asked.answer.done():
                    asked.answer.set_result(its)
        elif failed is not None:
            _fail(group, failed)
        else:  # each alone, its own answer
            await asyncio.gather(*(_settle(asked, self._alone(pool, statement, asked.args, asked.at))
                                   for asked in group))

    async def _alone(self, pool: asyncpg.Pool, statement: Statement, args: list, at: float | None) -> list:
        return statement.rows(await self.records(pool, statement, args, at))

    async def records(self, pool: asyncpg.Pool, statement: Statement, args: list, at: float | None) -> list:
        """asyncpg's records of `statement` run alone on a connection taken for it and given back."""
        if at is not None and at <= time.time():
            raise deadline.DeadlineExceeded()
        connection = await self._connection(pool, statement.sql, at)
        try:
            return await _run(connection, statement, args, at)
        finally:
            await pool.release(connection)

    async def coltypes(self, pool: asyncpg.Pool, sql: str, at: float | None) -> tuple[int, ...]:
        """The types (oids) of the columns of `sql`, prepared on a connection taken for it and given back."""
        connection = await self._connection(pool, sql, at)
        try:
            prepared = await _sent(connection, sql, connection.prepare(sql, timeout=_timeout(at)))
            return tuple(attribute.type.oid for attribute in prepared.get_attributes())
        finally:
            await pool.release(connection)

    async def _connection(self, pool: asyncpg.Pool, sql: str, at: float | None) -> asyncpg.Connection:
        left = None if at is None else at - time.time()
        try:
            return await _sound(pool, ACQUIRE_SECONDS if left is None else min(max(left, 0.001), ACQUIRE_SECONDS))
        except TimeoutError as exc:
            if at is not None and at - time.time() <= 0.05:
                raise deadline.DeadlineExceeded() from exc
            raise sa_exc.TimeoutError("no connection free in time") from exc
        except (OSError, asyncpg.InterfaceError) as exc:  # refused, reset, unreachable
            raise sa_exc.OperationalError("connect", None, exc) from exc
        except asyncpg.PostgresError as exc:  # the server refused the connection (starting up: 57P03)
            raise _wrapped(sql, exc) from exc

    async def dispose(self) -> None:
        if self._pool is not None and self._pool[0] is asyncio.get_running_loop():
            await self._pool[1].close()
        self._pool = None


@dataclass(slots=True)
class _Asked:
    """A request's statement waiting to go with others: its arguments, its place in the group's order,
    its deadline (Unix seconds) and where its rows go."""

    args: list
    order: Any
    at: float | None
    answer: asyncio.Future


@dataclass
class _Queue:
    """The requests of one statement waiting for a lane, and the lanes sending groups of them."""

    waiting: deque[_Asked] = field(default_factory=deque)
    lanes: int = 0
    tasks: set[asyncio.Task] = field(default_factory=set)


async def _settle(asked: _Asked, rows: Awaitable[list]) -> None:
    try:
        result = await rows
    except Exception as exc:  # noqa: BLE001 (the request's own answer: it raises it)
        _fail([asked], exc)
    else:
        if not asked.answer.done():
            asked.answer.set_result(result)


def _fail(group: list[_Asked], exc: BaseException) -> None:
    """`exc` as the answer of each in `group` not answered yet."""
    for asked in group:
        if not asked.answer.done():
            asked.answer.set_exception(exc)


# A connection lost under a statement. asyncpg's InternalClientError ("cannot switch to state ...; another
# operation is in progress") is a connection left mid-operation by a failure (seen in the restart drill):
# raised before anything is sent, so nothing was done, and the connection is not to be used again.
_LOST = (OSError, asyncpg.InterfaceError, asyncpg.InternalClientError)


def _discard(connection: asyncpg.Connection, exc: BaseException) -> None:
    """A connection in a state no statement can follow closed at once (the pool then opens another)."""
    if isinstance(exc, asyncpg.InternalClientError):
        connection.terminate()


def _timeout(at: float | None) -> float | None:
    return None if at is None else max(at - time.time(), 0.001)


async def _sound(pool: asyncpg.Pool, timeout: float) -> asyncpg.Connection:
    """A connection from the pool that the server has not ended while it sat there. asyncpg sees the end
    only when the event loop has read it; a restart just before this request is seen here as well, as
    shared/db.py's checkout does: the server said something (its farewell, then the end of the stream)
    on a connection where no query is pending. A poll of the socket, no round trip. Each connection found
    ended is closed (the next acquire of it connects anew), so there are no more of them than the pool
    holds: after a restart, requests arriving together each find a sound one."""
    for _ in range(pool.get_max_size() + 1):
        connection = await pool.acquire(timeout=timeout)
        if not hung_up(connection):
            return connection
        connection.terminate()  # goes back to the pool closed: the next acquire connects anew
        await pool.release(connection)
    return await pool.acquire(timeout=timeout)


def hung_up(connection: asyncpg.Connection) -> bool:
    """Whether the server ended this idle connection: closed, or something to read on its socket while no query
    is pending (the server's farewell, then the end of the stream). A poll, no round trip."""
    transport = connection._transport  # noqa: SLF001
    sock = None if transport is None or transport.is_closing() else transport.get_extra_info("socket")
    if sock is None:
        return True
    poller = poll()
    poller.register(sock.fileno(), POLLIN | POLLERR | POLLHUP)
    return bool(poller.poll(0))


async def _run(connection: asyncpg.Connection, statement: Statement, args: list, at: float | None) -> list:
    """The records of `statement` on `connection`."""
    if at is not None and at <= time.time():
        raise deadline.DeadlineExceeded()
    return await _sent(connection, statement.sql, connection.fetch(statement.sql, *args, timeout=_timeout(at)))


async def _sent(connection: asyncpg.Connection, sql: str, work: Awaitable[T]) -> T:
    """What `work` (a round trip on `connection` for `sql`) answers, its errors as SQLAlchemy's (the
    module's docstring)."""
    try:
        return await work
    except TimeoutError as exc:  # asyncpg asked the server to cancel it
        raise deadline.DeadlineExceeded() from exc
    except asyncpg.PostgresError as exc:
        raise _wrapped(sql, exc) from exc
    except _LOST as exc:  # the connection was lost under the statement
        _discard(connection, exc)
        raise sa_exc.OperationalError(sql, None, exc, connection_invalidated=True) from exc


def _wrapped(sql: str, exc: asyncpg.PostgresError) -> sa_exc.DBAPIError:
    """asyncpg's error as SQLAlchemy's, its SQLSTATE kept. A connection the server ended under a statement
    is 08003 in asyncpg (ConnectionDoesNotExistError, with the server's words), where psycopg reads the
    server's own 57P01: both are 503 `database_busy` (shared/dbfaults.py)."""
    if isinstance(exc, asyncpg.PostgresConnectionError):
        return sa_exc.OperationalError(sql, None, exc, connection_invalidated=True)
    kind = sa_exc.IntegrityError if (exc.sqlstate or "").startswith("23") else sa_exc.DBAPIError
    return kind(sql, None, exc)
