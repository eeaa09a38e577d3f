"""A ticket as the desk sees it at the moment of reading: its promises' states computed now."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.servicedesk import commitments
from services.servicedesk.domain import milestones as clocks
from services.servicedesk.domain import tickets as rules
from services.servicedesk.domain.calendar import WorkCalendar
from services.servicedesk.models import FollowUpAttempt, Ticket, TicketEvent

FAR = datetime(9999, 12, 31, tzinfo=UTC)
TIMELINE = (TicketEvent.at, TicketEvent.event, TicketEvent.by_kind, TicketEvent.by_name, TicketEvent.recorded_at,
            TicketEvent.data)
# An event entered more than this after (or before) its `at` shows both times.
ENTERED_APART = timedelta(minutes=1)
WITHOUT_VISIT = ("phone", "remote")
ATTEMPT = (FollowUpAttempt.at, FollowUpAttempt.reached, FollowUpAttempt.satisfaction, FollowUpAttempt.notes,
           FollowUpAttempt.by)


def pauses_of(ticket: Ticket) -> tuple[clocks.Pause, ...]:
    return tuple(clocks.Pause(datetime.fromisoformat(start), datetime.fromisoformat(end) if end else None)
                 for start, end in ticket.pauses)


def reading_time(ticket: Ticket, now: datetime) -> datetime:
    # A cancelled ticket's clocks stopped when it was cancelled.
    return min(now, ticket.cancelled_at) if ticket.cancelled_at else now


def milestones(session: Session, calendar: WorkCalendar, ticket: Ticket, now: datetime) -> list[clocks.Milestone]:
    if ticket.complete_at is None or ticket.level is None:
        return []
    promises = commitments.of_version(session, ticket.commitments_version).level(ticket.level)
    met = {"dispatch": ticket.dispatched_at, "on_site": ticket.arrived_at, "fixed": ticket.resolved_at}
    found = clocks.ticket_milestones(calendar, promises, complete_at=ticket.complete_at, met=met,
                                     pauses=pauses_of(ticket), now=reading_time(ticket, now))
    if ticket.arrived_at is None and (ticket.resolution or {}).get("way") in WITHOUT_VISIT:
        found = [clocks.not_needed(m) if m.name == "on_site" else m for m in found]
    return found


def follow_up(session: Session, calendar: WorkCalendar, ticket: Ticket, now: datetime) -> clocks.Milestone | None:
    if ticket.resolved_at is None:
        return None
    promise = commitments.of_version(session, ticket.commitments_version).follow_up
    return clocks.evaluate(calendar, "follow_up", promise, start=ticket.resolved_at, met_at=ticket.closed_at,
                           now=now)


def loaner_status(session: Session, ticket: Ticket, found: list[clocks.Milestone]) -> str:
    if ticket.loaner_status == "not_due" and (ticket.loaner or {}).get("emergency_measures"):
        return "measures_taken"
    if ticket.loaner_status != "not_due" or ticket.status not in rules.ACTIVE or ticket.level is None:
        return ticket.loaner_status
    promises = commitments.of_version(session, ticket.commitments_version).level(ticket.level)
    fixed = next((m for m in found if m.name == "fixed"), None)
    return "due" if promises.loaner and fixed is not None and fixed.state == "breached" else "not_due"


def next_due(session: Session, calendar: WorkCalendar, ticket: Ticket, now: datetime) -> datetime:
    """What the board sorts by: the due time of the most urgent promise still open."""
    if ticket.status in ("closed", "cancelled", "incomplete"):
        return FAR
    return next_due_of(ticket, milestones(session, calendar, ticket, now), follow_up(session, calendar, ticket, now))


def next_due_of(ticket: Ticket, found: list[clocks.Milestone], after: clocks.Milestone | None) -> datetime:
    """`next_due` from the ticket's promises already computed."""
    if ticket.status in ("closed", "cancelled", "incomplete"):
        return FAR
    return clocks.most_urgent_due([*found, *([after] if after is not None else [])]) or FAR


