"""A ticket's life after the report: dispatch, arrival, pauses, resolution, follow-up call, cancel.

A milestone is met by its event, not by a status edit: the first dispatch
decision, the arrival, the resolution. A pause is the customer's only: an
arrival or a resolution during one ends it at that moment.
"""

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from services.servicedesk import complaints, errors, notifications, outbox, sites, technicians, tickets
from services.servicedesk.domain import tickets as rules
from services.servicedesk.domain.calendar import CHINA
from services.servicedesk.models import FollowUpAttempt, Ticket
from shared import context
from shared.columns import fit

LOW_SATISFACTION = 2
NOTES_LIMIT = 4000


def _require(action: str, ticket: Ticket) -> None:
    if not rules.allowed(action, ticket.status):
        raise errors.InvalidTicketState(f"A {ticket.status} ticket cannot take a {action.replace('_', '-')}")


def _open_pause(ticket: Ticket) -> bool:
    return bool(ticket.pauses) and ticket.pauses[-1][1] is None


def _end_pause(session: Session, ticket: Ticket, *, at: datetime, by: context.Caller, now: datetime) -> None:
    if _open_pause(ticket):
        ticket.pauses = [*ticket.pauses[:-1], [ticket.pauses[-1][0], at.isoformat()]]
        tickets.log(session, ticket, "resumed", at=at, by=by, now=now)


def _told(ticket: Ticket, told: datetime | None, now: datetime) -> datetime | None:
    """When the caller was told the decision: never in the future, never before the call came in. A time
    in whole seconds within the second the call came in (a page that sends "now" without its fraction,
    for a report taken a moment ago) is the call's own time."""
    if told is None:
        return None
    told = told.astimezone(UTC)
    if told > now or told < ticket.reported_at.replace(microsecond=0):
        raise errors.InvalidEventTime("the caller cannot be told before the call came in nor in the future",
                                      field="caller_told_at")
    return max(told, ticket.reported_at)


def dispatch(session: Session, ticket: Ticket, *, station: str, technician_id: int | None,
             technician_name: str | None, caller_told_at: datetime | None, at: datetime | None,
             by: context.Caller, now: datetime) -> Ticket:
    """Name an open station and one of its active technicians; the station's group chat is told."""
    _require("dispatch", ticket)
    at = tickets.event_time(session, ticket, at, now)
    site = sites.taking_work(session, station)
    person = technicians.for_dispatch(session, station=site.code, technician_id=technician_id,
                                      name=technician_name)
    told = _told(ticket, caller_told_at, now)
    redispatch = ticket.status == "dispatched"
    ticket.technician, ticket.technician_id, ticket.station = person.name, person.id, site.code
    ticket.status = "dispatched"
    if told is not None:
        ticket.caller_told_at = told
    if not redispatch:
        ticket.dispatched_at = at  # a re-dispatch is logged, not re-timed
    tickets.log(session, ticket, "redispatched" if redispatch else "dispatched", at=at, by=by, now=now,
                technician=person.name, technician_id=person.id, station=site.code,
                caller_told_at=told.isoformat() if told else None)
    tickets.refresh(session, ticket, now)
    notifications.enqueue(session, ticket, site, kind="redispatch" if redispatch else "dispatch", now=now)
    return ticket


def arrive(session: Session, ticket: Ticket, *, technician: str, at: datetime | None, by: context.Caller,
           now: datetime) -> Ticket:
    _require("arrive", ticket)
    at = tickets.event_time(session, ticket, at, now)
    _end_pause(session, ticket, at=at, by=by, now=now)
    ticket.technician, ticket.status, ticket.arrived_at = technician, "on_site", at
    tickets.log(session, ticket, "arrived", at=at, by=by, now=now, technician=technician)
    tickets.refresh(session, ticket, now)
    return ticket


def pause(session: Session, ticket: Ticket, *, reason: str, at: datetime | None, by: context.Caller,
          now: datetime) -> Ticket:
    _require("pause", ticket)
    if _open_pause(ticket):
        raise errors.InvalidTicketState("The ticket is already paused")
    at = tickets.event_time(session, ticket, at, now)
    ticket.pauses = [*ticket.pauses, [at.isoformat(), None]]
    tickets.log(session, ticket, "paused", at=at, by=by, now=now, reason=reason)
    tickets.refresh(session, ticket, now)
    return ticket


def resume(session: Session, ticket: Ticket, *, at: datetime | None, by: context.Caller, now: datetime) -> Ticket:
    _require("resume", ticket)
    if not _open_pause(ticket):
        raise errors.InvalidTicketState("The ticket is not paused")
    at = tickets.event_time(session, ticket, at, now)
    _end_pause(session, ticket, at=at, by=by, now=now)
    tickets.refresh(session, ticket, now)
    return ticket


