"""Idempotency-Key handling, the same for every service that takes one.

One transaction (`once`, what `run_idempotent` and every idempotent route use): the key's row is read,
the effect runs and its answer is stored as the key's row, in the effect's own transaction, so that a
stored answer always means the effect happened and a failed effect leaves nothing to give back. A
duplicate running at the same moment waits for nothing: on PostgreSQL it does not get the key's
transaction lock and is answered 409 `idempotency_in_progress`; on SQLite the write transaction is
the only writer, so it finds the answer stored.

Two phases (the billing saga, whose key is held across calls to other services). `claim_with`
commits a row for the key in the transaction of the saga's first step (the bill begun), before any
call to another service, so a concurrent duplicate sees it and gets 409
`idempotency_in_progress`. The response is stored by `record` in the same
transaction as the effect, so a stored answer always means the effect
happened. A failed request gives its claim back (`release`) so that a retry
runs again. Only successful (2xx) answers are stored and replayed.

A claim nobody gives back (its process died, or the database was away when it
tried) is taken over by a retry once its hold ends: a short lease (10 s,
IDEMPOTENCY_LEASE_SECONDS) from the claim, or the request's deadline and a
grace second, whichever is later, so that a slow but live request is never
taken over while it may still commit (past its deadline it rolls back, see
shared/db.py). The hold is kept as the claim's `updated_at`, set ahead when the
deadline is further than a lease. While a claim holds, a duplicate gets 409
`idempotency_in_progress` with `Retry-After`.
"""

import functools
import hashlib
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import BigInteger, Integer, String, Text, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column
from starlette.responses import JSONResponse, Response

from shared import deadline, direct, errors
from shared.clock import Clock
from shared.contracts import common
from shared.db import Database, UtcDateTime

LEASE = timedelta(seconds=10)
# A claim outlives its request's deadline by this much: the holder's last COMMIT, checked against
# the deadline just before, is done well within it.
DEADLINE_GRACE = timedelta(seconds=1)
# A claim its holder could not give back (the database was away) is tried again this often, in the
# background, while it is still surely the holder's: until a second before its hold ends.
RELEASE_RETRY_SECONDS = 0.5
RELEASE_MARGIN = timedelta(seconds=1)
HELD_KEPT = 10_000
# The longest Retry-After of a 409 for a claim still held: the holder usually answers sooner.
MAX_RETRY_AFTER_SECONDS = 5
KEY_MAX_LENGTH = common.IDEMPOTENCY_KEY_MAX_LENGTH
log = structlog.get_logger("idempotency")


