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

A write whose rows the caller does not read (`later`: an audit entry, a row's UPDATE by its key, the stored
answer) is not sent on its own on PostgreSQL: it goes with the transaction's next statement, or with its
COMMIT, in one round trip (one query of the simple protocol), in the order the statements were made. Its
failure is the transaction's: raised by that next statement or by the commit, and nothing is written. A
`check` of its count (the row was there) runs before the COMMIT is sent. On SQLite, where a statement is no
round trip, and on an engine shared/db.py did not make, it runs at once. `DB_PIPELINE=off` sends each alone
(to compare). On the event loop's asyncpg engine (shared/loop_engine.py), which has no client-side binding, a
held statement's values are written into its text as literals (shared/literals.py); one with a `check`, or
with a value that has no exact literal, runs at once.
"""

import os
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from shared import literals
from shared.compiled import Kept, Statement
from shared.rawread import Rows

try:
    from psycopg import ClientCursor
except ImportError:  # psycopg is PostgreSQL's driver only
    ClientCursor = None

DIRECT = os.environ.get("DB_DIRECT", "on") != "off"
PIPELINE = os.environ.get("DB_PIPELINE", "on") != "off"
_compiled = Kept(512)  # keyed by the dialect's name, the statement and its parameters' names
# What watches the statements run here (a test counting a request's statements), as SQLAlchemy's
# before_cursor_execute event watches its own: each is called with the statement's SQL.
listeners: list = []
_KEPT = "shared.direct.connection"
# The statements made by `later` and not yet sent, per connection in a transaction: (sql, args, check).
_pending: "weakref.WeakKeyDictionary[Connection, list]" = weakref.WeakKeyDictionary()
# The engines that send what is held (send_later_statements), each with its way of sending it: psycopg's
# client-side binding (`_send`), or the event loop's asyncpg engine's literals (shared/loop_engine.py, whose
# held statements are written out as they are held: shared/literals.py). On any other, `later` runs at once.
_hooked: "weakref.WeakKeyDictionary[Engine, Callable]" = weakref.WeakKeyDictionary()


class Result(Rows):
    """A statement's rows (first, one, scalar, ...) and the count of rows it changed."""

    rowcount: int = -1


def compiled(statement: ClauseElement, dialect: Dialect, keys) -> Statement | None:
    """`statement` compiled for `dialect` and parameters named `keys`; None when it cannot run on the driver
    alone: an IN list to expand, or a column whose value SQLAlchemy makes at execution (a default)."""
    key = (dialect.name, dialect.driver, statement, keys)
    found = _compiled.get(key, _compiled)
    if found is not _compiled:
        return found
    try:
        found = Statement.of(statement, dialect, results=True, column_keys=list(keys))
    except TypeError:
        found = None
    if found is not None and set(found.names) - set(keys) - set(found.constants):
        found = None
    return _compiled.keep(key, found)