def states(session: Session, calendar: WorkCalendar, ticket: Ticket, now: datetime) -> dict[str, str]:
    """Each promise's state now, the follow-up call's included once the ticket is resolved."""
    found = {m.name: m.state for m in milestones(session, calendar, ticket, now)}
    after = follow_up(session, calendar, ticket, now)
    if after is not None:
        found["follow_up"] = after.state
    return found


def read_many(session: Session, calendar: WorkCalendar, tickets: list[Ticket], now: datetime) -> list[dict]:
    ids = [t.id for t in tickets]
    events, attempts = defaultdict(list), defaultdict(list)
    if ids:
        # Rows of the columns shown, not entities: a timeline is read-only here, and building
        # an identity-mapped object per event was most of the board's ORM time (docs/performance.md).
        for event in session.execute(select(TicketEvent.ticket_id, *TIMELINE)
                                     .where(TicketEvent.ticket_id.in_(ids)).order_by(TicketEvent.id)):
            events[event.ticket_id].append(event)
        for attempt in session.execute(select(FollowUpAttempt.ticket_id, *ATTEMPT)
                                       .where(FollowUpAttempt.ticket_id.in_(ids)).order_by(FollowUpAttempt.id)):
            attempts[attempt.ticket_id].append(attempt)
    return [_read(session, calendar, t, now, events[t.id], attempts[t.id]) for t in tickets]


def read(session: Session, calendar: WorkCalendar, ticket: Ticket, now: datetime) -> dict:
    return read_many(session, calendar, [ticket], now)[0]


def _read(session, calendar, ticket: Ticket, now: datetime, events: list, attempts: list) -> dict:
    found = milestones(session, calendar, ticket, now)
    after = follow_up(session, calendar, ticket, now)
    pauses = pauses_of(ticket)
    return {
        "id": ticket.id,
        "number": ticket.number,
        "status": ticket.status,
        "level": ticket.level,
        "channel": ticket.channel,
        "serial_number": ticket.serial_number,
        "unit_known": ticket.unit_known,
        "caller": {"name": ticket.caller_name, "phone": ticket.caller_phone},
        "site_address": ticket.site_address,
        "description": ticket.description,
        "reported_at": ticket.reported_at,
        "complete_at": ticket.complete_at,
        "missing": rules.missing(description=ticket.description, level=ticket.level, phone=ticket.caller_phone,
                                 site_address=ticket.site_address, unit_known=ticket.unit_known),
        "coverage": ticket.coverage,
        "coverage_pending": ticket.coverage_pending,
        "commitments_version": ticket.commitments_version,
        "technician": ticket.technician,
        "technician_id": ticket.technician_id,
        "station": ticket.station,
        "caller_told_at": ticket.caller_told_at,
        "follow_on_of": ticket.follow_on_of,
        "complaint_id": ticket.complaint_id,
        "milestones": [m.to_json() for m in found],
        "paused": bool(pauses) and pauses[-1].end is None,
        "loaner": {"status": loaner_status(session, ticket, found), "reservation_id": ticket.loaner_reservation_id,
                   **({k: ticket.loaner.get(k) for k in ("warehouse", "part_number", "emergency_measures")}
                      if ticket.loaner else {})},
        "follow_up": None if after is None else {
            "due_at": after.due_at, "state": after.state, "provisional": after.provisional,
            "attempts": [{"at": a.at, "reached": a.reached, "satisfaction": a.satisfaction, "notes": a.notes,
                          "by": a.by} for a in attempts],
        },
        "resolution": ticket.resolution,
        "history_delivered": ticket.history_delivered,
        "satisfaction": ticket.satisfaction,
        "timeline": [event_read(e) for e in events],
    }


def event_read(event) -> dict:
    """A timeline entry: who (kind and name, never an id) and, when entered apart from `at`, both times."""
    entry = {"at": event.at, "event": event.event, "by": {"kind": event.by_kind, "name": event.by_name},
             "data": event.data}
    if abs(event.recorded_at - event.at) > ENTERED_APART:
        entry["entered_at"] = event.recorded_at
    return entry
