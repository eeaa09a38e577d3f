"""Tables of planned visits (domain.md section 8), on the service desk's Base.

A visit is planned from data other services own (warranty's unit and season
calendar, billing's contract): the service desk keeps the visits, their
records and signatures, never a copy of the unit or the contract beyond what
a visit needs to be read on its own (serial, model, region).
"""

from decimal import Decimal

from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.types import JSON, Boolean, Integer, LargeBinary, Numeric, String, Text

from services.servicedesk.domain import checklists
from services.servicedesk.models import Base, Outbox
from shared.columns import Day, Instant, ModelCode, Timestamps
from shared.db import one_of

STORED_STATUSES = ("planned", "done", "cancelled")  # `missed` is read, never stored
SEASONS = ("heating", "cooling")


class Visit(Timestamps, Base):
    __tablename__ = "visit"
    __table_args__ = (
        CheckConstraint(one_of("kind", checklists.KINDS), name="kind"),
        CheckConstraint(one_of("status", STORED_STATUSES), name="status"),
        CheckConstraint("season IS NULL OR " + one_of("season", SEASONS), name="season"),
        UniqueConstraint("plan_key"),
        Index("ix_visit_due", "due_on", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Where it comes from and which of its visits it is: `unit:SERIAL:pre_season:cooling:2025`,
    # `contract:12:SERIAL:inspection:2025-08-01`. Planning twice, or at once, makes one row.
    plan_key: Mapped[str] = mapped_column(String(200))
    serial_number: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(14))
    due_on: Mapped[Day]
    season: Mapped[str | None] = mapped_column(String(10))
    season_year: Mapped[int | None] = mapped_column(Integer)
    contract_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # A station sees the visits of its stations' regions (visits.Scope): read by region.
    region: Mapped[str] = mapped_column(String(100), index=True)
    model_code: Mapped[ModelCode | None]
    station: Mapped[str | None] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    # The record, once done: when it happened (`done_at`, the technician's time) and when it was entered.
    done_at: Mapped[Instant | None]
    entered_at: Mapped[Instant | None]
    record: Mapped[dict | None] = mapped_column(JSON)
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    out_of_range: Mapped[list | None] = mapped_column(JSON)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    history_delivered: Mapped[bool | None] = mapped_column(Boolean)
    cancelled_at: Mapped[Instant | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Who planned, recorded or cancelled it: {"kind", "id", "name"} (shared/context.py Caller.actor).
    done_by: Mapped[dict | None] = mapped_column(JSON)
    cancelled_by: Mapped[dict | None] = mapped_column(JSON)


class VisitPlanning(Base):
    """That a unit's or a contract's visits were planned, and from what (so a read asks warranty once)."""

    __tablename__ = "visit_planning"

    subject: Mapped[str] = mapped_column(String(120), primary_key=True)  # unit:SERIAL | contract:ID
    planned_at: Mapped[Instant]
    basis: Mapped[dict] = mapped_column(JSON)


class VisitModelSpec(Base):
    """A model's data-sheet figures the checklists' ranges come from (admin data; none: no range)."""

    __tablename__ = "visit_model_spec"
    __table_args__ = (
        CheckConstraint("supply_volts IS NULL OR supply_volts IN (220, 380)", name="supply_volts"),
        CheckConstraint("refrigerant IS NULL OR " + one_of("refrigerant", checklists.REFRIGERANTS),
                        name="refrigerant"),
    )

    model_code: Mapped[ModelCode] = mapped_column(primary_key=True)
    supply_volts: Mapped[int | None] = mapped_column(Integer)
    refrigerant: Mapped[str | None] = mapped_column(String(10))
    rated_current_a: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    updated_at: Mapped[Instant]


class VisitOutbox(Outbox, Base):
    """A visit's record for the unit's history at warranty: delivered once, whatever is down when it is made.

    The same columns and the same claim-with-a-lease delivery as the tickets' `outbox_message`
    (services/servicedesk/outbox.py), for a visit instead of a ticket.
    """

    __tablename__ = "visit_outbox"
    __table_args__ = Outbox.table_args(__tablename__)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), index=True)

