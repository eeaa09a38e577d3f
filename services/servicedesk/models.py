"""Tables of the service desk.

The timeline (`ticket_event`) is append-only: the use cases only ever add to
it. The ticket row carries what lists and filters need (status, due time of
its most urgent promise, pauses), all derived from its events.
"""


from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.servicedesk.domain import tickets as rules
from shared.audit import AuditEntryMixin
from shared.columns import Instant, Name, Timestamps
from shared.db import make_base, one_of
from shared.idempotency import IdempotencyRecordMixin

Base = make_base()

LOANER_STATES = ("not_due", "provided", "returned")
COMPLAINT_STATUSES = ("open", "answered", "resolved")
OUTBOX_KINDS = ("history", "coverage", "loaner_release")
SITE_KINDS = ("central", "service_center", "repair_station")
SITE_STATUSES = ("open", "closed")
WEBHOOK_KINDS = ("wecom", "dingtalk")
SKILLS = ("cooling", "heating", "electrical", "controls", "water_system")
MESSAGE_KINDS = ("dispatch", "redispatch")
MESSAGE_STATUSES = ("pending", "sent", "failed")
# What GET /reports/service reads of a ticket besides `reported_at` (services/servicedesk/figures.py).
FIGURE_COLUMNS = (
    "station", "technician_id", "level", "channel", "commitments_version", "serial_number", "dispatched_at",
    "arrived_at", "resolved_at", "closed_at", "cancelled_at", "dispatch_due_at", "on_site_due_at", "fixed_due_at",
    "follow_up_due_at", "dispatch_minutes", "on_site_minutes", "fixed_minutes", "came_back", "loaner_status",
    "loaner", "satisfaction",
)


class CommitmentVersion(Base):
    __tablename__ = "commitment_version"

    # The id is the version number clients see.
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    effective_from: Mapped[Instant] = mapped_column(index=True)
    body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[Instant]


class CalendarYear(Base):
    """An admin's schedule for a year; a year without a row comes from the pinned packages."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[list] = mapped_column(JSON)
    workdays: Mapped[list] = mapped_column(JSON)
    provisional: Mapped[bool] = mapped_column(Boolean)
    opens: Mapped[str] = mapped_column(String(5))
    closes: Mapped[str] = mapped_column(String(5))
    updated_at: Mapped[Instant]


class TicketCounter(Base):
    """The last number given per year: taken in the ticket's own transaction, so never a gap."""

    __tablename__ = "ticket_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class Ticket(Timestamps, Base):
    __tablename__ = "ticket"
    __table_args__ = (
        CheckConstraint(one_of("status", rules.STATUSES), name="status"),
        CheckConstraint("level IS NULL OR level BETWEEN 1 AND 4", name="level"),
        CheckConstraint(one_of("loaner_status", LOANER_STATES), name="loaner_status"),
        Index("ix_ticket_urgency", "next_due_at", "id"),
        # The figures (GET /reports/service) read a period's tickets from one index that holds every column
        # they read (PostgreSQL: INCLUDE; SQLite, which has no INCLUDE: all of them as keys, migration
        # 0006_figures_fast), never the wide rows; a unit's tickets are found for `came_back`.
        Index("ix_ticket_figures", "reported_at", postgresql_include=list(FIGURE_COLUMNS)),
        Index("ix_ticket_serial_reported", "serial_number", "reported_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(12), index=True)
    level: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(10))
    serial_number: Mapped[str | None] = mapped_column(String(100), index=True)
    unit_known: Mapped[bool | None] = mapped_column(Boolean)
    caller_name: Mapped[Name | None]
    caller_phone: Mapped[str | None] = mapped_column(String(40))
    site_address: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    # When each field that completes a report first arrived: {"description": iso, ...}.
    arrived: Mapped[dict] = mapped_column(JSON)
    reported_at: Mapped[Instant]
    complete_at: Mapped[Instant | None]
    commitments_version: Mapped[int | None] = mapped_column(ForeignKey("commitment_version.id"))
    coverage: Mapped[list | None] = mapped_column(JSON)
    coverage_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    technician: Mapped[Name | None]
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technician.id"), index=True)
    station: Mapped[str | None] = mapped_column(String(100), index=True)
    # When the desk told the caller what was decided (the 10-minute promise includes telling them).
    caller_told_at: Mapped[Instant | None]
    # A ticket sent after a complaint about another one: its original, and the complaint.
    follow_on_of: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    complaint_id: Mapped[int | None] = mapped_column(Integer, index=True)
    dispatched_at: Mapped[Instant | None]
    arrived_at: Mapped[Instant | None]
    resolved_at: Mapped[Instant | None]
    closed_at: Mapped[Instant | None]
    cancelled_at: Mapped[Instant | None]
    # [[start, end | null], ...] in ISO form, from the paused/resumed events.
    pauses: Mapped[list] = mapped_column(JSON)
    resolution: Mapped[dict | None] = mapped_column(JSON)
    # The due time of the most urgent promise still open: what the board sorts by.
    next_due_at: Mapped[Instant]
    # `not_due` with `loaner.emergency_measures` set reads as `measures_taken` (services/servicedesk/views.py).
    loaner_status: Mapped[str] = mapped_column(String(10), default="not_due")
    loaner_reservation_id: Mapped[int | None] = mapped_column(Integer)
    loaner: Mapped[dict | None] = mapped_column(JSON)
    history_delivered: Mapped[bool | None] = mapped_column(Boolean)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    # Derived from the events and the calendar whenever the board's `next_due_at` is (tickets.refresh), for
    # the figures to read with SQL: each promise's due time (null while paused, not needed, or before the
    # clocks start) and the business minutes to each step, less the customer's pauses.
    dispatch_due_at: Mapped[Instant | None]
    on_site_due_at: Mapped[Instant | None]
    fixed_due_at: Mapped[Instant | None]
    follow_up_due_at: Mapped[Instant | None]
    dispatch_minutes: Mapped[int | None] = mapped_column(Integer)
    on_site_minutes: Mapped[int | None] = mapped_column(Integer)
    fixed_minutes: Mapped[int | None] = mapped_column(Integer)
    # Resolved, of a unit: whether another ticket for the unit (not a cancelled one) was reported within 30
    # days after the resolution; kept for the unit's tickets whenever one of them changes
    # (figure_facts.returns). Null: not resolved, or no serial number.
    came_back: Mapped[bool | None] = mapped_column(Boolean)


class TicketEvent(Base):
    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    at: Mapped[Instant]
    recorded_at: Mapped[Instant]
    event: Mapped[str] = mapped_column(String(30))
    # The actor's id (a key id, `user:<id>`, or `system`); pages and the wire show kind and name only.
    by: Mapped[str] = mapped_column(String(200))
    by_kind: Mapped[str] = mapped_column(String(16))
    by_name: Mapped[Name]
    # A step of the ticket's life (an `at` may not come before the last one); else a system note.
    step: Mapped[bool] = mapped_column(Boolean)
    data: Mapped[dict] = mapped_column(JSON)


class FollowUpAttempt(Base):
    __tablename__ = "follow_up_attempt"
    __table_args__ = (CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="satisfaction"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    at: Mapped[Instant]
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
    caller_name: Mapped[Name]
    caller_phone: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), index=True)
    made_at: Mapped[Instant]
    commitments_version: Mapped[int] = mapped_column(ForeignKey("commitment_version.id"))
    answered_at: Mapped[Instant | None]
    answer: Mapped[dict | None] = mapped_column(JSON)
    resolved_at: Mapped[Instant | None]
    resolution: Mapped[dict | None] = mapped_column(JSON)
    # When the answer is due (the version's complaint_answer promise from made_at), kept for the figures like
    # a ticket's due times: set when made, re-derived at a calendar correction (figure_facts.complaint_due).
    answer_due_at: Mapped[Instant | None]
    created_at: Mapped[Instant]


