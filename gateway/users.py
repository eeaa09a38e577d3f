"""People (domain.md section 7): who they are, their role and scope, their password's state, and
every change to them in the gateway's audit trail. Use cases take the session first and flush;
hashing happens before (gateway/passwords.py), never inside a transaction."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway import ratelimit
from gateway.models import AuditEntry, AuthFailure, User, WebSession
from shared import audit, errors, pagination
from shared.context import Caller

LOCK_AFTER = 5  # wrong passwords for one login ...
LOCK_WINDOW = timedelta(minutes=15)  # ... within this long lock it ...
LOCK_FOR = timedelta(minutes=15)  # ... for this long
# What the audit trail records of a person: never the password or its hash.
AUDITED = ("login", "display_name", "phone", "role", "station", "warehouses", "active")


class UserNotFound(errors.NotFound):
    code, title = "user_not_found", "No such person"


class LoginExists(errors.Conflict):
    code, title = "login_exists", "This login name is taken"


def joined(codes: list[str] | None) -> str:
    return ",".join(sorted({c.strip().upper() for c in codes or [] if c.strip()}))


def split(codes: str) -> list[str]:
    return [c for c in codes.split(",") if c]


def snapshot(user: User) -> dict:
    return {"login": user.login, "display_name": user.display_name, "phone": user.phone or None, "role": user.role,
            "station": user.station or None, "warehouses": split(user.warehouses) or None, "active": user.active}


def caller_of(user) -> Caller:
    """The caller a signed-in person stands for (shared/context.py)."""
    return Caller(role=user.role, key_id=f"user:{user.id}", warehouses=frozenset(split(user.warehouses)),
                  kind="user", name=user.display_name, station=user.station or "")


def locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"No person with id {user_id}")
    return user


def by_login(session: Session, login: str) -> User | None:
    return session.scalars(select(User).where(User.login == login.strip().lower())).first()


def create(session: Session, *, login: str, display_name: str, phone: str, role: str, station: str,
           warehouses: list[str] | None, password_hash: str, caller: Caller | None, now: datetime) -> User:
    login = login.strip().lower()
    if by_login(session, login) is not None:
        raise LoginExists(f"A person with the login {login} exists")
    user = User(login=login, display_name=display_name, phone=phone, role=role, station=station,
                warehouses=joined(warehouses), active=True, password_hash=password_hash,
                must_change_password=True, password_changed_at=now, failed_attempts=0, created_at=now,
                updated_at=now)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # made by a concurrent request since the check above
        raise LoginExists(f"A person with the login {login} exists") from None
    audit.record(session, AuditEntry, caller, action="create", object_type="user", object_id=user.id, at=now,
                 changes=audit.diff(None, snapshot(user)))
    return user


def list_users(session: Session, *, q: str | None, after: int | None, limit: int) -> list[User]:
    query = select(User)
    if q:
        needle = q.strip().lower()
        query = query.where(or_(User.login.contains(needle, autoescape=True),
                                func.lower(User.display_name).contains(needle, autoescape=True)))
    return list(session.scalars(pagination.keyset(query, User.id, after=after, limit=limit)))


def end_sessions(session: Session, user_id: int, *, keep: str | None = None) -> None:
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep:
        query = query.where(WebSession.id_hash != keep)
    session.execute(query)


def update(session: Session, user_id: int, changes: dict, *, caller: Caller | None, now: datetime) -> User:
    """Apply `changes` (display_name, phone, role, station, warehouses, active; already checked)."""
    user = get(session, user_id)
    before = snapshot(user)
    for name in ("display_name", "phone", "role", "station", "active"):
        if name in changes:
            setattr(user, name, changes[name])
    if "warehouses" in changes:
        user.warehouses = joined(changes["warehouses"])
    after = snapshot(user)
    changed = audit.diff(before, after)
    if not changed:
        return user
    user.updated_at = now
    if before["active"] and not after["active"]:
        action = "disable"
        end_sessions(session, user.id)  # and every page reads the person again: ended at once either way
    elif after["active"] and not before["active"]:
        action = "enable"
    else:
        action = "update"
    session.flush()
    audit.record(session, AuditEntry, caller, action=action, object_type="user", object_id=user.id, at=now,
                 changes=changed)
    return user


def unlock(session: Session, user: User) -> None:
    user.locked_until = None
    user.failed_attempts = 0
    session.execute(sa.update(AuthFailure).where(AuthFailure.login == user.login).values(login=None))


def reset_password(session: Session, user_id: int, *, password_hash: str, caller: Caller | None,
                   now: datetime) -> User:
    """A one-time password (already hashed): to be changed at the next sign-in; the lock is lifted and
    whoever is signed in as the person is signed out."""
    user = get(session, user_id)
    user.password_hash = password_hash
    user.must_change_password = True
    user.password_changed_at = user.updated_at = now
    unlock(session, user)
    end_sessions(session, user.id)
    audit.record(session, AuditEntry, caller, action="reset_password", object_type="user", object_id=user.id,
                 at=now)
    return user


def set_own_password(session: Session, user_id: int, *, password_hash: str, keep_session: str,
                     now: datetime) -> None:
    """The person chose a new password: their other sessions end, this one goes on."""
    user = get(session, user_id)
    user.password_hash = password_hash
    user.must_change_password = False
    user.password_changed_at = user.updated_at = now
    end_sessions(session, user.id, keep=keep_session)
    audit.record(session, AuditEntry, caller_of(user), action="change_password", object_type="user",
                 object_id=user.id, at=now)


def failed_sign_in(session: Session, login: str, address: str, *, now: datetime) -> int:
    """Count a failed sign-in: for the client address always, for the login when it is a person's
    and not locked (the fifth within LOCK_WINDOW locks it for LOCK_FOR). Returns how many failures
    the address has had within the guessing window (gateway/ratelimit.py)."""
    user = by_login(session, login) if login else None
    counted = user is not None and not locked(user, now)
    failures = ratelimit.record_failure(session, address, now, login=user.login if counted else None)
    if counted:
        user.failed_attempts = session.scalar(select(func.count()).select_from(AuthFailure).where(
            AuthFailure.login == user.login, AuthFailure.at > now - LOCK_WINDOW)) or 0
        if user.failed_attempts >= LOCK_AFTER:
            user.locked_until = now + LOCK_FOR
            # Counted from nothing again once the lock ends.
            session.execute(sa.update(AuthFailure).where(AuthFailure.login == user.login).values(login=None))
    return failures


def signed_in(session: Session, user_id: int, *, now: datetime) -> None:
    user = get(session, user_id)
    user.last_sign_in_at = now
    user.failed_attempts = 0
    session.execute(sa.update(AuthFailure).where(AuthFailure.login == user.login).values(login=None))


def audit_entries(session: Session, **filters) -> tuple[list[dict], int | None]:
    """The gateway's own audit entries (people and keys), as every service serves its own on `/audit`;
    `/admin/audit` merges them with the services' (gateway/trail.py)."""
    return audit.entries(session, AuditEntry, "gateway", **filters)
