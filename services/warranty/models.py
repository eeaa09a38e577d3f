from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.audit import AuditEntryMixin
from shared.db import UtcDateTime, make_base
from shared.idempotency import IdempotencyRecordMixin

Base = make_base()


class PolicyVersion(Base):
    """Term lengths per component; versions are never changed once written."""

    __tablename__ = "policy_version"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    effective_from: Mapped[date] = mapped_column(Date, index=True)
    terms: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RegionCalendar(Base):
    """One version of a region's season calendar; versions are never changed."""

    __tablename__ = "region_calendar"
    __table_args__ = (UniqueConstraint("region", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    heating_start: Mapped[str] = mapped_column(String(5))
    heating_end: Mapped[str] = mapped_column(String(5))
    cooling_start: Mapped[str] = mapped_column(String(5))
    cooling_end: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Unit(Base):
    __tablename__ = "unit"

    serial_number: Mapped[str] = mapped_column(String(40), primary_key=True)
    model_code: Mapped[str] = mapped_column(String(100))
    product_name: Mapped[str] = mapped_column(String(200))
    site_name: Mapped[str] = mapped_column(String(200))
    site_address: Mapped[str | None] = mapped_column(String(500))
    region: Mapped[str] = mapped_column(String(40))
    project_code: Mapped[str | None] = mapped_column(String(100), index=True)
    accepted_on: Mapped[date] = mapped_column(Date)
    certificate_number: Mapped[str | None] = mapped_column(String(100))
    certificate_product_name: Mapped[str | None] = mapped_column(String(200))
    certificate_model_code: Mapped[str | None] = mapped_column(String(100))
    certificate_serial_number: Mapped[str | None] = mapped_column(String(40))
    policy_version: Mapped[int] = mapped_column(ForeignKey("policy_version.version"))
    calendar_id: Mapped[int] = mapped_column(ForeignKey("region_calendar.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Claim(Base):
    __tablename__ = "claim"
    # The figures (GET /reports/warranty) read claims by the day of the failure, from this index alone.
    __table_args__ = (Index("ix_claim_failed_on", "failed_on", "decision", "serial_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    serial_number: Mapped[str] = mapped_column(ForeignKey("unit.serial_number"), index=True)
    failed_on: Mapped[date] = mapped_column(Date)
    component: Mapped[str] = mapped_column(String(40))
    causes: Mapped[list] = mapped_column(JSON)
    certificate: Mapped[dict | None] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list] = mapped_column(JSON)
    covered_from: Mapped[date] = mapped_column(Date)
    covered_through: Mapped[date] = mapped_column(Date)
    policy_version: Mapped[int] = mapped_column(ForeignKey("policy_version.version"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class HistoryEntry(Base):
    """The unit's service history: appended to, never changed."""

    __tablename__ = "history_entry"
    __table_args__ = (Index("ix_history_entry_serial_on", "serial_number", "on", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    serial_number: Mapped[str] = mapped_column(ForeignKey("unit.serial_number"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    technician: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"))
    decision: Mapped[str | None] = mapped_column(String(16))
    parts_replaced: Mapped[list | None] = mapped_column(JSON)


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    __tablename__ = "idempotency_record"


class AuditEntry(AuditEntryMixin, Base):
    """The audit trail of warranty's data (shared/audit.py): append-only, kept so by triggers."""

    __tablename__ = "audit_entry"
