"""How long the current request may still take: the gateway's budget, passed down.

The caller sends `X-Request-Deadline: <Unix time in milliseconds>`, the moment by
which the callee must have answered. It is absolute on purpose: a service that
was stalled (paused, swapped, its socket backlog full) and reads the request
late sees at once that nobody waits for the answer any more, and does nothing.
Hosts keep their clocks in step (NTP); on one machine they share one.

Each hop waits a little less than its own deadline and gives the next hop a
little less than that, so the hop that waited is the one that reports it.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

HEADER = b"x-request-deadline"
HEADER_NAME = "X-Request-Deadline"
# Kept back at each hop: a callee's deadline falls this long before its caller gives up,
# and a caller gives up this long before its own deadline, to answer in time.
MARGIN_SECONDS = 0.25

_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)


class DeadlineExceeded(Exception):
    """The request's budget is spent: stop, roll back, answer 504."""


def parse(value: str | None) -> float | None:
    """The deadline (Unix seconds) from a header value; None when absent or not a sane number."""
    if not value or len(value) > 15 or not value.isdigit():
        return None
    return int(value) / 1000


def start(at: float | None) -> Token:
    """Bind the deadline `at` (Unix seconds; None: no deadline) for this request."""
    return _deadline.set(at)


def start_in(seconds: float) -> Token:
    return _deadline.set(time.time() + seconds)


def reset(token: Token) -> None:
    _deadline.reset(token)


def at() -> float | None:
    """This request's deadline (Unix seconds), or None."""
    return _deadline.get()


def remaining() -> float | None:
    """Seconds left for this request, or None when no deadline is set."""
    at = _deadline.get()
    return None if at is None else at - time.time()


def budget_ms(default_ms: int) -> int:
    """How long a database may wait on a lock for this request, in milliseconds: `default_ms`, or less when
    its deadline is nearer (at least 1: 0 would mean no limit to the server)."""
    left = remaining()
    if left is None:
        return default_ms
    return max(1, min(default_ms, int(left * 1000)))


def wait_budget(default: float) -> float:
    """How long this hop may wait on a call: `default`, or less when its deadline is nearer."""
    left = remaining()
    if left is None:
        return default
    return max(0.0, min(default, left - MARGIN_SECONDS))


def check() -> None:
    left = remaining()
    if left is not None and left <= 0:
        raise DeadlineExceeded()


def header_for_call(wait: float) -> str:
    """The deadline to send a callee we will wait `wait` seconds for: a margin before we give up."""
    return str(int((time.time() + max(0.0, wait - MARGIN_SECONDS)) * 1000))


@contextmanager
def unbounded() -> Iterator[None]:
    """Clean-up that must run even after the deadline (giving an idempotency claim back)."""
    token = _deadline.set(None)
    try:
        yield
    finally:
        _deadline.reset(token)
