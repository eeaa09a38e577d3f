"""When a reservation stops holding stock.

An active reservation past its expiry time is expired from that instant,
whether or not anything has written it down yet: reads report it expired and
count its stock as available; the next write that touches it records it.
"""

from datetime import datetime, timedelta

ACTIVE = "active"
EXPIRED = "expired"


def expires_at(created_at: datetime, ttl_seconds: int) -> datetime:
    return created_at + timedelta(seconds=ttl_seconds)


def is_due(status: str, expires: datetime, now: datetime) -> bool:
    return status == ACTIVE and expires <= now


def status_at(status: str, expires: datetime, now: datetime) -> str:
    return EXPIRED if is_due(status, expires, now) else status
