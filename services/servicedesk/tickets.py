"""Fault reports: taking them, filling them in, and the list by urgency.

Every change appends to the ticket's timeline and re-derives what lists sort
by. A report is stored whatever else is down: the unit's coverage is looked
up before the transaction and, when warranty does not answer, left to the
outbox to fill in later.
"""

from datetime import UTC, datetime

from sqlalchemy import select, tuple_
from sqlalchemy import update as sql_update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.servicedesk import calendars, commitments, errors, figure_facts, outbox, sites, trail, views
from services.servicedesk.clients import UnitCoverage
from services.servicedesk.domain import tickets as rules
from services.servicedesk.domain.calendar import CHINA
from services.servicedesk.models import Ticket, TicketCounter, TicketEvent
from shared import context, pagination
from shared.columns import fit

STATE_FILTERS = ("at_risk", "breached")
SCAN_CHUNK = 200


def scope_of(session: Session, caller: context.Caller | None) -> tuple[str, ...] | None:
    """The stations whose tickets a station-bound caller reads and acts on (None: not bound)."""
    if caller is None or not caller.station:
        return None
    return sites.covered_by(session, caller.station)


def get(session: Session, ticket_id: int, caller: context.Caller | None = None) -> Ticket:
    """The ticket; one outside a station-bound caller's stations is not found for them (404, not 403)."""
    ticket = session.get(Ticket, ticket_id)
    scope = scope_of(session, caller)
    if ticket is None or (scope is not None and ticket.station not in scope):
        raise errors.TicketNotFound(f"No ticket {ticket_id}")
    return ticket


def report_day(at: datetime):
    return at.astimezone(CHINA).date()


def next_number(session: Session, year: int) -> str:
    """The year's next number, taken in the ticket's own transaction: a rolled-back report leaves no gap."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # The year's row exists once, whoever creates it first; the UPDATE then holds it until commit.
    session.execute(insert(TicketCounter).values(year=year, last=0).on_conflict_do_nothing())
    taken = session.execute(sql_update(TicketCounter).where(TicketCounter.year == year)
                            .values(last=TicketCounter.last + 1).returning(TicketCounter.last)).scalar_one()
    return f"SR-{year}-{taken:06d}"


def log(session: Session, ticket: Ticket, event: str, *, at: datetime, by: context.Caller, now: datetime,
        step: bool = True, **data) -> TicketEvent:
    """One entry of the timeline, with who did it; a person's or program's step is in the audit trail too."""
    data = {k: v for k, v in data.items() if v is not None}
    entry = TicketEvent(ticket_id=ticket.id, at=at, recorded_at=now, event=event,
                        by=fit(by.key_id or by.kind, TicketEvent.by), by_kind=by.kind,
                        by_name=fit(by.display, TicketEvent.by_name), step=step, data=data)
    session.add(entry)
    if by.kind != "system":
        trail.record(session, by, action=event, object_type="ticket", object_id=ticket.number, now=now,
                     after={"at": at, "status": ticket.status, **data})
    return entry


def event_time(session: Session, ticket: Ticket, at: datetime | None, now: datetime) -> datetime:
    """`at` (default now) checked: never in the future, never before the ticket's previous step."""
    at = (at or now).astimezone(UTC)
    previous = session.scalars(select(TicketEvent.at).where(TicketEvent.ticket_id == ticket.id, TicketEvent.step)
                               .order_by(TicketEvent.at.desc()).limit(1)).first()
    reason = rules.valid_event_time(at, previous=previous, now=now)
    if reason:
        raise errors.InvalidEventTime(reason)
    return at


def refresh(session: Session, ticket: Ticket, now: datetime, *, unit: bool = True) -> None:
    """Start the clocks if the report just became complete; re-derive the urgency the board sorts by and the
    figures' facts (`unit`: also whether the unit's repairs came back; a calendar correction changes none)."""
    if ticket.complete_at is None:
        arrived = {k: datetime.fromisoformat(v) for k, v in ticket.arrived.items()}
        complete = rules.complete_at(arrived, unit_known=ticket.unit_known)
        if complete is not None:
            ticket.complete_at = complete
            ticket.commitments_version = commitments.in_force(session, at=complete).id
            if ticket.status == "incomplete":
                ticket.status = "open"
            log(session, ticket, "completed", at=complete, by=context.SYSTEM, now=now, step=False,
                commitments_version=ticket.commitments_version)
    calendar = calendars.work_calendar(session)
    found = views.milestones(session, calendar, ticket, now)
    after = views.follow_up(session, calendar, ticket, now)
    ticket.next_due_at = views.next_due_of(ticket, found, after)
    figure_facts.settle(calendar, ticket, found, after)
    ticket.updated_at = now
    session.flush()
    if unit:
        figure_facts.returns(session, [ticket.serial_number])


