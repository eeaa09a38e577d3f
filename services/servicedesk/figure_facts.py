"""What each ticket and complaint keeps for the manager's figures (GET /reports/service), derived with the
board's urgency at every event and calendar correction (tickets.refresh), from the same promises a reading
computes: each promise's due time, the business minutes to each step, whether a repaired unit came back,
and when a complaint's answer is due.

Stored so that a year of tickets is read with SQL aggregates from one index (services/servicedesk/figures.py),
not re-timed on the working calendar ticket by ticket, nor joined to the unit's later tickets, at every report.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Interval, case, exists, func, literal_column, update
from sqlalchemy.orm import Session

from services.servicedesk import views
from services.servicedesk.domain import figures as rules
from services.servicedesk.domain import milestones as clocks
from services.servicedesk.domain.calendar import WorkCalendar, add_clock_minutes
from services.servicedesk.domain.commitments import Promise
from services.servicedesk.models import Ticket

CAME_BACK_DAYS = 30  # a unit reported again within this many days after its repair was not fixed the first time


def settle(calendar: WorkCalendar, ticket: Ticket, found: list[clocks.Milestone],
           after: clocks.Milestone | None) -> None:
    due = {m.name: m.due_at for m in found}  # none: paused, not needed, or no clocks yet
    ticket.dispatch_due_at, ticket.on_site_due_at = due.get("dispatch"), due.get("on_site")
    ticket.fixed_due_at = due.get("fixed")
    ticket.follow_up_due_at = after.due_at if after is not None else None
    if ticket.complete_at is None:
        ticket.dispatch_minutes = ticket.on_site_minutes = ticket.fixed_minutes = None
        return
    pauses = views.pauses_of(ticket)
    start = ticket.complete_at
    ticket.dispatch_minutes = rules.business_minutes(calendar, start, ticket.dispatched_at)
    ticket.on_site_minutes = rules.business_minutes(calendar, start, ticket.arrived_at, pauses)
    ticket.fixed_minutes = rules.business_minutes(calendar, start, ticket.resolved_at, pauses)


def days_after(dialect: str, column, days: int):
    """`column` + `days` days, comparable with the stored timestamps."""
    if dialect == "postgresql":
        return column + literal_column(f"INTERVAL '{int(days)} days'", Interval())
    # SQLite keeps timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' text: the same form, to compare as text.
    return func.strftime("%Y-%m-%d %H:%M:%f", column, f"+{days} days").concat("000")


def came_back(dialect: str, table=None):
    """SQL for `table` (a ticket table or alias): null when not resolved or of no unit, else whether another
    ticket for the unit (a cancelled one aside) was reported within 30 days after the resolution."""
    t = (table if table is not None else Ticket.__table__).c
    later = Ticket.__table__.alias("later").c
    again = exists().where(later.serial_number == t.serial_number, later.id != t.id, later.status != "cancelled",
                           later.reported_at > t.resolved_at,
                           later.reported_at <= days_after(dialect, t.resolved_at, CAME_BACK_DAYS))
    return case((t.resolved_at.is_(None) | t.serial_number.is_(None), None), else_=again)


def returns(session: Session, serials: Iterable[str | None]) -> None:
    """Re-judge `came_back` of every ticket of these units: after a ticket of theirs was reported, resolved,
    cancelled or moved to another unit (call it with the unit it left too). One UPDATE by the unit's index,
    writing (and so locking, on PostgreSQL) only the rows whose judgement changes; the changes of the session
    are flushed first."""
    units = sorted({s for s in serials if s})
    if not units:
        return
    session.flush()
    ticket = Ticket.__table__
    judged = came_back(session.get_bind().dialect.name, ticket)
    session.execute(update(ticket).where(ticket.c.serial_number.in_(units), ticket.c.came_back.is_distinct_from(judged))
                    .values(came_back=judged))


def complaint_due(calendar: WorkCalendar, promise: Promise, made_at: datetime) -> datetime | None:
    """When a complaint made at `made_at` is to be answered (its reading's `answer` milestone's due time)."""
    return add_clock_minutes(calendar, promise.clock, made_at, promise.minutes).at
