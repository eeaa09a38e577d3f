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

from gateway.models import ApiKey, WebSession
from shared.context import Caller

# last_seen_at is written at most this often per session: a write per page would queue reads on SQLite.
TOUCH_EVERY = timedelta(seconds=30)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Signed:
    caller: Caller
    csrf_token: str
    id_hash: str


def open_session(db, *, key_hash: str, now: datetime, idle: timedelta) -> tuple[str, str]:
    """A new session for a key already authenticated; returns (cookie token, CSRF token).

    Sessions abandoned without signing out are swept here, so the table holds only live ones."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with db.transaction() as session:
        session.execute(delete(WebSession).where(WebSession.last_seen_at < now - idle))
        session.add(WebSession(id_hash=token_hash(token), key_hash=key_hash, csrf_token=csrf,
                               created_at=now, last_seen_at=now))
    return token, csrf


def close_session(db, token: str | None) -> None:
    if not token:
        return
    with db.transaction() as session:
        session.execute(delete(WebSession).where(WebSession.id_hash == token_hash(token)))


class Ended(Exception):
    """The session is gone: `reason` says why ("expired", "revoked" or "signed_out")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def resume(db, token: str | None, *, admin_hash: str, now: datetime, idle: timedelta) -> Signed:
    if not token:
        raise Ended("signed_out")
    id_hash = token_hash(token)
    with db.read_engine.connect() as conn:
        row = conn.execute(select(WebSession.key_hash, WebSession.csrf_token, WebSession.last_seen_at)
                           .where(WebSession.id_hash == id_hash)).first()
        if row is None:
            raise Ended("signed_out")
        key = None
        if not hmac.compare_digest(row.key_hash, admin_hash):
            key = conn.execute(select(ApiKey.id, ApiKey.role, ApiKey.warehouses, ApiKey.revoked_at)
                               .where(ApiKey.key_hash == row.key_hash)).first()
    last_seen = row.last_seen_at
    if now - last_seen > idle:
        _forget(db, id_hash)
        raise Ended("expired")
    if key is None and not hmac.compare_digest(row.key_hash, admin_hash):
        # The key is gone, or the bootstrap admin key was changed since.
        _forget(db, id_hash)
        raise Ended("revoked")
    if key is not None and key.revoked_at is not None:
        _forget(db, id_hash)
        raise Ended("revoked")
    if now - last_seen >= TOUCH_EVERY:
        with db.transaction() as session:
            session.execute(update(WebSession).where(WebSession.id_hash == id_hash).values(last_seen_at=now))
    if key is None:
        caller = Caller(role="admin", key_id="bootstrap")
    else:
        caller = Caller(role=key.role, key_id=key.id,
                        warehouses=frozenset(w for w in key.warehouses.split(",") if w))
    return Signed(caller=caller, csrf_token=row.csrf_token, id_hash=id_hash)


def _forget(db, id_hash: str) -> None:
    with db.transaction() as session:
        session.execute(delete(WebSession).where(WebSession.id_hash == id_hash))
