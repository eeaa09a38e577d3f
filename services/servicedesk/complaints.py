"""Complaints (投诉): answered within 240 and resolved within 1 440 business minutes by default."""

from datetime import UTC, date, datetime, time

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.servicedesk import calendars, commitments, errors, figure_facts
from services.servicedesk.domain import milestones as clocks
from services.servicedesk.domain.calendar import CHINA
from services.servicedesk.models import Complaint, Ticket
from shared import pagination
from shared.db import get_or_raise


def get(session: Session, complaint_id: int) -> Complaint:
    return get_or_raise(session, Complaint, complaint_id,
                        missing=errors.ComplaintNotFound(f"No complaint {complaint_id}"))


def open_complaint(session: Session, *, ticket_id: int | None, serial_number: str | None, caller_name: str,
                   caller_phone: str, description: str, source: str, made_at: datetime | None,
                   now: datetime) -> Complaint:
    made_at = (made_at or now).astimezone(UTC)
    if made_at > now:
        raise errors.InvalidEventTime("a complaint cannot be made in the future", field="made_at")
    if ticket_id is None and serial_number is None:
        raise errors.invalid("ticket_id", "a complaint names a ticket or a unit's serial number")
    if ticket_id is not None:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise errors.TicketNotFound(f"No ticket {ticket_id}")
        serial_number = serial_number or ticket.serial_number
    version = commitments.in_force(session, at=made_at).id
    complaint = Complaint(
        ticket_id=ticket_id, serial_number=serial_number, caller_name=caller_name, caller_phone=caller_phone,
        description=description, source=source, status="open", made_at=made_at,
        commitments_version=version, created_at=now,
        answer_due_at=figure_facts.complaint_due(calendars.work_calendar(session),
                                                 commitments.of_version(session, version).complaint_answer, made_at),
    )
    session.add(complaint)
    session.flush()
    return complaint


def _check_time(complaint: Complaint, at: datetime | None, now: datetime) -> datetime:
    at = (at or now).astimezone(UTC)
    previous = complaint.answered_at or complaint.made_at
    if at > now:
        raise errors.InvalidEventTime("an event cannot be logged in the future")
    if at < previous:
        raise errors.InvalidEventTime(f"an event cannot come before the complaint's previous step "
                                      f"({previous.isoformat()})")
    return at


def answer(session: Session, complaint: Complaint, *, by: str, notes: str, at: datetime | None,
           now: datetime) -> Complaint:
    if complaint.status != "open":
        raise errors.InvalidComplaintState(f"An {complaint.status} complaint cannot be answered again")
    at = _check_time(complaint, at, now)
    complaint.status, complaint.answered_at = "answered", at
    complaint.answer = {"by": by, "notes": notes, "at": at.isoformat()}
    session.flush()
    return complaint


def resolve(session: Session, complaint: Complaint, *, by: str, notes: str, at: datetime | None,
            now: datetime) -> Complaint:
    if complaint.status == "resolved":
        raise errors.InvalidComplaintState("The complaint is already resolved")
    at = _check_time(complaint, at, now)
    if complaint.answered_at is None:  # resolving it in the first call answers it too
        complaint.answered_at = at
        complaint.answer = {"by": by, "notes": notes, "at": at.isoformat()}
    complaint.status, complaint.resolved_at = "resolved", at
    complaint.resolution = {"by": by, "notes": notes, "at": at.isoformat()}
    session.flush()
    return complaint


def list_complaints(session: Session, *, status: str | None, ticket_id: int | None, after: int | None,
                    limit: int) -> list[Complaint]:
    query = select(Complaint)
    if status is not None:
        query = query.where(Complaint.status == status)
    if ticket_id is not None:
        query = query.where(Complaint.ticket_id == ticket_id)
    return list(session.scalars(pagination.keyset(query, Complaint.id, after=after, limit=limit)))


def retime(session: Session, year: int) -> None:
    """After a correction of `year`'s calendar: the answer's due time of the complaints whose answer clock
    ran into that year (made before its end, due after its start), as their reading computes it now."""
    begin, end = (datetime.combine(date(y, 1, 1), time(0), CHINA) for y in (year, year + 1))
    calendar = calendars.work_calendar(session)
    for complaint in session.scalars(select(Complaint).where(
            Complaint.made_at < end, or_(Complaint.answer_due_at.is_(None), Complaint.answer_due_at >= begin))):
        promise = commitments.of_version(session, complaint.commitments_version).complaint_answer
        complaint.answer_due_at = figure_facts.complaint_due(calendar, promise, complaint.made_at)
    session.flush()


def read(session: Session, complaint: Complaint, now: datetime) -> dict:
    calendar = calendars.work_calendar(session)
    promised = commitments.of_version(session, complaint.commitments_version)
    found = [
        clocks.evaluate(calendar, "answer", promised.complaint_answer, start=complaint.made_at,
                        met_at=complaint.answered_at, now=now),
        clocks.evaluate(calendar, "resolve", promised.complaint_resolve, start=complaint.made_at,
                        met_at=complaint.resolved_at, now=now),
    ]
    return {
        "id": complaint.id, "status": complaint.status, "source": complaint.source,
        "ticket_id": complaint.ticket_id, "serial_number": complaint.serial_number,
        "caller": {"name": complaint.caller_name, "phone": complaint.caller_phone},
        "description": complaint.description, "made_at": complaint.made_at,
        "commitments_version": complaint.commitments_version, "milestones": [m.to_json() for m in found],
        "answer": complaint.answer, "resolution": complaint.resolution,
    }
