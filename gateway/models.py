from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UtcDateTime, make_base

Base = make_base()
ROLES = ("admin", "station", "warehouse", "billing", "desk")


class ApiKey(Base):
    __tablename__ = "api_key"
    __table_args__ = (CheckConstraint("role IN ('admin', 'station', 'warehouse', 'billing', 'desk', 'metrics')",
                                      name="role"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    # Comma-separated warehouse codes; empty means not limited.
    warehouses: Mapped[str] = mapped_column(String(2000), default="")
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
