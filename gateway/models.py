from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.audit import AuditEntryMixin
from shared.columns import Instant, Name
from shared.db import make_base

Base = make_base()
ROLES = ("admin", "station", "warehouse", "billing", "desk", "metrics")
# The database accepts every role of the contract (api.md), `desk` included, so that the
# service desk's role needs no second change of this constraint.
ROLE_CHECK = "role IN ('admin', 'station', 'desk', 'metrics', 'warehouse', 'billing')"
# A person's roles (domain.md section 7): `metrics` is for programs only, `manager` for people.
PERSON_ROLES = ("admin", "desk", "station", "warehouse", "billing", "manager")
PERSON_ROLE_CHECK = "role IN ('admin', 'desk', 'station', 'warehouse', 'billing', 'manager')"


class ApiKey(Base):
    __tablename__ = "api_key"
    __table_args__ = (CheckConstraint(ROLE_CHECK, name="role"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[Name]
    role: Mapped[str] = mapped_column(String(16))
    # Comma-separated warehouse codes; empty means not limited.
    warehouses: Mapped[str] = mapped_column(String(2000), default="")
    # The site a station key is bound to (like a person); empty means not bound.
    station: Mapped[str] = mapped_column(String(40), default="", server_default="")
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[Instant]
    last_used_at: Mapped[Instant | None]
    revoked_at: Mapped[Instant | None]


class User(Base):
    """A person who signs in to the web app (domain.md section 7). The login is kept lower-case, so
    that it is unique whatever the case it is typed in; the password only as an argon2id hash."""

    __tablename__ = "user"
    __table_args__ = (CheckConstraint(PERSON_ROLE_CHECK, name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(40), default="")
    role: Mapped[str] = mapped_column(String(16))
    # A station person's site (a repair station, or a service centre and its stations); empty: not bound.
    station: Mapped[str] = mapped_column(String(40), default="")
    # A warehouse person's warehouses, comma-separated; empty means not limited.
    warehouses: Mapped[str] = mapped_column(String(2000), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[Instant]
    # Wrong passwords: the count since the first of them within the lockout window, and the lock.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Instant | None]
    last_sign_in_at: Mapped[Instant | None]
    created_at: Mapped[Instant]
    updated_at: Mapped[Instant]


class AuthFailure(Base):
    """A failed key check or sign-in, kept a quarter of an hour: the guessing limit per client address
    (a minute's worth) and the lockout per login (15 minutes) count them, across gateway processes."""

    __tablename__ = "auth_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[Instant] = mapped_column(index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    # The login a wrong password was typed for; cleared when the login signs in or is locked.
    login: Mapped[str | None] = mapped_column(String(64), index=True)


class WebSession(Base):
    """A signed-in browser of the web app: a person's. The cookie holds a random token; only its hash
    is stored. Every page reads the person again, so disabling them ends it at the next request."""

    __tablename__ = "web_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[Instant]
    last_seen_at: Mapped[Instant]


class AuditEntry(AuditEntryMixin, Base):
    """The gateway's own audit trail: people and keys (shared/audit.py)."""

    __tablename__ = "audit_entry"
