"""Tables of the service desk.

The timeline (`ticket_event`) is append-only: the use cases only ever add to
it. The ticket row carries what lists and filters need (status, due time of
its most urgent promise, pauses), all derived from its events.
"""

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.servicedesk.domain import tickets as rules
from shared.db import UtcDateTime, make_base, one_of

Base = make_base()

LOANER_STATES = ("not_due", "provided", "returned")
COMPLAINT_STATUSES = ("open", "answered", "resolved")
OUTBOX_KINDS = ("history", "coverage", "loaner_release")


class CommitmentVersion(Base):
    __tablename__ = "commitment_version"

    # The id is the version number clients see.
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    effective_from: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CalendarYear(Base):
    """An admin's schedule for a year; a year without a row comes from the pinned packages."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[list] = mapped_column(JSON)
    workdays: Mapped[list] = mapped_column(JSON)
    provisional: Mapped[bool] = mapped_column(Boolean)
    opens: Mapped[str] = mapped_column(String(5))
    closes: Mapped[str] = mapped_column(String(5))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TicketCounter(Base):
    """The last number given per year: taken in the ticket's own transaction, so never a gap."""

    __tablename__ = "ticket_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class Ticket(Base):
    __tablename__ = "ticket"
    __table_args__ = (
        CheckConstraint(one_of("status", rules.STATUSES), name="status"),
        CheckConstraint("level IS NULL OR level BETWEEN 1 AND 4", name="level"),
        CheckConstraint(one_of("loaner_status", LOANER_STATES), name="loaner_status"),
        Index("ix_ticket_urgency", "next_due_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(12), index=True)
    level: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(10))
    serial_number: Mapped[str | None] = mapped_column(String(100), index=True)
    unit_known: Mapped[bool | None] = mapped_column(Boolean)
    caller_name: Mapped[str | None] = mapped_column(String(200))
    caller_phone: Mapped[str | None] = mapped_column(String(40))
    site_address: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    # When each field that completes a report first arrived: {"description": iso, ...}.
    arrived: Mapped[dict] = mapped_column(JSON)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    complete_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    commitments_version: Mapped[int | None] = mapped_column(ForeignKey("commitment_version.id"))
    coverage: Mapped[list | None] = mapped_column(JSON)
    coverage_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    technician: Mapped[str | None] = mapped_column(String(200))
    station: Mapped[str | None] = mapped_column(String(100), index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # [[start, end | null], ...] in ISO form, from the paused/resumed events.
    pauses: Mapped[list] = mapped_column(JSON)
    resolution: Mapped[dict | None] = mapped_column(JSON)
    # The due time of the most urgent promise still open: what the board sorts by.
    next_due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    loaner_status: Mapped[str] = mapped_column(String(10), default="not_due")
    loaner_reservation_id: Mapped[int | None] = mapped_column(Integer)
    loaner: Mapped[dict | None] = mapped_column(JSON)
    history_delivered: Mapped[bool | None] = mapped_column(Boolean)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TicketEvent(Base):
    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    event: Mapped[str] = mapped_column(String(30))
    by: Mapped[str] = mapped_column(String(200))
    # A step of the ticket's life (an `at` may not come before the last one); else a system note.
    step: Mapped[bool] = mapped_column(Boolean)
    data: Mapped[dict] = mapped_column(JSON)


class FollowUpAttempt(Base):
    __tablename__ = "follow_up_attempt"
    __table_args__ = (CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="satisfaction"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    reached: Mapped[bool] = mapped_column(Boolean)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(200))


class Complaint(Base):
    __tablename__ = "complaint"
    __table_args__ = (
        CheckConstraint(one_of("status", COMPLAINT_STATUSES), name="status"),
        CheckConstraint(one_of("source", ("caller", "follow_up")), name="source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    serial_number: Mapped[str | None] = mapped_column(String(100))
    caller_name: Mapped[str] = mapped_column(String(200))
    caller_phone: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), index=True)
    made_at: Mapped[datetime] = mapped_column(UtcDateTime)
    commitments_version: Mapped[int] = mapped_column(ForeignKey("commitment_version.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answer: Mapped[dict | None] = mapped_column(JSON)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OutboxMessage(Base):
    """Work for another service that must happen once, whatever is down when it is decided."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(one_of("kind", OUTBOX_KINDS), name="kind"),
        UniqueConstraint("idempotency_key"),
        Index("ix_outbox_message_due", "delivered_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
