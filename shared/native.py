"""One statement on PostgreSQL straight over asyncpg, on the event loop (issue 22 items 2-3).

A hot write whose whole effect is one statement that is all or nothing by itself (a reservation:
services/inventory/reservation_statement.py) needs no transaction around it: PostgreSQL runs a lone
statement as a transaction of its own. So `Native.fetch` sends it in one round trip (asyncpg's extended
protocol, the statement prepared once per connection: Bind, Execute, Sync): no BEGIN, no SET LOCAL, no
COMMIT, and the row locks it takes are held only while the server runs it. No ORM, no SQLAlchemy
execution: the statement is compiled once per process (`Statement.of`) with SQLAlchemy's asyncpg dialect,
and each request's values go through that dialect's bind processors (the same values psycopg's path sends).

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
from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from select import POLLERR, POLLHUP, POLLIN, poll
from typing import Any

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy import make_url
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.sql import ClauseElement

from shared import deadline

_DIALECT = asyncpg_dialect()
ACQUIRE_SECONDS = 30.0  # as the thread path's pool waits for a free connection
CONNECT_SECONDS = 5.0  # as psycopg's connect_timeout


@dataclass(frozen=True, slots=True)
class Statement:
    """A Core statement compiled once for asyncpg: its text, its parameters in order with their bind
    processors and constant values, and a row type naming its columns."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    constants: Mapping[str, Any]
    row: type

    @classmethod
    def of(cls, statement: ClauseElement) -> "Statement":
        compiled = statement.compile(dialect=_DIALECT)
        if "POSTCOMPILE" in compiled.string:
            raise TypeError("a native statement takes no expanding parameters (IN lists): use arrays")
        names = tuple(compiled.positiontup)
        processors = compiled._bind_processors  # noqa: SLF001 (the dialect's own, as its execution uses them)
        constants = {name: bind.effective_value for bind, name in compiled.bind_names.items() if not bind.required}
        columns = [column[0] for column in compiled._result_columns]  # noqa: SLF001
        return cls(compiled.string, names, tuple(processors.get(name) for name in names), constants,
                   namedtuple("Row", columns, rename=True))

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, process in zip(self.names, self.processors, strict=True):
            value = params[name] if name in params else self.constants[name]
            values.append(process(value) if process is not None and value is not None else value)
        return values


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

    async def pool(self) -> asyncpg.Pool:
        loop = asyncio.get_running_loop()
        if self._pool is None or self._pool[0] is not loop:
            dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
            settings = {"search_path": self.schema} if self.schema else None
            pool = asyncpg.create_pool(dsn, min_size=0, max_size=self.size, timeout=CONNECT_SECONDS,
                                       server_settings=settings, reset=_keep_session)
            await pool  # min_size 0: connects nothing yet
            self._pool = (loop, pool)
        return self._pool[1]

    async def fetch(self, statement: Statement, params: Mapping[str, Any]) -> list:
        """The rows of `statement` run alone (its own transaction) with `params`."""
        deadline.check()
        args = statement.args(params)
        pool = await self.pool()
        left = deadline.remaining()
        try:
            connection = await _sound(pool, ACQUIRE_SECONDS if left is None else min(left, ACQUIRE_SECONDS))
        except TimeoutError as exc:
            if left is not None and deadline.remaining() <= 0.05:
                raise deadline.DeadlineExceeded() from exc
            raise sa_exc.TimeoutError("no connection free in time") from exc
        except (OSError, asyncpg.InterfaceError) as exc:  # refused, reset, unreachable
            raise sa_exc.OperationalError("connect", None, exc) from exc
        except asyncpg.PostgresError as exc:  # the server refused the connection (starting up: 57P03)
            raise _wrapped(statement, exc) from exc
        try:
            left = deadline.remaining()
            records = await connection.fetch(statement.sql, *args, timeout=None if left is None else max(left, 0.001))
        except TimeoutError as exc:  # asyncpg asked the server to cancel it
            raise deadline.DeadlineExceeded() from exc
        except asyncpg.PostgresError as exc:
            raise _wrapped(statement, exc) from exc
        except (OSError, asyncpg.InterfaceError) as exc:  # the connection was lost under the statement
            raise sa_exc.OperationalError(statement.sql, None, exc, connection_invalidated=True) from exc
        finally:
            await pool.release(connection)
        return [statement.row(*record) for record in records]

    async def dispose(self) -> None:
        if self._pool is not None and self._pool[0] is asyncio.get_running_loop():
            await self._pool[1].close()
        self._pool = None


async def _sound(pool: asyncpg.Pool, timeout: float) -> asyncpg.Connection:
    """A connection from the pool that the server has not ended while it sat there. asyncpg sees the end
    only when the event loop has read it; a restart just before this request is seen here as well, as
    shared/db.py's checkout does: the server said something (its farewell, then the end of the stream)
    on a connection where no query is pending. A poll of the socket, no round trip; three tries."""
    for _ in range(3):
        connection = await pool.acquire(timeout=timeout)
        transport = connection._transport  # noqa: SLF001
        sock = None if transport is None or transport.is_closing() else transport.get_extra_info("socket")
        if sock is not None:
            poller = poll()
            poller.register(sock.fileno(), POLLIN | POLLERR | POLLHUP)
            if not poller.poll(0):
                return connection
        connection.terminate()  # goes back to the pool closed: the next acquire connects anew
        await pool.release(connection)
    return await pool.acquire(timeout=timeout)


def _wrapped(statement: Statement, exc: asyncpg.PostgresError) -> sa_exc.DBAPIError:
    """asyncpg's error as SQLAlchemy's, its SQLSTATE kept. A connection the server ended under a statement
    is 08003 in asyncpg (ConnectionDoesNotExistError, with the server's words), where psycopg reads the
    server's own 57P01: both are 503 `database_busy` (shared/dbfaults.py)."""
    if isinstance(exc, asyncpg.PostgresConnectionError):
        return sa_exc.OperationalError(statement.sql, None, exc, connection_invalidated=True)
    kind = sa_exc.IntegrityError if (exc.sqlstate or "").startswith("23") else sa_exc.DBAPIError
    return kind(statement.sql, None, exc)