def resolve(session: Session, ticket: Ticket, *, technician: str, summary: str, parts_replaced: list[dict] | None,
            invoice_number: str | None, way: str = "on_site", at: datetime | None, by: context.Caller,
            now: datetime) -> Ticket:
    """What was done. Fixed on the phone or remotely (电话指导 / 远程) needs no arrival: an open ticket so
    resolved had its dispatch decision then (the desk decided how to handle it), and its `on_site`
    promise is `not_needed`."""
    _require("resolve" if way == "on_site" else "resolve_without_visit", ticket)
    at = tickets.event_time(session, ticket, at, now)
    _end_pause(session, ticket, at=at, by=by, now=now)
    if ticket.dispatched_at is None:
        ticket.dispatched_at = at
    same_person = ticket.technician_id is not None and technician.strip() == (ticket.technician or "")
    ticket.status, ticket.resolved_at, ticket.technician = "resolved", at, technician
    ticket.resolution = {"technician": technician, "technician_id": ticket.technician_id if same_person else None,
                         "way": way, "summary": summary, "parts_replaced": parts_replaced or [],
                         "invoice_number": invoice_number}
    tickets.log(session, ticket, "resolved", at=at, by=by, now=now, technician=technician, summary=summary,
                invoice_number=invoice_number, way=way)
    if ticket.serial_number and ticket.unit_known is not False:
        ticket.history_delivered = False
        notes = f"{ticket.number}: {summary}" + (f" (invoice {invoice_number})" if invoice_number else "")
        notes = notes[:NOTES_LIMIT]  # warranty's limit: a longer note would be refused on every retry
        outbox.enqueue(session, ticket, kind="history", key=f"servicedesk-{ticket.number}-history", now=now,
                       payload={"serial_number": ticket.serial_number, "record": {
                           "kind": "repair", "performed_on": at.astimezone(CHINA).date().isoformat(),
                           "technician": technician, "notes": notes,
                           **({"parts_replaced": parts_replaced} if parts_replaced else {})}})
    _return_loaner(session, ticket, now)
    tickets.refresh(session, ticket, now)
    return ticket


def _return_loaner(session: Session, ticket: Ticket, now: datetime) -> None:
    if ticket.loaner_status == "provided" and ticket.loaner_reservation_id is not None:
        outbox.enqueue(session, ticket, kind="loaner_release", key=f"servicedesk-{ticket.number}-loaner-release",
                       payload={"reservation_id": ticket.loaner_reservation_id}, now=now)


def cancel(session: Session, ticket: Ticket, *, reason: str, by: context.Caller, now: datetime) -> Ticket:
    _require("cancel", ticket)
    ticket.status, ticket.cancelled_at = "cancelled", now
    tickets.log(session, ticket, "cancelled", at=now, by=by, now=now, reason=reason)
    _return_loaner(session, ticket, now)
    tickets.refresh(session, ticket, now)
    return ticket


def follow_up(session: Session, ticket: Ticket, *, reached: bool, satisfaction: int | None, notes: str | None,
              at: datetime | None, by: context.Caller, now: datetime) -> Ticket:
    _require("follow_up", ticket)
    if reached and satisfaction is None:
        raise errors.invalid("satisfaction", "a call that reached the customer records a score from 1 to 5")
    if not reached and satisfaction is not None:
        raise errors.invalid("satisfaction", "only a call that reached the customer has a score")
    at = tickets.event_time(session, ticket, at, now)
    session.add(FollowUpAttempt(ticket_id=ticket.id, at=at, reached=reached, satisfaction=satisfaction,
                                notes=notes, by=fit(by.display, FollowUpAttempt.by)))
    tickets.log(session, ticket, "follow_up", at=at, by=by, now=now, reached=reached, satisfaction=satisfaction,
                notes=notes)
    if reached:
        ticket.status, ticket.closed_at, ticket.satisfaction = "closed", at, satisfaction
        tickets.log(session, ticket, "closed", at=at, by=by, now=now)
        if satisfaction <= LOW_SATISFACTION:
            complaint = complaints.open_complaint(
                session, ticket_id=ticket.id, serial_number=ticket.serial_number,
                caller_name=ticket.caller_name or "", caller_phone=ticket.caller_phone or "",
                description=f"Satisfaction {satisfaction} of 5 at the follow-up call of {ticket.number}"
                            + (f": {notes}" if notes else ""),
                source="follow_up", made_at=at, now=now)
            tickets.log(session, ticket, "complaint_opened", at=at, by=by, now=now, step=False,
                        complaint_id=complaint.id)
    tickets.refresh(session, ticket, now)
    return ticket


def record_loaner(session: Session, ticket: Ticket, *, reservation: dict, warehouse: str, part_number: str,
                  by: context.Caller, now: datetime) -> Ticket:
    """Store the reservation inventory made (the same one again when the request was retried)."""
    if ticket.loaner_status == "not_due":
        ticket.loaner_status = "provided"
        ticket.loaner_reservation_id = int(reservation["id"])
        ticket.loaner = {"warehouse": warehouse, "part_number": part_number,
                         "expires_at": reservation.get("expires_at")}
        tickets.log(session, ticket, "loaner_reserved", at=now, by=by, now=now, step=False,
                    reservation_id=ticket.loaner_reservation_id, warehouse=warehouse, part_number=part_number)
        if ticket.status not in rules.ACTIVE:
            _return_loaner(session, ticket, now)  # resolved while inventory was answering
        tickets.refresh(session, ticket, now)
    return ticket


def record_measures(session: Session, ticket: Ticket, *, measures: str, by: context.Caller, now: datetime) -> Ticket:
    """Emergency measures taken instead of a loaner (采取应急措施): they settle the loaner owed."""
    ticket.loaner = {"emergency_measures": measures}  # loaner_status stays not_due: read as measures_taken
    tickets.log(session, ticket, "emergency_measures", at=now, by=by, now=now, step=False, measures=measures)
    tickets.refresh(session, ticket, now)
    return ticket
