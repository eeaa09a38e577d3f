"""A Core statement compiled once per process for one driver, run straight on that driver's connection
(issue 22 item 2: no ORM, no SQLAlchemy execution per request): its text, its parameters in order with
the dialect's bind processors and constant values, its columns' result processors, and a row type naming
them. Used by shared/native.py and shared/native_read.py (asyncpg, on PostgreSQL), shared/rawread.py (sqlite3,
the hot reads) and shared/direct.py (a write transaction's driver connection), each keeping its statements in
a `Kept`."""

import functools
from collections import namedtuple
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    constants: Mapping[str, Any]
    row: type
    tag: int | None = None  # where `b_tag` goes in the arguments (shared/native.Native.fetch_together)
    results: tuple[Callable[[Any], Any] | None, ...] | None = ()  # None: to be made from the first answer
    named: bool = False  # the driver takes a mapping (psycopg's %(name)s), not a list in order

    @classmethod
    def of(cls, statement: ClauseElement, dialect: Dialect, *, results: bool = False,
           column_keys: list[str] | None = None, coltypes: tuple | None = None) -> "Statement":
        """`results`: with the columns' result processors (a driver that answers what SQLAlchemy converts,
        sqlite3's strings for dates; asyncpg answers Python's own types). `column_keys`: the columns an
        INSERT or UPDATE without values of its own is given (as SQLAlchemy compiles it for its parameters)."""
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        if "POSTCOMPILE" in compiled.string:
            raise TypeError("a statement compiled once takes no expanding parameters (IN lists)")
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise TypeError("a statement compiled once takes no values made at execution (column defaults)")
        named = compiled.positiontup is None
        names = tuple(dict.fromkeys(compiled.bind_names.values())) if named else tuple(compiled.positiontup)
        processors = compiled._bind_processors  # noqa: SLF001 (the dialect's own, as its execution uses them)
        constants = {name: bind.effective_value for bind, name in compiled.bind_names.items() if not bind.required}
        columns = compiled._result_columns  # noqa: SLF001
        kept: tuple | None = ()
        if results:
            try:
                kept = tuple(column[3]._cached_result_processor(dialect, coltypes[i] if coltypes else None)  # noqa: SLF001
                             for i, column in enumerate(columns))
            except TypeError:
                # A processor that depends on the driver's type of the column (psycopg's for a numeric):
                # known once the statement has answered (`coltypes`, from its cursor's description).
                if coltypes is not None:
                    raise
                kept = None
        return cls(compiled.string, names, tuple(processors.get(name) for name in names), constants,
                   namedtuple("Row", [column[0] for column in columns], rename=True),
                   names.index("b_tag") if "b_tag" in names else None, kept, named)

    def args(self, params: Mapping[str, Any]) -> list[Any] | dict[str, Any]:
        values = []
        for name, process in zip(self.names, self.processors, strict=True):
            value = params[name] if name in params else self.constants[name]
            values.append(process(value) if process is not None and value is not None else value)
        return dict(zip(self.names, values, strict=True)) if self.named else values

    def rows(self, records, names: Callable[[], Sequence[str]] | None = None) -> list:
        """The driver's rows as this statement's rows, each value through its column's result processor. A
        statement that declares no columns (a `text()` without them) names its rows as the driver does:
        `names()` answers them, asked only then."""
        row, results = self.row, self.results
        if not row._fields:
            if not records:
                return []
            row = driver_row(tuple(names()))
            return [row(*record) for record in records]
        if not any(results):
            return [row(*record) for record in records]
        return [row(*[value if process is None or value is None else process(value)
                      for process, value in zip(results, record, strict=True)]) for record in records]


@functools.lru_cache(maxsize=256)
def driver_row(names: tuple[str, ...]) -> type:
    """The row type of the columns a driver named (a statement that declares none), made once per names."""
    return namedtuple("Row", names, rename=True)


class Kept:
    """Statements compiled once per process, keyed as their user keys them (the statement; the dialect and
    the parameters' names too), at most `bound` of them. The bound is not a policy: the statements run hot
    are module constants, so it is met only by a caller that builds statements per request, whose cache is
    then emptied rather than grown."""

    __slots__ = ("_found", "bound", "get")

    def __init__(self, bound: int) -> None:
        self._found: dict[Hashable, Statement | None] = {}
        self.bound = bound
        self.get = self._found.get  # the hot path's lookup: one call, no method of ours around it

    def __contains__(self, key: Hashable) -> bool:
        return key in self._found

    def __len__(self) -> int:
        return len(self._found)

    def keep(self, key: Hashable, statement: "Statement | None") -> "Statement | None":
        """`statement` kept under `key` (None too: a statement that cannot be compiled once), and answered."""
        if key not in self._found and len(self._found) >= self.bound:
            self._found.clear()
        self._found[key] = statement
        return statement
