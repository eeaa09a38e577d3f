"""Server-side sessions of the web app: people signed in with their login and password.

The cookie carries a random token; the table keeps its SHA-256 and the person's id. Every page
request reads the person again with the session (one query), so disabling a person ends their
sessions at once, and a change of role or scope applies from the next page. A session ends after
the idle limit without a page, and after the absolute lifetime whatever the use.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gateway import users
from gateway.models import User, WebSession
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
    user_id: int
    login: str
    must_change_password: bool


def _open(session: Session, id_hash: str, user_id: int, csrf: str, now: datetime, idle: timedelta,
          lifetime: timedelta) -> None:
    session.execute(delete(WebSession).where(
        (WebSession.last_seen_at < now - idle) | (WebSession.created_at < now - lifetime)))
    session.add(WebSession(id_hash=id_hash, user_id=user_id, csrf_token=csrf, created_at=now, last_seen_at=now))


async def open_session(uow: UnitOfWork, *, user_id: int, now: datetime, idle: timedelta,
                       lifetime: timedelta) -> tuple[str, str]:
    """A new session for a person whose password was just checked; returns (cookie token, CSRF token).

    Sessions abandoned without signing out are swept here, so the table holds only live ones."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    await uow.write(_open, token_hash(token), user_id, csrf, now, idle, lifetime)
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
    """The session is gone: `reason` says why ("expired", "disabled" or "signed_out")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_FIND = (select(WebSession.csrf_token, WebSession.created_at, WebSession.last_seen_at, User.id, User.login,
                User.role, User.display_name, User.station, User.warehouses, User.active,
                User.must_change_password)
         .join(User, User.id == WebSession.user_id))


def _find(session: Session, id_hash: str):
    return session.execute(_FIND.where(WebSession.id_hash == id_hash)).first()


async def resume(uow: UnitOfWork, token: str | None, *, now: datetime, idle: timedelta,
                 lifetime: timedelta) -> Signed:
    if not token:
        raise Ended("signed_out")
    id_hash = token_hash(token)
    found = await uow.read(_find, id_hash)
    if found is None:
        raise Ended("signed_out")
    if now - found.last_seen_at > idle or now - found.created_at > lifetime:
        await uow.write(_delete, id_hash)
        raise Ended("expired")
    if not found.active:
        await uow.write(users.end_sessions, found.id)
        raise Ended("disabled")
    if now - found.last_seen_at >= TOUCH_EVERY:
        await uow.write(_seen, id_hash, now)
    return Signed(caller=users.caller_of(found), csrf_token=found.csrf_token, id_hash=id_hash, user_id=found.id,
                  login=found.login, must_change_password=found.must_change_password)