class IdempotencyRecordMixin:
    """Columns of a service's `idempotency_record` table."""

    scope: Mapped[str] = mapped_column(String(300), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Done: when the answer was stored. In progress: when the claim's lease began (set ahead of
    # the claim when the request's deadline is further away than a lease).
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


@dataclass(frozen=True, slots=True)
class Stored:
    status: int
    body: dict | list

    def replay(self) -> JSONResponse:
        """The stored answer, sent again, marked as a replay."""
        return JSONResponse(self.body, status_code=self.status, headers={"Idempotent-Replayed": "true"})


def fingerprint(method: str, path: str, body: object) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_key(key: str) -> None:
    if not key or len(key) > KEY_MAX_LENGTH or not key.isprintable():
        raise errors.Unprocessable(
            "The Idempotency-Key header must be 1-200 printable characters",
            errors=[{"field": "Idempotency-Key", "message": "1-200 printable characters"}],
        )


def _lock_id(table: str, scope: str, key: str) -> int:
    """The key's transaction lock on PostgreSQL (a signed 64-bit number; a collision only makes a
    request wait for a retry)."""
    return int.from_bytes(hashlib.sha256(f"{table}\0{scope}\0{key}".encode()).digest()[:8], "big", signed=True)


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Idempotency:
    def __init__(self, db: Database, model: type, clock: Clock, lease: timedelta | None = None) -> None:
        self.db = db
        self.model = model
        self.clock = clock
        self.lease = lease or LEASE
        # Without a lease of its own, the app factory gives it the service's setting (shared/app.py).
        self.lease_given = lease is not None
        # Core statements on the model's table, built once: every idempotent request runs them.
        table = model.__table__
        this_key = (table.c.scope == bindparam("b_scope"), table.c.key == bindparam("b_key"))
        self._find = (
            select(table.c.fingerprint, table.c.state, table.c.response_status, table.c.response_body,
                   table.c.updated_at)
            .where(*this_key).with_for_update()
        )
        self._insert = insert(table)
        # The lock is the database's, not the schema's: two schemas (two deployments, or two test runs)
        # holding the same key must not lock each other out.
        self._locked_table = f"{db.schema or ''}.{model.__tablename__}"
        self._postgresql = db.dialect == "postgresql"
        self._try_lock = select(func.pg_try_advisory_xact_lock(bindparam("b_lock", type_=BigInteger)))
        self._take_over = update(table).where(*this_key).values(updated_at=bindparam("b_now"))
        self._record = update(table).where(*this_key).values(
            state="done", response_status=bindparam("b_status"), response_body=bindparam("b_body"),
            updated_at=bindparam("b_now"))
        # The hold (`updated_at`) of each claim this process holds now, and the claims it could not give
        # back yet: a background thread tries those again (`give_back`).
        self._held: dict[tuple[str, str], datetime] = {}
        self._unreleased: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()
        self._releaser: threading.Thread | None = None

    def once(self, *, scope: str, key: str, fingerprint: str, status: int,
             effect: Callable[[Session], object]) -> tuple[Stored | None, object]:
        """The effect of `key` in ONE transaction with its key's row: (the stored answer to replay, None), or
        (None, what `effect(session)` returned, stored as the answer with `status`); raises on reuse or in-flight.

        For an effect that is one unit of work (every idempotent route but the billing saga, which holds its
        key across calls to other services with `claim` and `record`). No claim is committed first: on
        SQLite the write transaction is the only writer; on PostgreSQL a duplicate running at the same moment
        does not get the key's transaction lock and is answered 409 `idempotency_in_progress` at once. A key
        held by a two-phase claim (`claim`) is honoured as there: 409 while held, taken over after."""
        _check_key(key)
        now = self.clock.now()
        with self.db.transaction() as session:
            row = self._locked_row(session, scope, key)
            if row is not None:
                stored = self._answer_of(row, fingerprint, now)
                if stored is not None:
                    return stored, None
                log.info("idempotency_claim_taken_over", scope=scope, key=key)
            answer = effect(session)
            done = {"state": "done", "response_status": status, "updated_at": now,
                    "response_body": json.dumps(answer, separators=(",", ":"), default=str)}
            if row is not None:
                direct.run(session, self._record, {"b_scope": scope, "b_key": key, "b_status": status,
                                                   "b_body": done["response_body"], "b_now": now})
            else:
                try:
                    direct.run(session, self._insert, {"scope": scope, "key": key, "fingerprint": fingerprint,
                                                       "created_at": now, **done})
                except IntegrityError as exc:  # a two-phase claim of the same key came meanwhile
                    raise errors.IdempotencyInProgress() from exc
        return None, answer

    def _locked_row(self, session: Session, scope: str, key: str):
        """The key's row, read under its transaction lock on PostgreSQL: a duplicate running at the same
        moment does not get that lock and is answered 409 `idempotency_in_progress` at once."""
        if self._postgresql and not direct.run(
                session, self._try_lock, {"b_lock": _lock_id(self._locked_table, scope, key)}).scalar():
            raise errors.IdempotencyInProgress()
        return direct.run(session, self._find, {"b_scope": scope, "b_key": key}).first()

    def _answer_of(self, row, fingerprint: str, now: datetime) -> Stored | None:
        """The stored answer of the key's row, None when its claim lapsed (take it over); raises when the
        key came with another request or its claim is still held."""
        if row.fingerprint != fingerprint:
            raise errors.IdempotencyKeyReused("This Idempotency-Key was used with a different request body")
        if row.state == "done":
            return Stored(row.response_status, json.loads(row.response_body))
        held_until = _aware(row.updated_at) + self.lease
        if now < held_until:
            wait = math.ceil((held_until - now).total_seconds())
            raise errors.IdempotencyInProgress(retry_after=min(MAX_RETRY_AFTER_SECONDS, wait))
        return None

    def claim(self, *, scope: str, key: str, fingerprint: str) -> Stored | None:
        """Claim `key`, or return the stored answer to replay; raises on reuse or in-flight."""
        return self.claim_with(scope=scope, key=key, fingerprint=fingerprint)[0]

    def claim_with(self, *, scope: str, key: str, fingerprint: str,
                   effect: Callable[[Session], object] | None = None) -> tuple[Stored | None, object]:
        """Claim `key` and run `effect(session)` (the saga's first step) in the claim's ONE transaction:
        (the stored answer to replay, None), or (None, what the effect returned) with the claim committed
        and held. When the effect raises, nothing is committed, the claim included: there is nothing to
        give back. On PostgreSQL a duplicate running at the same moment does not get the key's
        transaction lock and is answered 409 `idempotency_in_progress` at once, as in `once`."""
        _check_key(key)
        for _attempt in range(3):
            try:
                return self._claim_once(scope=scope, key=key, fingerprint=fingerprint, effect=effect)
            except IntegrityError:
                continue  # another process inserted the same key first: look again
        raise errors.IdempotencyInProgress()

    def _claim_once(self, *, scope: str, key: str, fingerprint: str,
                    effect: Callable[[Session], object] | None) -> tuple[Stored | None, object]:
        now = self.clock.now()
        with self.db.transaction() as session:
            row = self._locked_row(session, scope, key)
            held = self._lease_start(now)
            if row is None:
                direct.run(session, self._insert, {
                    "scope": scope, "key": key, "fingerprint": fingerprint, "state": "in_progress",
                    "response_status": None, "response_body": None, "created_at": now, "updated_at": held,
                })
            else:
                stored = self._answer_of(row, fingerprint, now)
                if stored is not None:
                    return stored, None
                # Its holder died or could not give it back, and its deadline is past: take it over.
                direct.run(session, self._take_over, {"b_scope": scope, "b_key": key, "b_now": held})
                log.info("idempotency_claim_taken_over", scope=scope, key=key)
            done = effect(session) if effect is not None else None
        self._hold(scope, key, held)  # committed: now this process's to record or give back
        return None, done

    def _hold(self, scope: str, key: str, held: datetime) -> None:
        with self._lock:
            if len(self._held) >= HELD_KEPT:  # requests that ended without recording or releasing
                over = self.clock.now() - self.lease
                self._held = {k: at for k, at in self._held.items() if _aware(at) > over}
            self._held[(scope, key)] = held

    def _lease_start(self, now: datetime) -> datetime:
        """The `updated_at` of a claim made now: held a lease from now, or until the request's
        deadline and a grace if that is later."""
        left = deadline.remaining()
        if left is None:
            return now
        until = now + timedelta(seconds=max(0.0, left)) + DEADLINE_GRACE
        return max(now, until - self.lease)

    def record(self, session: Session, *, scope: str, key: str, status: int, body: object) -> None:
        """Store the answer, in the transaction of the effect it describes (sent with its next statement or
        its COMMIT: direct.later). The claim stops being this process's to give back once the answer is
        written (its count checked), as when the write was sent at once."""
        direct.later(session, self._record, {
            "b_scope": scope, "b_key": key, "b_status": status,
            "b_body": json.dumps(body, separators=(",", ":"), default=str), "b_now": self.clock.now(),
        }, check=functools.partial(self._recorded, scope, key))

    def _recorded(self, scope: str, key: str, count: int) -> None:
        if count != 1:  # the claim is gone (purged mid-request): the effect must not commit
            raise RuntimeError(f"idempotency claim {scope} {key!r} missing")
        with self._lock:
            self._held.pop((scope, key), None)

    def release(self, *, scope: str, key: str) -> None:
        with deadline.unbounded(), self.db.transaction() as session:
            session.execute(
                delete(self.model).where(
                    self.model.scope == scope, self.model.key == key, self.model.state == "in_progress"
                )
            )
        with self._lock:
            self._held.pop((scope, key), None)
            self._unreleased.pop((scope, key), None)

    def give_back(self, *, scope: str, key: str) -> None:
        """Release the claim of a request that failed; never raises. When the database is away, a
        background thread tries again until a second before the claim's hold ends (after that a retry
        takes it over anyway, and it may no longer be this holder's to delete), so that a retry after
        an outage is not refused as in progress for the rest of the hold."""
        try:
            self.release(scope=scope, key=key)
        except Exception as exc:
            log.warning("idempotency_release_failed", scope=scope, key=key, error=str(exc).splitlines()[0][:300])
            with self._lock:
                held = self._held.pop((scope, key), None)
                if held is None:  # not claimed here (or already given back): nothing to do
                    return
                self._unreleased[(scope, key)] = _aware(held) + self.lease - RELEASE_MARGIN
                if self._releaser is None or not self._releaser.is_alive():
                    self._releaser = threading.Thread(target=self._release_later, name="idempotency-release",
                                                      daemon=True)
                    self._releaser.start()

    def _release_later(self) -> None:
        while True:
            time.sleep(RELEASE_RETRY_SECONDS)
            now = self.clock.now()
            with self._lock:
                due = [(k, until) for k, until in self._unreleased.items()]
                for k, until in due:
                    if now >= until:
                        del self._unreleased[k]  # its hold is (nearly) over: a retry takes it over
                if not self._unreleased:
                    self._releaser = None
                    return
            for (scope, key), until in due:
                if now >= until:
                    continue
                try:
                    self.release(scope=scope, key=key)
                    log.info("idempotency_released_later", scope=scope, key=key)
                except Exception:  # still away: the next round
                    continue

    def purge(self, *, older_than: timedelta = timedelta(hours=48)) -> int:
        """Forget answers older than the retention (api.md promises at least 24 h)."""
        cutoff = self.clock.now() - older_than
        with self.db.transaction() as session:
            result = session.execute(delete(self.model).where(self.model.created_at < cutoff))
            return result.rowcount or 0


@dataclass(slots=True)
class Attempt:
    """One run of a two-phase idempotent request (the billing saga, its recovery): the key it records under."""

    idempotency: Idempotency | None
    scope: str
    key: str | None
    claimed: bool = False  # its claim committed here (`claim_with`): to record, or to give back

    def record(self, session: Session, status: int, body: object) -> None:
        if self.idempotency is not None and self.key is not None:
            self.idempotency.record(session, scope=self.scope, key=self.key, status=status, body=body)


async def run_idempotent(request, *, key: str | None, payload, status: int, effect,
                         idempotency: Idempotency | None = None):
    """Run `effect(session)` once per Idempotency-Key and answer with what it returns.

    `payload` is the validated request body (a pydantic model or None); the
    effect returns a pydantic model, stored with the effect in one transaction.
    The claim, the effect and a release are explicit units of work (shared/uow.py).
    `idempotency`: the store to use, when not the app's (`app.state.idempotency`).
    """
    return await request.app.state.uow.call(_run_idempotent, request, key, payload, status, effect, idempotency)


def _run_idempotent(request, key: str | None, payload, status: int, effect, idempotency: Idempotency | None = None):
    if key is None:  # nothing to claim or store: the answer serialized once
        with request.app.state.db.transaction() as session:
            return Response(effect(session).model_dump_json(), status_code=status, media_type="application/json")
    caller = request.scope.get("state", {}).get("caller")
    who = (caller.key_id or caller.role) if caller else "anonymous"
    path = request.url.path
    body = payload.model_dump(mode="json") if payload is not None else None
    stored, answer = (idempotency or request.app.state.idempotency).once(
        scope=f"{who}:{path}", key=key, fingerprint=fingerprint(request.method, path, body), status=status,
        effect=lambda session: effect(session).model_dump(mode="json"),
    )
    if stored is not None:
        return stored.replay()
    return JSONResponse(answer, status_code=status)
