"""API keys: random, shown once, stored as a SHA-256 hash, revocable at once.

Keys carry 256 random bits, so a fast hash is enough (no password stretching
needed). A key found active is kept in the process's memory, so a request
costs no database round trip; revocation still takes effect at once on every
gateway process, because every request first asks, without a round trip,
whether anything changed since:
- PostgreSQL: `revoke` sends NOTIFY on the keys' channel in its transaction (sent at
  COMMIT; it reaches each listener's socket a moment later, milliseconds at
  most on one network, before the caller's next request can); each process LISTENs
  on a connection of its own and, per request, reads whatever has arrived on
  that socket (a non-blocking recv: microseconds). A notification clears the
  cache. If that connection fails, the cache is off (a lookup per request,
  as before) until it is back (retried once a second); once back, the cache
  starts again empty, since revocations meanwhile went unheard.
- SQLite: `PRAGMA data_version` on a connection of its own changes whenever
  another connection committed to the gateway's database (an in-memory read
  of the WAL index, no I/O); any change clears the cache.
A lookup that ran while the cache was cleared is not kept (a generation
counter), so a revocation is never overwritten by an answer read before it.
The process that revoked a key forgets its cache itself before it answers; the
notification carries that process's origin and it ignores its own (arriving a
moment later, it would empty the cache again: keys looked up in between, then
an outage, and they are 503 instead of served from memory).
Unknown keys are never cached. Anything that changes a key's role or
warehouses must notify the same way (`changed`).

When the database is away (a lookup fails with a database fault,
shared/dbfaults.py), a key found in the cache still passes, even while the
watch is lost with the database: the cache then holds only keys vouched for
while the watch still heard every revocation (a revocation heard cleared it,
and a lookup that succeeds while the watch is lost drops it). A key not in it
is 503 `database_busy`, never a 401. Its last-used time is not written then.
"""

import contextlib
import hashlib
import hmac
import os
import secrets
import threading
import time
import uuid
from datetime import datetime, timedelta

import structlog
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session

from gateway.models import ApiKey
from shared import dbfaults, errors, pagination
from shared.context import Caller
from shared.uow import UnitOfWork

log = structlog.get_logger("gateway")
BOOTSTRAP_ID = "bootstrap"
BOOTSTRAP_CALLER = Caller(role="admin", key_id=BOOTSTRAP_ID, kind="key", name="bootstrap admin key")
# The channel is the keys' schema's own: PostgreSQL's channels are global to the database, and
# another gateway sharing the server (a test worker, a second installation) revokes its own keys.
# One SQL expression, so the NOTIFY and the LISTEN name it alike (63 bytes: NAMEDATALEN).
CHANNEL_SQL = "left('api_keys.' || current_schema(), 63)"
CACHE_MAX = 10_000  # keys in memory per process; past it the cache starts again empty
RECONNECT_EVERY_SECONDS = 1.0
# After a lookup failed with a database fault, cached keys pass without a lookup for this long.
OFFLINE_RECHECK_SECONDS = 1.0
# last_used_at is written at most this often per key and process: a write per
# request would serialise every read on SQLite.
LAST_USED_RESOLUTION = timedelta(seconds=60)


class ApiKeyNotFound(errors.NotFound):
    code, title = "api_key_not_found", "No such API key"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_raw_key() -> str:
    return "ak_" + secrets.token_urlsafe(32)


def normalise_warehouses(codes: list[str] | None) -> str:
    return ",".join(sorted({c.strip().upper() for c in codes or [] if c.strip()}))


def create(session: Session, *, name: str, role: str, warehouses: list[str] | None, now: datetime,
           station: str = ""):
    raw = new_raw_key()
    key = ApiKey(
        id=uuid.uuid4().hex,
        name=name,
        role=role,
        warehouses=normalise_warehouses(warehouses) if role == "warehouse" else "",
        station=station if role == "station" else "",
        key_hash=hash_key(raw),
        created_at=now,
    )
    session.add(key)
    session.flush()
    return key, raw


def list_keys(session: Session, *, after: str | None, limit: int) -> list[ApiKey]:
    query = pagination.keyset(select(ApiKey), ApiKey.id, after=after, limit=limit)
    return list(session.scalars(query))


