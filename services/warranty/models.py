from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.audit import AuditEntryMixin
from shared.columns import Day, Instant, ModelCode, Name, Region, Serial
from shared.db import make_base
from shared.idempotency import IdempotencyRecordMixin

Base = make_base()


class PolicyVersion(Base):
    """Term lengths per component; versions are never changed once written."""

    __tablename__ = "policy_version"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    effective_from: Mapped[Day] = mapped_column(index=True)
    terms: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[Instant]


class RegionCalendar(Base):
    """One version of a region's season calendar; versions are never changed."""

    __tablename__ = "region_calendar"
    __table_args__ = (UniqueConstraint("region", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region: Mapped[Region] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[Day]
    heating_start: Mapped[str] = mapped_column(String(5))
    heating_end: Mapped[str] = mapped_column(String(5))
    cooling_start: Mapped[str] = mapped_column(String(5))
    cooling_end: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[Instant]


class Unit(Base):
    __tablename__ = "unit"

    serial_number: Mapped[Serial] = mapped_column(primary_key=True)
    model_code: Mapped[ModelCode]
    product_name: Mapped[Name]
    site_name: Mapped[Name]
    site_address: Mapped[str | None] = mapped_column(String(500))
    region: Mapped[Region]
    project_code: Mapped[str | None] = mapped_column(String(100), index=True)
    accepted_on: Mapped[Day]
    certificate_number: Mapped[str | None] = mapped_column(String(100))
    certificate_product_name: Mapped[Name | None]
    certificate_model_code: Mapped[ModelCode | None]
    certificate_serial_number: Mapped[Serial | None]
    policy_version: Mapped[int] = mapped_column(ForeignKey("policy_version.version"))
    calendar_id: Mapped[int] = mapped_column(ForeignKey("region_calendar.id"))
    created_at: Mapped[Instant]


class Claim(Base):
    __tablename__ = "claim"
    # The figures (GET /reports/warranty) read claims by the day of the failure, from this index alone.
    __table_args__ = (Index("ix_claim_failed_on", "failed_on", "decision", "serial_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    serial_number: Mapped[str] = mapped_column(ForeignKey("unit.serial_number"), index=True)
    failed_on: Mapped[Day]
    component: Mapped[str] = mapped_column(String(40))
    causes: Mapped[list] = mapped_column(JSON)
    certificate: Mapped[dict | None] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list] = mapped_column(JSON)
    covered_from: Mapped[Day]
    covered_through: Mapped[Day]
    policy_version: Mapped[int] = mapped_column(ForeignKey("policy_version.version"))
    created_at: Mapped[Instant]


class HistoryEntry(Base):
    """The unit's service history: appended to, never changed."""

    __tablename__ = "history_entry"
    __table_args__ = (Index("ix_history_entry_serial_on", "serial_number", "on", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    serial_number: Mapped[str] = mapped_column(ForeignKey("unit.serial_number"))
    at: Mapped[Instant]
    on: Mapped[Day]
    kind: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    technician: Mapped[Name | None]
    notes: Mapped[str | None] = mapped_column(Text)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claim.id"))
    decision: Mapped[str | None] = mapped_column(String(16))
    parts_replaced: Mapped[list | None] = mapped_column(JSON)


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    __tablename__ = "idempotency_record"


class AuditEntry(AuditEntryMixin, Base):
    """The audit trail of warranty's data (shared/audit.py): append-only, kept so by triggers."""

    __tablename__ = "audit_entry"
