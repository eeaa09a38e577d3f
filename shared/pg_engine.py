"""The hooks of a PostgreSQL engine on psycopg (shared/db.py makes it): the deadline's statement_timeout at
BEGIN, in the same round trip, and a connection the server ended while idle dropped at checkout."""

import contextlib
from select import POLLERR, POLLHUP, POLLIN, poll

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

from shared import deadline


def _hung_up(dbapi_connection) -> bool:
    """Whether the server ended this idle connection (a restart, a terminated backend): it said so
    before closing (an error message, then the end of the stream), so the socket has something to read
    while no query is pending. A poll of the socket, no round trip."""
    if dbapi_connection.closed or getattr(dbapi_connection, "broken", False):
        return True
    poller = poll()
    poller.register(dbapi_connection.fileno(), POLLIN | POLLERR | POLLHUP)
    return bool(poller.poll(0))


def recover_dead_connections(engine: Engine) -> None:
    """In place of the pool's pre-ping (a round trip before every transaction, a tenth of a short
    read's CPU, measured): a connection the server ended while it sat in the pool is dropped at checkout
    and another taken (the pool tries three times), so a restart between requests is not seen. One the
    server ends while a request uses it fails that request only (503, shared/dbfaults.py), and the pool
    then drops every connection made before it."""

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, _record, _proxy) -> None:
        if _hung_up(dbapi_connection):
            raise DisconnectionError("the server ended this connection while it was idle")


def bound_statements(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # Only under a deadline: the transaction's statements bounded by the time left.
        if deadline.remaining() is None:
            return
        setting = f"SET LOCAL statement_timeout = {deadline.budget_ms(3_600_000)}"
        if not _begun_with(connection.connection.driver_connection, setting):
            connection.exec_driver_sql(setting)


def _begun_with(driver, setting: str) -> bool:
    """BEGIN and `setting` sent in ONE round trip, where psycopg would send its BEGIN alone before the setting
    (psycopg starts no transaction of its own once the server says one is open). False when that could not be
    done (the connection not idle, or anything failed): the caller then sends the setting the usual way, which
    begins as psycopg does and raises, wrapped by SQLAlchemy, what the connection's state calls for."""
    pgconn = getattr(driver, "pgconn", None)
    if pgconn is None or driver.autocommit or pgconn.transaction_status != _PQ_IDLE or driver.isolation_level \
            is not None or driver.read_only is not None or driver.deferrable is not None:
        return False
    try:
        answer = pgconn.exec_(f"BEGIN; {setting}".encode())
    except Exception:  # noqa: BLE001 (the usual way then raises the proper error)
        return False
    if answer.status == _PQ_COMMAND_OK and pgconn.transaction_status == _PQ_INTRANS:
        return True
    if pgconn.transaction_status != _PQ_IDLE and pgconn.status == _PQ_OK:
        with contextlib.suppress(Exception):  # a lost connection: the usual way raises it, wrapped
            pgconn.exec_(b"ROLLBACK")  # the BEGIN took, the setting did not: start again the usual way
    return False


try:
    from psycopg.pq import ConnStatus, ExecStatus, TransactionStatus
    _PQ_IDLE, _PQ_INTRANS = TransactionStatus.IDLE, TransactionStatus.INTRANS
    _PQ_COMMAND_OK, _PQ_OK = ExecStatus.COMMAND_OK, ConnStatus.OK
except ImportError:  # psycopg is PostgreSQL's driver only
    _PQ_IDLE = _PQ_INTRANS = _PQ_COMMAND_OK = _PQ_OK = None