def revoke(session: Session, *, key_id: str, now: datetime, origin: str = "") -> None:
    """`origin`: the revoking process's `Authenticator.origin` when it forgets its cache itself
    after the commit (its watch then ignores this notification); "" for every process to hear it."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise ApiKeyNotFound(f"No API key with id {key_id}")
    if key.revoked_at is None:
        key.revoked_at = now
        changed(session, origin)


def changed(session: Session, origin: str = "") -> None:
    """Tell every gateway process, at COMMIT, that a key changed (PostgreSQL; SQLite sees it itself)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_notify({CHANNEL_SQL}, :origin)"), {"origin": origin})


# Built once: constructing the expression per request cost more than running it.
_ACTIVE_KEY = select(ApiKey.id, ApiKey.role, ApiKey.warehouses, ApiKey.name, ApiKey.station).where(
    ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None)
)


# What can make a cached key wrong is a revocation (keys are never edited, a new key is never
# cached before it is looked up). On SQLite the watch asks this of its own connection: a count
# and the latest time, microseconds on the small key table. (`PRAGMA data_version` moved with
# every commit to the file: a failed sign-in's counter or a key's last-used time emptied the cache.)
SQLITE_REVOCATIONS = "SELECT count(revoked_at), max(revoked_at) FROM api_key"


class ChangeWatch:
    """Says, without a database round trip, whether the keys may have changed since it was last asked."""

    def __init__(self, engine, origin: str = "") -> None:
        self.engine = engine
        self.own = origin.encode()  # notifications with this payload were sent by this process
        self.postgres = engine.dialect.name == "postgresql"
        self.raw = None
        self.channel = ""  # PostgreSQL: the channel listened on, once connected
        self.last_version = None
        self.next_attempt = 0.0
        self.fresh = False  # connected since last asked: whatever happened before is unknown
        self.connecting = threading.Lock()

    def due(self) -> bool:
        """Whether a (re)connect may be tried now (at most once per RECONNECT_EVERY_SECONDS)."""
        return time.monotonic() >= self.next_attempt

    def connect(self) -> None:
        """Open the watch's own connection: a round trip (run it through the unit of work's `call`)."""
        if not self.connecting.acquire(blocking=False):
            return  # another request is connecting it
        try:
            now = time.monotonic()
            if self.raw is not None or now < self.next_attempt:
                return
            self.next_attempt = now + RECONNECT_EVERY_SECONDS
            self._open()
        finally:
            self.connecting.release()

    def _open(self) -> None:
        try:
            pooled = self.engine.raw_connection()
            raw = pooled.driver_connection
            pooled.detach()  # ours for good: it is not a connection for queries
            if self.postgres:
                from psycopg import sql as pgsql  # PostgreSQL only: not imported on SQLite

                raw.autocommit = True
                self.channel = raw.execute(f"SELECT {CHANNEL_SQL}").fetchone()[0]
                raw.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(self.channel)))
            else:
                self.last_version = raw.execute(SQLITE_REVOCATIONS).fetchone()
            self.fresh = True
            self.raw = raw
        except Exception as exc:  # no watch, no cache: every request looks its key up
            log.warning("api_key_watch_unavailable", error=str(exc))

    def changed(self) -> bool | None:
        """True if something changed, False if not, None if it cannot tell (then trust nothing)."""
        if self.raw is None:  # not connected yet, or lost: trust nothing until `connect` succeeds
            return None
        if self.fresh:
            self.fresh = False
            return True
        try:
            if self.postgres:
                pgconn = self.raw.pgconn
                pgconn.consume_input()  # whatever has arrived; the socket is non-blocking
                seen = False
                while (notice := pgconn.notifies()) is not None:
                    seen = seen or not self.own or notice.extra != self.own
                if pgconn.status != 0:  # CONNECTION_OK
                    raise ConnectionError("listen connection lost")
                return seen
            version = self.raw.execute(SQLITE_REVOCATIONS).fetchone()
            if version != self.last_version:
                self.last_version = version
                return True
            return False
        except Exception as exc:
            log.warning("api_key_watch_lost", error=str(exc))
            self.close()
            return None

    def close(self) -> None:
        if self.raw is not None:
            with contextlib.suppress(Exception):  # already broken
                self.raw.close()
            self.raw = None


def caller_of(row) -> Caller:
    """The caller a stored key (a row with its id, role and comma-joined warehouses) stands for."""
    return Caller(role=row.role, key_id=row.id, warehouses=frozenset(w for w in row.warehouses.split(",") if w),
                  kind="key", name=getattr(row, "name", "") or "", station=getattr(row, "station", "") or "")


