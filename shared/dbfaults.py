"""What a database failure means to the caller, the same in every service and the gateway.

A database that is unreachable, restarting, read-only, out of connections, locked or too slow
is the caller's cue to retry shortly: `classify` names the kind, and shared/errors.py answers
503 `database_busy` with `Retry-After` (one log line, no trace). A serialization failure or a
deadlock (40001, 40P01) is a race with another writer, answered as the other races are: 409
`conflict` ("retry"). Anything else (a bug: bad SQL, a constraint the use case did not check)
is not classified and stays a 500 with its trace in the log.

PostgreSQL by SQLSTATE (psycopg's own connection failures carry none); SQLite by its error
name (Python 3.11's `sqlite_errorname`), or the message when there is none.
"""

import sqlite3
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc

UNREACHABLE = "unreachable"
RESTARTING = "restarting"
READ_ONLY = "read_only"
TIMEOUT = "timeout"
OVERLOADED = "overloaded"
LOCKED = "locked"
CONFLICT = "conflict"

DETAILS = {
    UNREACHABLE: "The database cannot be reached; retry shortly",
    RESTARTING: "The database is restarting; retry shortly",
    READ_ONLY: "The database accepts no writes at the moment (read-only); retry shortly",
    TIMEOUT: "The database did not finish in time; retry shortly",
    OVERLOADED: "The database has no room for this request now; retry shortly",
    LOCKED: "The database is busy with another writer; retry shortly",
}

# SQLSTATE (exact, then by class) -> kind.
_SQLSTATES = {
    "40001": CONFLICT,  # serialization_failure
    "40P01": CONFLICT,  # deadlock_detected
    "25006": READ_ONLY,  # read_only_sql_transaction
    "57014": TIMEOUT,  # query_canceled (statement_timeout)
    "55P03": LOCKED,  # lock_not_available (lock_timeout)
    "57P01": RESTARTING,  # admin_shutdown
    "57P02": RESTARTING,  # crash_shutdown
    "57P03": RESTARTING,  # cannot_connect_now (starting up, shutting down, recovering)
    "57P05": UNREACHABLE,  # idle_session_timeout
    "25P03": UNREACHABLE,  # idle_in_transaction_session_timeout
}
_SQLSTATE_CLASSES = {
    "08": UNREACHABLE,  # connection exception
    "53": OVERLOADED,  # insufficient resources: 53300 too_many_connections, disk full, out of memory
    "57": RESTARTING,  # operator intervention
    "58": UNREACHABLE,  # system error (I/O) outside PostgreSQL
}
# asyncpg answers a statement whose connection the server ended with 08003 ("connection was closed in the
# middle of operation: ..."), the server's farewell in its message, where psycopg has the farewell's SQLSTATE.
_CLOSED = "08003"
_FAREWELLS = {
    "terminating connection due to administrator command": RESTARTING,  # 57P01
    "terminating connection because of crash of another server process": RESTARTING,  # 57P02
    "the database system is shutting down": RESTARTING,  # 57P03
}
_SQLITE_NAMES = {
    "SQLITE_BUSY": LOCKED,
    "SQLITE_LOCKED": LOCKED,
    "SQLITE_READONLY": READ_ONLY,
    "SQLITE_CANTOPEN": UNREACHABLE,
    "SQLITE_IOERR": UNREACHABLE,
    "SQLITE_FULL": OVERLOADED,
    "SQLITE_PROTOCOL": LOCKED,
}
_SQLITE_MESSAGES = {
    "database is locked": LOCKED,
    "database table is locked": LOCKED,
    "database is busy": LOCKED,
    "readonly database": READ_ONLY,
    "unable to open database file": UNREACHABLE,
    "disk i/o error": UNREACHABLE,
    "database or disk is full": OVERLOADED,
}


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str
    sqlstate: str | None
    error: str  # the driver's first line, for the log (never for the answer)

    @property
    def detail(self) -> str:
        return DETAILS.get(self.kind, DETAILS[UNREACHABLE])


def classify(exc: BaseException) -> Fault | None:
    """The database fault `exc` stands for, or None when it is not one a retry may cure."""
    if isinstance(exc, sa_exc.TimeoutError):  # the pool had no connection free in time
        return Fault(OVERLOADED, None, _first_line(exc))
    if isinstance(exc, sa_exc.DisconnectionError):
        return Fault(UNREACHABLE, None, _first_line(exc))
    if not isinstance(exc, sa_exc.DBAPIError):
        return None
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        kind = _sqlite_kind(orig)
        return Fault(kind, None, _first_line(orig)) if kind else None
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        kind = _SQLSTATES.get(sqlstate) or _SQLSTATE_CLASSES.get(sqlstate[:2])
        if sqlstate == _CLOSED:  # asyncpg's: the server's own words say why (psycopg reads its SQLSTATE)
            kind = next((said for words, said in _FAREWELLS.items() if words in str(orig)), kind)
        return Fault(kind, sqlstate, _first_line(orig)) if kind else None
    # No SQLSTATE: the driver's own failure to connect or to keep the connection (refused, reset,
    # closed by the server). A statement the server refused always has one.
    if exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return Fault(UNREACHABLE, None, _first_line(orig if orig is not None else exc))
    return None


def _sqlite_kind(error: sqlite3.Error) -> str | None:
    name = getattr(error, "sqlite_errorname", "") or ""
    for prefix, kind in _SQLITE_NAMES.items():
        if name == prefix or name.startswith(prefix + "_"):
            return kind
    message = str(error).lower()
    for text, kind in _SQLITE_MESSAGES.items():
        if text in message:
            return kind
    return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__
