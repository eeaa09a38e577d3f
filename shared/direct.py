"""A write transaction's Core statements run straight on its driver connection (issue 22 item 3: the hot
steps' prebuilt statements, without SQLAlchemy's execution per statement, whose connection events,
compiled-cache lookup, parameter processing and result machinery cost several times the statement itself
on SQLite: a quarter of billing's CPU per bill, profiled).

The Session keeps the transaction: it began it (the engine's hooks ran at BEGIN: SQLite's BEGIN
IMMEDIATE, PostgreSQL's statement timeout), it commits or rolls it back, and its pending ORM changes are
flushed before a statement runs, as its own `execute` would (not inside `no_autoflush`). A statement is
compiled once per process and dialect (shared/compiled.py) and keeps its bind and result processors, so its
rows have the values and names a Core connection gives. A driver error is SQLAlchemy's: IntegrityError,
OperationalError and the rest, as shared/dbfaults.py and the callers read them; a connection the server
ended is invalidated, as SQLAlchemy does, so the pool never hands it out again. `DB_DIRECT=off` runs the
same statements through SQLAlchemy (to compare).
"""

import os
from collections import namedtuple
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from shared.compiled import Statement
from shared.rawread import Rows

DIRECT = os.environ.get("DB_DIRECT", "on") != "off"
COMPILED_KEPT = 512
_compiled: dict[tuple, Statement | None] = {}
# What watches the statements run here (a test counting a request's statements), as SQLAlchemy's
# before_cursor_execute event watches its own: each is called with the statement's SQL.
listeners: list = []
_KEPT = "shared.direct.connection"


class Result(Rows):
    """A statement's rows (first, one, scalar, ...) and the count of rows it changed."""

    rowcount: int = -1


def compiled(statement: ClauseElement, dialect: Dialect, keys) -> Statement | None:
    """`statement` compiled for `dialect` and parameters named `keys`; None when it cannot run on the driver
    alone: an IN list to expand, or a column whose value SQLAlchemy makes at execution (a default)."""
    key = (dialect.name, statement, keys)
    try:
        return _compiled[key]
    except KeyError:
        pass
    if len(_compiled) >= COMPILED_KEPT:
        _compiled.clear()  # a bound, not a policy: the statements run here are module constants
    try:
        found = Statement.of(statement, dialect, results=True, column_keys=list(keys))
    except TypeError:
        found = None
    if found is not None and set(found.names) - set(keys) - set(found.constants):
        found = None
    _compiled[key] = found
    return found


def run(session: Session, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> Result:
    """`statement` with `params` in the session's transaction (begun by this call if it was not yet)."""
    params = params or {}
    if session.autoflush:
        session.flush()
    connection, cursor = _connection(session)
    prepared = compiled(statement, connection.dialect, tuple(params)) if DIRECT else None
    if prepared is None:
        return _through_sqlalchemy(connection, statement, params)
    for listener in listeners:
        listener(prepared.sql)
    try:
        cursor.execute(prepared.sql, prepared.args(params))
        # Its columns say whether it answers rows (a SELECT, a RETURNING); only text() asks the driver.
        records = cursor.fetchall() if prepared.row._fields or cursor.description else ()
    except connection.dialect.loaded_dbapi.Error as exc:
        raise _failed(connection, prepared.sql, params, exc, cursor) from exc
    if prepared.results is None:
        prepared = _described(statement, connection.dialect, tuple(params), cursor.description)
    result = Result(_rows(prepared, records, cursor))
    result.rowcount = cursor.rowcount
    return result


def execute(where, statement: ClauseElement, params: Mapping[str, Any]) -> Result:
    """`statement` on `where`: a Session's write transaction (on its driver connection, `run`), or a read's
    connection or reader as it is (a hot read: shared/rawread.py or a Core connection)."""
    if isinstance(where, Session):
        return run(where, statement, params)
    return where.execute(statement, params)


def run_many(session: Session, statement: ClauseElement, rows: Sequence[Mapping[str, Any]]) -> None:
    """`statement` once for each of `rows` (an INSERT of several rows), in the session's transaction."""
    rows = list(rows)
    if not rows:
        return
    if session.autoflush:
        session.flush()
    connection, cursor = _connection(session)
    prepared = compiled(statement, connection.dialect, tuple(rows[0])) if DIRECT else None
    if prepared is None:
        connection.execute(statement, rows)
        return
    for listener in listeners:
        listener(prepared.sql)
    try:
        cursor.executemany(prepared.sql, [prepared.args(row) for row in rows])
    except connection.dialect.loaded_dbapi.Error as exc:
        raise _failed(connection, prepared.sql, rows, exc, cursor) from exc


def _connection(session: Session):
    """The session's connection in its transaction (begun now if it was not) and a cursor of its driver
    connection, kept for the transaction's other statements (Session.connection() and a new cursor cost
    more than a statement's run)."""
    transaction = session.get_transaction()
    kept = session.info.get(_KEPT)
    if transaction is not None and kept is not None and kept[0] is transaction:
        return kept[1], kept[2]
    connection = session.connection()
    cursor = connection.connection.driver_connection.cursor()
    session.info[_KEPT] = (session.get_transaction(), connection, cursor)
    return connection, cursor


def _described(statement: ClauseElement, dialect: Dialect, keys: tuple, description) -> Statement:
    """The statement again with the result processors its answer's column types call for."""
    found = _compiled[(dialect.name, statement, keys)] = Statement.of(
        statement, dialect, results=True, column_keys=list(keys),
        coltypes=tuple(column.type_code for column in description))
    return found


def _rows(prepared: Statement, records, cursor) -> list:
    if not records:
        return []
    if not prepared.row._fields:  # text() without its columns: the driver's names
        row = namedtuple("Row", [column[0] for column in cursor.description], rename=True)
        return [row(*record) for record in records]
    return prepared.rows(records)


def _failed(connection, sql: str, params, exc: Exception, cursor) -> DBAPIError:
    dialect = connection.dialect
    lost = dialect.is_disconnect(exc, connection.connection.dbapi_connection, cursor)
    if lost:
        connection.invalidate(exc)  # never back to the pool; the Session's rollback then has nothing to do
    return DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error, connection_invalidated=lost,
                               dialect=dialect)


def _through_sqlalchemy(connection, statement: ClauseElement, params) -> Result:
    done = connection.execute(statement, params)
    result = Result(done.all() if done.returns_rows else ())
    result.rowcount = done.rowcount
    return result
