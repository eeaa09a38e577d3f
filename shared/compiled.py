"""A Core statement compiled once per process for one driver, run straight on that driver's connection
(issue 22 item 2: no ORM, no SQLAlchemy execution per request): its text, its parameters in order with
the dialect's bind processors and constant values, its columns' result processors, and a row type naming
them. Used by shared/native.py (asyncpg, on PostgreSQL) and shared/rawread.py (sqlite3, the hot reads)."""

from collections import namedtuple
from collections.abc import Callable, Mapping
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

    def rows(self, records) -> list:
        """The driver's rows as this statement's rows, each value through its column's result processor."""
        row, results = self.row, self.results
        if not any(results):
            return [row(*record) for record in records]
        return [row(*[value if process is None or value is None else process(value)
                      for process, value in zip(results, record, strict=True)]) for record in records]
