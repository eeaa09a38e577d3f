"""A statement compiled for asyncpg (`$1::VARCHAR`) with its values written into its text as PostgreSQL literals,
so that several such statements and a COMMIT go to the server as ONE query of the simple protocol (shared/direct.py's
`later` on the event loop's engine, shared/loop_engine.py), as psycopg's client-side binding does on the thread path.

Only what can be written exactly is: None, booleans, integers, finite Decimals, strings without NUL, dates, times and
aware timestamps, bytes. Anything else (a float, a list, a naive timestamp) raises TypeError, and the caller sends the
statement on its own with its values bound by the server. A string is quoted as the SQL standard says, doubling its
quotes; that is the whole of the escaping only while `standard_conforming_strings` is on (a backslash is then an
ordinary character), which the engine sets for each of its connections and which is PostgreSQL's default. A statement
whose own text holds a quote or a `$` that is not a parameter is not rewritten (TypeError).
"""

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

_PARAMETER = re.compile(r"\$(\d+)")


def inline(sql: str, args: list[Any]) -> str:
    """`sql` with each `$n` replaced by the literal of `args[n-1]`; TypeError when that cannot be done exactly."""
    if "'" in sql or sql.count("$") != len(_PARAMETER.findall(sql)):
        raise TypeError("the statement's own text holds a quote or a dollar sign")
    literals = [literal(value) for value in args]
    return _PARAMETER.sub(lambda found: literals[int(found.group(1)) - 1], sql)


def literal(value: Any) -> str:
    """`value` as a PostgreSQL literal (in parentheses when it is a number: `(-1)::BIGINT`, not `-(1::BIGINT)`)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"({value})"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError("a Decimal that is not finite")
        return f"({value})"
    if isinstance(value, str):
        if "\x00" in value:
            raise TypeError("a string with NUL, which PostgreSQL's text cannot hold")
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("a naive timestamp")
        return f"'{value.isoformat()}'"
    if isinstance(value, date | time):
        return f"'{value.isoformat()}'"
    if isinstance(value, bytes):
        return f"'\\x{value.hex()}'"
    raise TypeError(f"no exact literal for {type(value).__name__}")