def run(session: Session, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> Result:
    """`statement` with `params` in the session's transaction (begun by this call if it was not yet)."""
    params = params or {}
    if session.autoflush:
        session.flush()
    connection, cursor, pending = _connection(session)
    prepared = compiled(statement, connection.dialect, tuple(params)) if DIRECT else None
    if prepared is None:
        return _through_sqlalchemy(connection, statement, params)
    for listener in listeners:
        listener(prepared.sql)
    args = prepared.args(params)
    try:
        if pending:  # with what `later` holds, in one round trip
            cursor = _hooked[connection.engine](connection, pending, last=(prepared.sql, args), cursor=cursor)
        else:
            cursor.execute(prepared.sql, args)
        # Its columns say whether it answers rows (a SELECT, a RETURNING); only text() asks the driver.
        records = cursor.fetchall() if prepared.row._fields or cursor.description else ()
    except connection.dialect.loaded_dbapi.Error as exc:
        raise failed(connection, prepared.sql, params, exc, cursor) from exc
    if prepared.results is None:
        prepared = _described(statement, connection.dialect, tuple(params), cursor.description)
    result = Result(prepared.rows(records, lambda: [column[0] for column in cursor.description]))
    result.rowcount = cursor.rowcount
    return result


def later(session: Session, statement: ClauseElement, params: Mapping[str, Any] | None = None, *,
          check: Callable[[int], None] | None = None) -> None:
    """`statement` with `params` in the session's transaction, its rows not read: on PostgreSQL sent with the
    transaction's next statement or its COMMIT (see the module's doc). `check` is given the count of rows it
    changed, before the transaction can commit, and raises to refuse it."""
    params = params or {}
    if not _held(session, statement, [params], check):
        done = run(session, statement, params)
        if check is not None:
            check(done.rowcount)


def one_row(what: str, key: object) -> Callable[[int], None]:
    """A `check` for `later`: exactly one row changed, else a RuntimeError naming it (the transaction does
    not commit)."""
    def check(count: int) -> None:
        if count != 1:
            raise RuntimeError(f"{what} {key} missing")
    return check


def later_many(session: Session, statement: ClauseElement, rows: Sequence[Mapping[str, Any]]) -> None:
    """`run_many`, its rows sent as `later` sends a statement."""
    rows = list(rows)
    if rows and not _held(session, statement, rows, None):
        run_many(session, statement, rows)


def _held(session: Session, statement: ClauseElement, rows: list, check: Callable[[int], None] | None) -> bool:
    """Whether the transaction now holds `statement` once for each of `rows` (its listeners told); False when it
    is to run at once: on SQLite, on an engine without the hooks, a statement that cannot run on the driver
    alone, or on the literal engine one with a `check` (its batch answers no count per statement) or values
    that cannot be written exactly."""
    if session.autoflush:
        session.flush()
    connection, _cursor, pending = _connection(session)
    prepared = compiled(statement, connection.dialect, tuple(rows[0])) if DIRECT and pending is not None else None
    if prepared is None:
        return False
    if _hooked[connection.engine] is _send:
        held = [(prepared.sql, prepared.args(row), check) for row in rows]
    else:  # the literal engine (shared/loop_engine.py)
        written = [_written(prepared.sql, prepared.args(row)) for row in rows] if check is None else [None]
        if None in written:
            return False
        held = [(sql, None, None) for sql in written]
    for listener in listeners:  # once, as run_many tells them
        listener(prepared.sql)
    pending.extend(held)
    return True


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
    connection, cursor, pending = _connection(session)
    prepared = compiled(statement, connection.dialect, tuple(rows[0])) if DIRECT else None
    if prepared is None:
        connection.execute(statement, rows)
        return
    for listener in listeners:
        listener(prepared.sql)
    if pending:
        _hooked[connection.engine](connection, pending)
    try:
        cursor.executemany(prepared.sql, [prepared.args(row) for row in rows])
    except connection.dialect.loaded_dbapi.Error as exc:
        raise failed(connection, prepared.sql, rows, exc, cursor) from exc


def _connection(session: Session):
    """The session's connection in its transaction (begun now if it was not) and a cursor of its driver
    connection, kept for the transaction's other statements (Session.connection() and a new cursor cost
    more than a statement's run)."""
    transaction = session.get_transaction()
    kept = session.info.get(_KEPT)
    if transaction is not None and kept is not None and kept[0] is transaction:
        return kept[1], kept[2], kept[3]
    connection = session.connection()
    cursor = connection.connection.dbapi_connection.cursor()  # psycopg's own; asyncpg's through SQLAlchemy's adapter
    pending = None
    if PIPELINE and DIRECT and connection.engine in _hooked:
        pending = _pending[connection] = []
    session.info[_KEPT] = (session.get_transaction(), connection, cursor, pending)
    return connection, cursor, pending


def send_later_statements(engine: Engine) -> None:
    """Hooks `engine` (PostgreSQL) so that what `later` holds goes before any statement SQLAlchemy runs on the
    same connection (an ORM flush), and with the COMMIT; a rollback, or a new transaction, drops it."""
    if ClientCursor is None or engine.dialect.driver != "psycopg":
        return
    hold_later_statements(engine, _send)


def hold_later_statements(engine: Engine, send: Callable) -> None:
    """`later`'s statements held on `engine`'s connections and sent by `send(connection, pending, last=None,
    commit=False, cursor=None)`: before any statement SQLAlchemy runs on the same connection (an ORM flush),
    and with the COMMIT; a rollback, or a new transaction, drops them."""
    _hooked[engine] = send

    @event.listens_for(engine, "before_cursor_execute")
    def _before_statement(connection, _cursor, _sql, _params, _context, _many) -> None:
        pending = _pending.get(connection)
        if pending:
            send(connection, pending)

    @event.listens_for(engine, "commit")
    def _on_commit(connection) -> None:
        pending = _pending.pop(connection, None)
        if pending:
            send(connection, pending, commit=True)

    def _dropped(connection, *_args) -> None:
        _pending.pop(connection, None)

    event.listen(engine, "begin", _dropped)
    event.listen(engine, "rollback", _dropped)


def _written(sql: str, args: list) -> str | None:
    """The statement with its values written in (shared/literals.py), or None when they cannot be exactly."""
    try:
        return literals.inline(sql, args)
    except TypeError:
        return None


def _send(connection, pending: list, *, last: tuple[str, Any] | None = None, commit: bool = False, cursor=None):
    """The statements `pending` holds, then `last` (its SQL and arguments) or the COMMIT, as ONE query of the
    simple protocol, each statement's values written into it by psycopg's client-side binding (its quoting
    of literals, as its ClientCursor does): one message each way and no wait between statements, where
    psycopg's own pipeline mode still sends and waits for each (measured: more CPU than one at a time, in
    threads). A check of a count runs before a COMMIT is sent: with one, the COMMIT is left to the driver's
    commit (a round trip of its own). Answers the cursor that holds `last`'s rows."""
    batch = pending[:]
    pending.clear()
    client = ClientCursor(connection.connection.driver_connection)
    folded = commit and not any(check is not None for _sql, _args, check in batch)
    try:
        parts = [client.mogrify(sql, args) for sql, args, _check in batch]
        if last is not None:
            parts.append(client.mogrify(*last))
        if folded:
            parts.append("COMMIT")  # the driver's commit then has nothing to do: the server says none is open
        client.execute("; ".join(parts))
    except connection.dialect.loaded_dbapi.Error as exc:
        raise failed(connection, "; ".join(sql for sql, _args, _check in batch) + (f"; {last[0]}" if last else ""),
                      None, exc, client) from exc
    for _sql, _args, check in batch:
        if check is not None:
            check(client.rowcount)
        client.nextset()
    return client


def _described(statement: ClauseElement, dialect: Dialect, keys: tuple, description) -> Statement:
    """The statement again with the result processors its answer's column types call for."""
    return _compiled.keep((dialect.name, dialect.driver, statement, keys), Statement.of(
        statement, dialect, results=True, column_keys=list(keys),
        coltypes=tuple(column[1] for column in description)))  # DB-API: the type code is second


def failed(connection, sql: str, params, exc: Exception, cursor) -> DBAPIError:
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
