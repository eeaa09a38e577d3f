from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UtcDateTime, make_base

Base = make_base()
ROLES = ("admin", "station", "warehouse", "billing", "desk", "metrics")
# The database accepts every role of the contract (api.md), `desk` included, so that the
# service desk's role needs no second change of this constraint.
ROLE_CHECK = "role IN ('admin', 'station', 'desk', 'metrics', 'warehouse', 'billing')"


class ApiKey(Base):
    __tablename__ = "api_key"
    __table_args__ = (CheckConstraint(ROLE_CHECK, name="role"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    # Comma-separated warehouse codes; empty means not limited.
    warehouses: Mapped[str] = mapped_column(String(2000), default="")
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebSession(Base):
    """A signed-in browser of the web app. The cookie holds a random token; only its hash is stored,
    with the hash of the API key it was opened with (never the key), so that revoking the key ends it."""

    __tablename__ = "web_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
