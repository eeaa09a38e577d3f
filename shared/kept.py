"""SQLite write transactions on a connection kept per thread (issue 22: the cost of a request).

A write transaction bound to the write engine checks a connection out of the pool at its first statement
and gives it back at its end, with the pool's reset (a ROLLBACK) on the way: a tenth of a millisecond of
CPU per transaction, measured against a Session bound to a connection the thread keeps (229-248 us
against 308-371 us for an INSERT and its COMMIT). So on SQLite each thread that writes keeps one
connection of the write engine, made by it (its hooks run: WAL, foreign keys, BEGIN IMMEDIATE with the
request's lock wait at each transaction's BEGIN), and each write transaction's Session is bound to it:
the Session begins the transaction on it, commits or rolls it back, and leaves the connection open. On
SQLite the unit of work runs on the event loop (`DB_WAIT=loop`), so a process keeps one, beside the one
its hot reads keep (shared/rawread.py). A connection SQLAlchemy has invalidated (a driver error it took
for a lost connection) or closed is replaced at the next transaction. PostgreSQL keeps its pool: its
checkout is where a connection lost to a restart is found and replaced. `DB_KEPT_WRITES=off` checks one
out per transaction, to compare.
"""

import os
import threading

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

KEPT = os.environ.get("DB_KEPT_WRITES", "on") != "off"  # a measurement knob, as DB_RAW_READS


class KeptWrites:
    """The write engine's connection of each thread that writes (see the module's docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()

    @classmethod
    def of(cls, write_engine: Engine, read_engine: Engine) -> "KeptWrites | None":
        """The kept writes of a SQLite database's write engine (its own, apart from the read engine's), else None."""
        if KEPT and write_engine.dialect.name == "sqlite" and write_engine is not read_engine:
            return cls(write_engine)
        return None

    def bind(self) -> Connection:
        """This thread's connection, outside any transaction: what a write transaction's Session is bound to."""
        kept = getattr(self._local, "connection", None)
        if kept is None or kept.closed or kept.invalidated:
            if kept is not None:
                kept.close()
            kept = self._local.connection = self.engine.connect()
        elif kept.in_transaction():
            # A Session ends the transaction it began, so this is only a guard: a Session bound to a connection
            # already in a transaction would join it and commit nothing; rolled back, never joined.
            kept.rollback()
        return kept

    def close(self) -> None:
        """This thread's connection closed (the others close with their threads)."""
        kept = getattr(self._local, "connection", None)
        if kept is not None:
            self._local.connection = None
            kept.close()
