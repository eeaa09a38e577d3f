"""PostgreSQL's hot reads over asyncpg, on the event loop (issue 22 item 2; shared/native.py's pool).

`read(native, fn, args, kwargs)` runs a hot read's synchronous function (shared/operations.py, `hot=True`:
a unit's coverage, a reservation) as SQLAlchemy's asyncio engine runs synchronous code: in a greenlet,
`reader.execute` waiting for its rows as an `await`. No worker thread, no psycopg, no BEGIN or COMMIT: each
statement runs as a transaction of its own (or of its group's), which reads what a READ COMMITTED
transaction's statement reads (a snapshot of its own).

- Each statement is compiled once per process with SQLAlchemy's asyncpg dialect and its columns' result
  processors, so its rows are a Core connection's (shared/rawread.py's on SQLite); a processor that depends
  on the column's type in the server (a numeric's) once that type is known, asked once of the statement
  prepared (asyncpg's records carry no types).
- A SELECT is tagged (its last column, `tag`: which request of a group a row answers, stripped before the
  read's function sees the row) and goes with the same SELECT of the process's other reads waiting at that
  moment (`Native.fetch_together`): one round trip for the group, each its own rows. Any other statement
  goes alone.
- No connection is held between statements: a read waiting for its group holds none, so reads can never
  hold every connection while their groups wait for one.
- `DB_NATIVE_READS=alone` sends each read's statements alone, `off` reads through SQLAlchemy in a thread
  (shared/uow.py), to compare.
"""

import functools
import os
from collections import namedtuple
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import BigInteger, Select, bindparam
from sqlalchemy.sql import ClauseElement
from sqlalchemy.util.concurrency import await_only, greenlet_spawn

from shared import deadline
from shared.compiled import Kept, Statement
from shared.native import DIALECT, Native
from shared.rawread import Rows

T = TypeVar("T")
TOGETHER = os.environ.get("DB_NATIVE_READS", "") != "alone"  # a measurement knob: each read's SELECT alone
_READ = "read"  # the hot reads' groups (Native.fetch_together's `among`)
_TAG = "tag"
_compiled = Kept(256)


async def read(native: Native, fn: Callable[..., T], args: tuple, kwargs: Mapping[str, Any]) -> T:
    """`fn(reader, *args, **kwargs)`, its statements sent over `native`'s pool (the module's docstring)."""
    deadline.check()
    return await greenlet_spawn(fn, NativeReader(native, await native.pool(), deadline.at()), *args, **kwargs)


class NativeReader:
    """A hot read's statements, from inside the greenlet `read` runs the read in: `execute(statement, params)`
    answers the rows shared/rawread.py's reader answers (first, one, all, ...)."""

    __slots__ = ("native", "pool", "at")

    def __init__(self, native: Native, pool: asyncpg.Pool, at: float | None) -> None:
        self.native, self.pool, self.at = native, pool, at

    def execute(self, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> Rows:
        native, params = self.native, params or {}
        prepared = compiled(statement)
        if prepared.results is None:
            prepared = compiled(statement, await_only(native.coltypes(self.pool, prepared.sql, self.at)))
        if prepared.tag is not None:
            rows = await_only(native.fetch_together(prepared, params, 0, among=_READ))
            untagged = _untagged(prepared.row)
            return Rows(untagged(*row[:-1]) for row in rows)
        records = await_only(native.records(self.pool, prepared, prepared.args(params), self.at))
        return Rows(prepared.rows(records, lambda: records[0].keys()))


def compiled(statement: ClauseElement, coltypes: tuple[int, ...] | None = None) -> Statement:
    """A hot read's statement compiled once per process, tagged when it can go together, with its columns'
    result processors; those that depend on the column's type in the server once `coltypes` are known
    (`results` is None until then)."""
    found = _compiled.get(statement)
    if found is None or coltypes is not None:
        found = _compiled.keep(statement, Statement.of(_tagged(statement), DIALECT, results=True, coltypes=coltypes))
    return found


def _tagged(statement: ClauseElement) -> ClauseElement:
    """A SELECT with its tag as the last column (`b_tag`), so that it can go together with others; any other
    statement as it is."""
    if not TOGETHER or not isinstance(statement, Select) or _TAG in statement.selected_columns:
        return statement
    return statement.add_columns(bindparam("b_tag", 0, type_=BigInteger).label(_TAG))


@functools.cache
def _untagged(row: type) -> type:
    """The row type of a tagged statement without its tag."""
    return namedtuple("Row", row._fields[:-1], rename=True)
