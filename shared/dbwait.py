"""How a request waits on its database, chosen per process by `DB_WAIT` (a measurement knob).

- `loop` (the default on SQLite): the synchronous session on the event loop. On SQLite a
  statement costs microseconds and this was measured fastest; on PostgreSQL
  every round trip stops the whole process.
- `thread` (the default on PostgreSQL): the same synchronous unit of work in
  a thread (at most DB_THREADS at once per process), so the event loop serves
  other requests while this one waits.
- `async`: SQLAlchemy's asyncio extension over psycopg's async driver; the
  synchronous use case runs unchanged inside `AsyncSession.run_sync` (a
  greenlet bridges each statement to an awaited round trip). PostgreSQL only;
  SQLite falls back to `loop`.

Only a few endpoints go through here (warranty's coverage, inventory's
reservations without an Idempotency-Key), enough for `make bench` to compare
the three on the same path; docs/performance.md has the figures.
"""

import os
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from sqlalchemy.orm import Session

from shared.db import POOL_SIZE

T = TypeVar("T")
MODES = ("loop", "thread", "async")


def mode(dialect: str) -> str:
    """`DB_WAIT` if set; else what `make bench` measured fastest: the thread pool on PostgreSQL,
    the event loop on SQLite."""
    chosen = os.environ.get("DB_WAIT", "")
    if chosen in MODES:
        return chosen
    return "thread" if dialect == "postgresql" else "loop"


# Threads that wait on the database at once, per process: fewer than the pool's connections,
# and few enough that the one holding a row lock gets the GIL back quickly to COMMIT.
THREADS = int(os.environ.get("DB_THREADS", str(min(16, POOL_SIZE))))


def _limiter(app) -> CapacityLimiter:
    limiter = getattr(app.state, "db_limiter", None)
    if limiter is None:
        limiter = app.state.db_limiter = CapacityLimiter(THREADS)
    return limiter


def _sync(db, fn: Callable[[Session], T], write: bool) -> T:
    with db.transaction(write=write) as session:
        return fn(session)


def _async_engine(app):
    engine = getattr(app.state, "async_engine", None)
    if engine is None:
        from sqlalchemy.ext.asyncio import create_async_engine

        settings = app.state.settings
        url = settings.database_url.replace("postgresql+psycopg://", "postgresql+psycopg_async://", 1)
        args = {"options": f"-c search_path={settings.database_schema}"} if settings.database_schema else {}
        engine = create_async_engine(url, connect_args=args, pool_size=POOL_SIZE, max_overflow=10,
                                     pool_pre_ping=True)
        app.state.async_engine = engine
    return engine


async def run(request, fn: Callable[[Session], T], *, write: bool) -> T:
    """`fn(session)` in one transaction (committed when it returns, rolled back if it raises)."""
    db = request.app.state.db
    chosen = mode(db.dialect)
    if chosen == "thread":
        return await anyio.to_thread.run_sync(_sync, db, fn, write, limiter=_limiter(request.app))
    if chosen == "async" and db.dialect == "postgresql":
        from sqlalchemy.ext.asyncio import AsyncSession

        async with AsyncSession(_async_engine(request.app), expire_on_commit=False) as session, session.begin():
            return await session.run_sync(fn)
    return _sync(db, fn, write)
