"""`python -m deploy.migrate_locked`: `make migrate` made safe for many pods at once.

Every Kubernetes pod runs it as an init container before its process starts
(deploy/k8s). On PostgreSQL it waits for the database, takes one session-level
advisory lock, applies every service's migrations (`scripts.migrate`) and lets
go: pods that start together migrate one after the other, and all but the first
find nothing to do. A pod that dies holding the lock loses its session, and the
lock with it. Without a PostgreSQL DATABASE_URL (SQLite under DATA_DIR) the
lock is an exclusive lock on DATA_DIR/.migrate.lock (flock): processes of one
machine starting together migrate one after the other as well.

`make run` and `make migrate` (Compose's migrate job) go through it too
(scripts/run.py), so two starts at once never fail on a duplicate table.

MIGRATE_LOCK_TIMEOUT_SECONDS (default 600) bounds the wait for the database and
for the lock; past it the command fails (exit 1) and Kubernetes retries the pod.
"""

import fcntl
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from scripts import run
from shared.settings import normalise_url

# Any fixed 64-bit number, the same in every version of the image: "aftersal" in ASCII.
LOCK_KEY = int.from_bytes(b"aftersal", "big") & 0x7FFF_FFFF_FFFF_FFFF
POLL_SECONDS = 0.5


class Timeout(Exception):
    pass


def lock_url(environ: dict[str, str]) -> str | None:
    """The PostgreSQL database the lock lives in, or None when there is none."""
    url = environ.get("MIGRATE_LOCK_DATABASE_URL") or environ.get("DATABASE_URL") or ""
    url = normalise_url(url)
    return url if url.startswith("postgresql") else None


def connect(engine: Engine, deadline: float, say: Callable[[str], None]) -> Connection:
    """A connection, waiting while the database is not up yet."""
    while True:
        try:
            return engine.connect()
        except OperationalError as exc:
            if time.monotonic() >= deadline:
                raise Timeout(f"the database did not answer in time: {exc.orig}") from exc
            say("waiting for the database")
            time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))


def acquire(conn: Connection, deadline: float, say: Callable[[str], None]) -> None:
    announced = False
    while not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar():
        conn.commit()  # no transaction left open while waiting
        if time.monotonic() >= deadline:
            raise Timeout("another migration held the lock for too long")
        if not announced:
            say("another pod is migrating; waiting for it")
            announced = True
        time.sleep(POLL_SECONDS)
    conn.commit()


def file_locked(path: Path, migrate: Callable[[], None], deadline: float, say: Callable[[str], None]) -> None:
    """`migrate` under an exclusive flock of `path`; the lock goes with the process if it dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as lock:
        announced = False
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Timeout("another migration held the lock for too long") from None
                if not announced:
                    say("another process is migrating; waiting for it")
                    announced = True
                time.sleep(POLL_SECONDS)
        try:
            migrate()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def migrate_locked(environ: dict[str, str], migrate: Callable[[], None], say: Callable[[str], None]) -> None:
    url = lock_url(environ)
    timeout = float(environ.get("MIGRATE_LOCK_TIMEOUT_SECONDS", "600"))
    deadline = time.monotonic() + timeout
    if url is None:
        file_locked(Path(environ.get("DATA_DIR") or "./data") / ".migrate.lock", migrate, deadline, say)
        return
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        with connect(engine, deadline, say) as conn:
            acquire(conn, deadline, say)
            try:
                migrate()
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
                conn.commit()
    finally:
        engine.dispose()


def main() -> int:
    def say(message: str) -> None:
        print(f"migrate: {message}", flush=True)

    try:
        env = run.environment()
        migrate_locked(env, lambda: run.migrate_all(env), say)
    except Timeout as exc:
        print(f"migrate: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
