"""How long the current request may still take: the gateway's budget, passed down.

The gateway sends each service `X-Request-Deadline: <milliseconds left>` (a
relative budget, so that hosts need not share a clock). A service keeps the
absolute monotonic deadline in a context variable, spends less than that on its
own upstream calls and database work, and gives its own callers a smaller
budget still, so that the hop that waited is the one that reports it.
"""

import time
from contextvars import ContextVar, Token

HEADER = b"x-request-deadline"
HEADER_NAME = "X-Request-Deadline"
# Time kept back at each hop to turn a timeout into an answer and send it.
MARGIN_SECONDS = 0.5

_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)


class DeadlineExceeded(Exception):
    """The request's budget is spent: stop, roll back, answer 504."""


def parse(value: str | None) -> float | None:
    """Seconds left from a header value; None when absent or not a sane number."""
    if not value or len(value) > 12 or not value.isdigit():
        return None
    return int(value) / 1000


def start(seconds: float | None) -> Token:
    """Bind a deadline `seconds` from now (None: no deadline) for this request."""
    return _deadline.set(None if seconds is None else time.monotonic() + seconds)


def reset(token: Token) -> None:
    _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left for this request, or None when no deadline is set."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def budget(default: float) -> float:
    """How long the next wait may take: `default`, or less when the deadline is nearer."""
    left = remaining()
    if left is None:
        return default
    return max(0.0, min(default, left - MARGIN_SECONDS))


def check() -> None:
    left = remaining()
    if left is not None and left <= 0:
        raise DeadlineExceeded()


def header_for_next_hop(default: float) -> str:
    """The value to send a service we call: our budget less our own margin, in ms."""
    return str(int(budget(default) * 1000))