class Outbox:
    """The columns of an outbox: work for another service that must happen once, whatever is down when
    it is decided, delivered by whoever claims it first with a lease (services/servicedesk/outbox.py)."""

    payload: Mapped[dict] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[Instant]
    next_attempt_at: Mapped[Instant]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[Instant | None]
    delivered_at: Mapped[Instant | None]
    last_error: Mapped[str | None] = mapped_column(String(500))

    @staticmethod
    def table_args(table: str) -> tuple:
        """One row per idempotency key, and the index the due rows are claimed by."""
        return UniqueConstraint("idempotency_key"), Index(f"ix_{table}_due", "delivered_at", "next_attempt_at")


class OutboxMessage(Outbox, Base):
    """A ticket's work for another service."""

    __tablename__ = "outbox_message"
    __table_args__ = (CheckConstraint(one_of("kind", OUTBOX_KINDS), name="kind"), *Outbox.table_args(__tablename__))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))


class Site(Timestamps, Base):
    """A place of the organisation (网点): the central warehouse, a service centre, a repair station.
    Closed, never deleted: tickets keep pointing at it."""

    __tablename__ = "site"
    __table_args__ = (
        CheckConstraint(one_of("kind", SITE_KINDS), name="kind"),
        CheckConstraint(one_of("status", SITE_STATUSES), name="status"),
        CheckConstraint("webhook_kind IS NULL OR " + one_of("webhook_kind", WEBHOOK_KINDS), name="webhook_kind"),
    )

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[Name]
    kind: Mapped[str] = mapped_column(String(20), index=True)
    parent: Mapped[str | None] = mapped_column(ForeignKey("site.code"), index=True)
    region: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str] = mapped_column(String(500))
    phone: Mapped[str] = mapped_column(String(40))
    webhook_kind: Mapped[str | None] = mapped_column(String(10))
    webhook_url: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(10))


class Technician(Timestamps, Base):
    __tablename__ = "technician"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[Name]
    phone: Mapped[str] = mapped_column(String(40))
    station: Mapped[str] = mapped_column(ForeignKey("site.code"), index=True)
    skills: Mapped[list] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean)


class StationMessage(Base):
    """A message to a station's group chat robot, queued in the dispatch's transaction (an outbox)."""

    __tablename__ = "station_message"
    __table_args__ = (
        CheckConstraint(one_of("kind", MESSAGE_KINDS), name="kind"),
        CheckConstraint(one_of("status", MESSAGE_STATUSES), name="status"),
        Index("ix_station_message_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    site: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[Instant]
    next_attempt_at: Mapped[Instant]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[Instant | None]
    sent_at: Mapped[Instant | None]


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    __tablename__ = "idempotency_record"


class AuditEntry(AuditEntryMixin, Base):
    __tablename__ = "audit_entry"