def _active_key(session: Session, digest: str) -> Caller | None:
    row = session.execute(_ACTIVE_KEY, {"key_hash": digest}).first()
    return None if row is None else caller_of(row)


def _mark_used(session: Session, key_id: str, now: datetime) -> None:
    session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))


class Authenticator:
    """Every database touch goes through the unit of work (`uow`): on PostgreSQL it runs off the
    event loop. The per-request check of the watch is no round trip (see the module's docstring)."""

    def __init__(self, db, admin_key: str, clock, uow: UnitOfWork | None = None) -> None:
        self.db = db
        self.uow = uow or UnitOfWork(db)
        self.admin_hash = hash_key(admin_key)
        self.clock = clock
        self.last_written: dict[str, datetime] = {}
        self.cache: dict[str, Caller] = {}
        self.generation = 0
        self.origin = f"{os.getpid()}-{uuid.uuid4().hex}"  # this process, in its own notifications
        self.watch = ChangeWatch(db.read_engine, self.origin)
        self.lock = threading.Lock()
        self.offline_until = 0.0  # monotonic; a lookup failed with a database fault until then

    def forget(self) -> None:
        """Drop every cached key (and any lookup in flight): a key changed in this process."""
        with self.lock:
            self.cache.clear()
            self.generation += 1

    def _current(self) -> tuple[bool, int]:
        """Whether the cache may be used now, and the generation a lookup made now belongs to."""
        with self.lock:
            state = self.watch.changed()
            if state is True:
                self.cache.clear()
                self.generation += 1
            elif state is None:
                # Blind: the cache is not used, only kept for a database outage (`_from_memory`).
                self.generation += 1
            return state is not None, self.generation

    async def authenticate(self, raw: str | None) -> Caller | None:
        if not raw:
            return None
        digest = hash_key(raw)
        if hmac.compare_digest(digest, self.admin_hash):
            return BOOTSTRAP_CALLER
        if self.watch.raw is None and self.watch.due():
            # (Re)connecting the watch is a round trip: never on the event loop.
            await self.uow.call(self.watch.connect)
        usable, generation = self._current()
        caller = self.cache.get(digest) if usable else None
        if caller is None:
            if time.monotonic() < self.offline_until and digest in self.cache:
                return self.cache[digest]  # the database failed a moment ago: no lookup to wait on
            try:
                caller = await self._lookup(digest)
            except Exception as exc:
                return self._from_memory(digest, exc)
            with self.lock:
                self.offline_until = 0.0
                if not usable:
                    # The database answers while the watch is lost: revocations may go unheard
                    # now, so what the cache holds can no longer be vouched for.
                    self.cache.clear()
                    self.generation += 1
                if caller is None:
                    return None
                if usable and generation == self.generation:
                    if len(self.cache) >= CACHE_MAX:
                        self.cache.clear()
                    self.cache[digest] = caller
        await self._touch(caller.key_id)
        return caller

    def _from_memory(self, digest: str, exc: Exception) -> Caller:
        """The cached caller of a key whose lookup failed with a database fault; else 503."""
        fault = dbfaults.classify(exc)
        if fault is None:
            raise exc
        with self.lock:
            if time.monotonic() >= self.offline_until:  # one line per outage, not one per request
                log.warning("api_keys_from_memory", kind=fault.kind, sqlstate=fault.sqlstate, error=fault.error,
                            cached=len(self.cache))
            self.offline_until = time.monotonic() + OFFLINE_RECHECK_SECONDS
            caller = self.cache.get(digest)
        if caller is None:
            raise errors.DatabaseBusy(f"The API key cannot be checked now. {fault.detail}")
        return caller

    async def _lookup(self, digest: str) -> Caller | None:
        return await self.uow.read(_active_key, digest)

    def close(self) -> None:
        self.watch.close()

    async def _touch(self, key_id: str) -> None:
        now = self.clock.now()
        last = self.last_written.get(key_id)
        if last is not None and now - last < LAST_USED_RESOLUTION:
            return
        self.last_written[key_id] = now
        try:
            await self.uow.write(_mark_used, key_id, now)
        except Exception as exc:  # the last-used time is a convenience: never worth failing the request
            if dbfaults.classify(exc) is None:
                raise
