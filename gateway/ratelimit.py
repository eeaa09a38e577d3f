"""A token bucket per API key (or signed-in person), in each gateway process; and the guard
against guessing keys and passwords, counted in the gateway's database."""

import math
import time
from datetime import datetime, timedelta

import structlog
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from gateway.models import AuthFailure

log = structlog.get_logger("gateway")


class RateLimiter:
    def __init__(self, per_second: float, burst: int, clock=time.monotonic) -> None:
        self.per_second = per_second
        self.burst = burst
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}

    @property
    def enabled(self) -> bool:
        return self.per_second > 0

    def take(self, who: str) -> float:
        """0 when allowed, else the seconds to wait before the next request."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        tokens, last = self.buckets.get(who, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.per_second)
        if tokens >= 1.0:
            self.buckets[who] = (tokens - 1.0, now)
            return 0.0
        self.buckets[who] = (tokens, now)
        return (1.0 - tokens) / self.per_second


# Guessing (api.md "Guessing"): more than GUESS_LIMIT failed key checks or sign-ins from one client
# address within GUESS_WINDOW, and that address's attempts without a valid key are refused (429).
GUESS_LIMIT = 20
GUESS_WINDOW = timedelta(seconds=60)
# Failure rows are kept this long: the lockout of a login counts a quarter of an hour of them.
FAILURES_KEPT = timedelta(minutes=15)


def record_failure(session: Session, address: str, now: datetime, *, login: str | None = None) -> int:
    """Write one failure (in the caller's transaction) and return the address's failures in the window."""
    session.execute(delete(AuthFailure).where(AuthFailure.at < now - FAILURES_KEPT))
    session.add(AuthFailure(at=now, address=address[:64], login=login))
    session.flush()
    return _failures_since(session, address, now)


def _failures_since(session: Session, address: str, now: datetime) -> int:
    return session.scalar(select(func.count()).select_from(AuthFailure).where(
        AuthFailure.address == address[:64], AuthFailure.at > now - GUESS_WINDOW)) or 0


def _oldest_to_age_out(session: Session, address: str, now: datetime, over: int) -> datetime | None:
    """The failure whose ageing out brings the address back to the limit."""
    return session.scalar(select(AuthFailure.at).where(
        AuthFailure.address == address[:64], AuthFailure.at > now - GUESS_WINDOW,
    ).order_by(AuthFailure.at).offset(over - 1).limit(1))


class GuessGuard:
    """Counts failures per client address in the gateway's database, so that every gateway process
    (and every worker) sees the same count; only failures cost a write, a valid key costs nothing.
    An address over the limit is remembered in this process until its oldest counted failure ages
    out, so a flood of guesses is refused without touching the database. If the database cannot be
    written, the process counts alone (in memory) until it can again."""

    def __init__(self, uow, clock) -> None:
        self.uow = uow
        self.clock = clock
        self.blocked: dict[str, datetime] = {}
        self.local: dict[str, list[datetime]] = {}

    def wait(self, address: str) -> int:
        """Seconds this address must wait (0: it may try); no database round trip."""
        until = self.blocked.get(address)
        if until is None:
            return 0
        now = self.clock.now()
        if until <= now:
            del self.blocked[address]
            return 0
        return max(1, min(60, math.ceil((until - now).total_seconds())))

    async def failed(self, address: str, record=None) -> int:
        """Count one failure from `address` (with `record(session, now) -> count`, which writes it,
        when the caller has more to write in the same transaction); returns the seconds the address
        must now wait, 0 while it is within the limit."""
        now = self.clock.now()
        record = record or (lambda session, at: record_failure(session, address, at))
        try:
            count, oldest = await self.uow.write(self._record, record, address, now)
        except Exception as exc:  # the database is away: count in this process meanwhile
            log.warning("guess_count_local", error=type(exc).__name__)
            count, oldest = self._count_locally(address, now)
        if count <= GUESS_LIMIT or oldest is None:
            return 0
        if len(self.blocked) >= 100_000:
            self.blocked.clear()
        self.blocked[address] = oldest + GUESS_WINDOW
        return self.wait(address)

    @staticmethod
    def _record(session: Session, record, address: str, now: datetime) -> tuple[int, datetime | None]:
        count = record(session, now)
        oldest = _oldest_to_age_out(session, address, now, count - GUESS_LIMIT) if count > GUESS_LIMIT else None
        return count, oldest

    def _count_locally(self, address: str, now: datetime) -> tuple[int, datetime | None]:
        if len(self.local) >= 100_000:
            self.local.clear()
        times = [t for t in self.local.get(address, []) if t > now - GUESS_WINDOW] + [now]
        self.local[address] = times
        over = len(times) - GUESS_LIMIT
        return len(times), (times[over - 1] if over > 0 else None)


def client_address(scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"
