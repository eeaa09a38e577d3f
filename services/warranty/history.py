"""The unit's service history: visits logged by technicians, and claims."""

from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from services.warranty import trail, units
from services.warranty.models import HistoryEntry
from shared.context import Caller


def add_service_record(
    session: Session,
    *,
    serial_number: str,
    kind: str,
    performed_on: date,
    technician: str,
    notes: str | None,
    parts_replaced: list[dict] | None,
    now: datetime,
    caller: Caller | None = None,
) -> HistoryEntry:
    unit = units.get(session, serial_number)
    parts = ", ".join(f"{p['qty']} x {p['part_number']}" for p in parts_replaced or [])
    entry = HistoryEntry(
        serial_number=unit.serial_number,
        at=now,
        on=performed_on,
        kind=kind,
        summary=f"{kind.capitalize()} by {technician}" + (f"; parts replaced: {parts}" if parts else ""),
        technician=technician,
        notes=notes,
        parts_replaced=parts_replaced,
    )
    session.add(entry)
    session.flush()
    trail.record(session, caller, action="create", object_type="service_record", object_id=entry.id, at=now, after={
        "serial_number": unit.serial_number, "kind": kind, "performed_on": performed_on, "technician": technician,
        "notes": notes, "parts_replaced": parts_replaced,
    })
    return entry


def list_history(
    session: Session, *, serial_number: str, after: tuple[str, int] | None, limit: int
) -> list[HistoryEntry]:
    """Oldest first: by the day it happened, then by the order it was logged."""
    unit = units.get(session, serial_number)
    query = (
        select(HistoryEntry)
        .where(HistoryEntry.serial_number == unit.serial_number)
        .order_by(HistoryEntry.on, HistoryEntry.id)
        .limit(limit + 1)
    )
    if after is not None:
        on, entry_id = date.fromisoformat(after[0]), after[1]
        query = query.where(
            or_(HistoryEntry.on > on, and_(HistoryEntry.on == on, HistoryEntry.id > entry_id))
        )
    return list(session.scalars(query))
