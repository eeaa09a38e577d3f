"""After a complaint, headquarters sends a different technician (另行安排技术服务人员, domain.md section 8).

The new ticket is linked to the complaint and to the original, at the original's level, complete and
dispatched at once (its clocks start then), for a technician other than the one who resolved the
original (or, if it is unresolved, the one dispatched to it).
"""

from datetime import datetime

from sqlalchemy.orm import Session

from services.servicedesk import commitments, errors, notifications, sites, technicians, tickets, views
from services.servicedesk.domain.calendar import CHINA
from services.servicedesk.models import Complaint, Ticket
from shared import context


def previous_technician(original: Ticket) -> tuple[int | None, str | None]:
    """Who had the original: the one who resolved it, else the one dispatched (id when known, and name)."""
    if original.resolution:
        return original.resolution.get("technician_id"), original.resolution.get("technician")
    return original.technician_id, original.technician


def send_another(session: Session, complaint: Complaint, *, station: str, technician_id: int, by: context.Caller,
                 now: datetime) -> Ticket:
    if complaint.ticket_id is None:
        raise errors.InvalidComplaintState("The complaint names no ticket: take a new report for the unit instead")
    original = session.get(Ticket, complaint.ticket_id)
    if original.complete_at is None or original.level is None:
        raise errors.InvalidTicketState(f"{original.number} was never a complete report: fill it in instead")
    site = sites.taking_work(session, station)
    person = technicians.for_dispatch(session, station=site.code, technician_id=technician_id, name=None)
    before_id, before_name = previous_technician(original)
    if person.id == before_id or (before_id is None and before_name and person.name == before_name.strip()):
        raise errors.SameTechnician(f"{person.name} had {original.number}: send someone else")
    ticket = Ticket(
        number=tickets.next_number(session, now.astimezone(CHINA).year), status="dispatched", level=original.level,
        channel=original.channel, serial_number=original.serial_number, unit_known=original.unit_known,
        caller_name=original.caller_name, caller_phone=original.caller_phone, site_address=original.site_address,
        description=original.description, arrived={k: now.isoformat() for k in (
            "description", "level", "phone", "site_address", "serial_number")},
        reported_at=now, complete_at=now, commitments_version=commitments.in_force(session, at=now).id,
        coverage=original.coverage, coverage_pending=False, technician=person.name, technician_id=person.id,
        station=site.code, dispatched_at=now, follow_on_of=original.id, complaint_id=complaint.id, pauses=[],
        next_due_at=views.FAR, loaner_status="not_due", created_at=now, updated_at=now,
    )
    session.add(ticket)
    session.flush()
    tickets.log(session, ticket, "reported", at=now, by=by, now=now, follow_on_of=original.number,
                complaint_id=complaint.id, level=ticket.level)
    tickets.log(session, ticket, "dispatched", at=now, by=by, now=now, technician=person.name,
                technician_id=person.id, station=site.code)
    tickets.log(session, original, "follow_on_sent", at=now, by=by, now=now, step=False, follow_on=ticket.number,
                complaint_id=complaint.id)
    tickets.refresh(session, ticket, now)
    notifications.enqueue(session, ticket, site, kind="redispatch", now=now)
    return ticket