def report(session: Session, *, ticket_in, unit: UnitCoverage | None, by: context.Caller, now: datetime) -> Ticket:
    """Store a fault report; `unit` is None when warranty did not answer (filled in later)."""
    reported_at = (ticket_in.reported_at or now).astimezone(UTC)
    if reported_at > now:
        raise errors.InvalidEventTime("a call cannot come in in the future", field="reported_at")
    given = {
        "description": ticket_in.description, "level": ticket_in.level, "phone": ticket_in.caller.phone,
        "site_address": ticket_in.site_address, "serial_number": ticket_in.serial_number,
    }
    known = unit.known if unit is not None and ticket_in.serial_number else None
    ticket = Ticket(
        number=next_number(session, now.astimezone(CHINA).year), status="incomplete", level=ticket_in.level,
        channel=ticket_in.channel, serial_number=ticket_in.serial_number, unit_known=known,
        caller_name=ticket_in.caller.name, caller_phone=ticket_in.caller.phone,
        site_address=ticket_in.site_address or (unit.site_address if known else None),
        description=ticket_in.description,
        arrived={k: reported_at.isoformat() for k, v in given.items() if v is not None},
        reported_at=reported_at, coverage=unit.coverage if known else None,
        coverage_pending=bool(ticket_in.serial_number) and unit is None, pauses=[], next_due_at=views.FAR,
        loaner_status="not_due", created_at=now, updated_at=now,
    )
    session.add(ticket)
    session.flush()
    log(session, ticket, "reported", at=reported_at, by=by, now=now, channel=ticket_in.channel,
        serial_number=ticket_in.serial_number, level=ticket_in.level)
    if ticket.coverage_pending:
        outbox.enqueue(session, ticket, kind="coverage", payload={"serial_number": ticket.serial_number,
                                                            "on": report_day(ticket.reported_at).isoformat()},
                       now=now)
    refresh(session, ticket, now)
    return ticket


def apply_unit(ticket: Ticket, unit: UnitCoverage) -> None:
    ticket.unit_known = unit.known
    ticket.coverage = unit.coverage if unit.known else None
    ticket.coverage_pending = False
    if unit.known and not ticket.site_address and unit.site_address:
        ticket.site_address = unit.site_address


def update(session: Session, ticket: Ticket, *, changes: dict, unit: UnitCoverage | None, unit_looked_up: bool,
           at: datetime | None, by: context.Caller, now: datetime) -> Ticket:
    if not rules.allowed("update", ticket.status):
        raise errors.InvalidTicketState(f"A {ticket.status} ticket cannot be changed")
    at = event_time(session, ticket, at, now)
    unit_before = ticket.serial_number
    caller = changes.pop("caller", None) or {}
    if "name" in caller and caller["name"] is not None:
        ticket.caller_name = caller["name"]
    if caller.get("phone") is not None:
        changes["phone"] = caller["phone"]
    arrived = dict(ticket.arrived)
    columns = {"phone": "caller_phone"}
    for field, value in changes.items():
        if value is None:
            continue
        setattr(ticket, columns.get(field, field), value)
        arrived.setdefault(field, at.isoformat())
    ticket.arrived = arrived
    if "serial_number" in changes and unit_looked_up:
        if unit is None:
            ticket.unit_known, ticket.coverage, ticket.coverage_pending = None, None, True
            outbox.enqueue(session, ticket, kind="coverage", payload={"serial_number": ticket.serial_number,
                                                            "on": report_day(ticket.reported_at).isoformat()},
                           now=now)
        else:
            apply_unit(ticket, unit)
    log(session, ticket, "updated", at=at, by=by, now=now,
        fields=sorted([*changes, *(f"caller.{k}" for k in caller)]))
    refresh(session, ticket, now)
    if unit_before != ticket.serial_number:  # the unit it left: its repairs no longer came back by this one
        figure_facts.returns(session, [unit_before])
    return ticket


def list_tickets(
    session: Session, *, status: str | None, level: int | None, serial_number: str | None, station: str | None,
    state: str | None, after: list | None, limit: int, now: datetime, scope: tuple[str, ...] | None = None,
) -> tuple[list[Ticket], str | None]:
    """Tickets by urgency (the due time of their most urgent open promise), then by id; `scope`: only
    those dispatched to these stations (in the query, so that every page is full)."""
    query = select(Ticket)
    if scope is not None:
        query = query.where(Ticket.station.in_(scope))
    if status is not None:
        query = query.where(Ticket.status == status)
    if level is not None:
        query = query.where(Ticket.level == level)
    if serial_number is not None:
        query = query.where(Ticket.serial_number == serial_number)
    if station is not None:
        query = query.where(Ticket.station == station.strip().upper())
    if state is not None:
        query = query.where(Ticket.status.in_((*rules.ACTIVE, "resolved")))
    order = (Ticket.next_due_at, Ticket.id)
    position = None
    if after is not None:
        try:
            position = (datetime.fromisoformat(after[0]), int(after[1]))
        except (TypeError, ValueError, IndexError):
            raise pagination.BadCursor() from None
    calendar = calendars.work_calendar(session)
    found: list[Ticket] = []
    while len(found) <= limit:
        page = query if position is None else query.where(tuple_(*order) > tuple_(*position))
        rows = list(session.scalars(page.order_by(*order).limit(SCAN_CHUNK if state else limit + 1)))
        for ticket in rows:
            if state is None or state in views.states(session, calendar, ticket, now).values():
                found.append(ticket)
        if len(rows) < (SCAN_CHUNK if state else limit + 1) or not rows:
            break
        position = (rows[-1].next_due_at, rows[-1].id)
    if len(found) > limit:
        found = found[:limit]
        last = found[-1]
        return found, pagination.encode([last.next_due_at.isoformat(), last.id])
    return found, None
