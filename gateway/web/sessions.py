"""Server-side sessions of the web app.

The cookie carries a random token; the table keeps its SHA-256 and the hash of the API key the
browser signed in with (never the key). Every page request reads the key again by that hash, so a
revoked key ends its sessions at once, and a session unused for longer than the idle limit ends.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gateway import keys
from gateway.models import ApiKey, WebSession
from shared.context import Caller
from shared.uow import UnitOfWork

# last_seen_at is written at most this often per session: a write per page would queue reads on SQLite.
TOUCH_EVERY = timedelta(seconds=30)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Signed:
    caller: Caller
    csrf_token: str
    id_hash: str


def _open(session: Session, id_hash: str, key_hash: str, csrf: str, now: datetime, idle: timedelta) -> None:
    session.execute(delete(WebSession).where(WebSession.last_seen_at < now - idle))
    session.add(WebSession(id_hash=id_hash, key_hash=key_hash, csrf_token=csrf, created_at=now, last_seen_at=now))


async def open_session(uow: UnitOfWork, *, key_hash: str, now: datetime, idle: timedelta) -> tuple[str, str]:
    """A new session for a key already authenticated; returns (cookie token, CSRF token).

    Sessions abandoned without signing out are swept here, so the table holds only live ones."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    await uow.write(_open, token_hash(token), key_hash, csrf, now, idle)
    return token, csrf


def _delete(session: Session, id_hash: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id_hash == id_hash))


def _seen(session: Session, id_hash: str, now: datetime) -> None:
    session.execute(update(WebSession).where(WebSession.id_hash == id_hash).values(last_seen_at=now))


async def close_session(uow: UnitOfWork, token: str | None) -> None:
    if not token:
        return
    await uow.write(_delete, token_hash(token))


class Ended(Exception):
    """The session is gone: `reason` says why ("expired", "revoked" or "signed_out")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Found:
    key_hash: str
    csrf_token: str
    last_seen_at: datetime
    key: Caller | None  # None: the bootstrap admin key, or no such key
    revoked: bool


def _find(session: Session, id_hash: str, admin_hash: str) -> _Found | None:
    row = session.execute(select(WebSession.key_hash, WebSession.csrf_token, WebSession.last_seen_at)
                          .where(WebSession.id_hash == id_hash)).first()
    if row is None:
        return None
    key, revoked = None, False
    if not hmac.compare_digest(row.key_hash, admin_hash):
        found = session.execute(select(ApiKey.id, ApiKey.role, ApiKey.warehouses, ApiKey.name, ApiKey.revoked_at)
                                .where(ApiKey.key_hash == row.key_hash)).first()
        if found is not None:
            key = keys.caller_of(found)
            revoked = found.revoked_at is not None
    return _Found(row.key_hash, row.csrf_token, row.last_seen_at, key, revoked)


async def resume(uow: UnitOfWork, token: str | None, *, admin_hash: str, now: datetime, idle: timedelta) -> Signed:
    if not token:
        raise Ended("signed_out")
    id_hash = token_hash(token)
    found = await uow.read(_find, id_hash, admin_hash)
    if found is None:
        raise Ended("signed_out")
    last_seen = found.last_seen_at
    if now - last_seen > idle:
        await uow.write(_delete, id_hash)
        raise Ended("expired")
    if found.key is None and not hmac.compare_digest(found.key_hash, admin_hash):
        # The key is gone, or the bootstrap admin key was changed since.
        await uow.write(_delete, id_hash)
        raise Ended("revoked")
    if found.revoked:
        await uow.write(_delete, id_hash)
        raise Ended("revoked")
    if now - last_seen >= TOUCH_EVERY:
        await uow.write(_seen, id_hash, now)
    caller = found.key or keys.BOOTSTRAP_CALLER
    return Signed(caller=caller, csrf_token=found.csrf_token, id_hash=id_hash)
