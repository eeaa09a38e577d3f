"""Technicians (技术服务人员): a home station, skills, active or not. Never deleted: a ticket names them."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.servicedesk import errors, sites, trail
from services.servicedesk.models import Technician
from shared import context, pagination, search
from shared.db import get_or_raise


def read(technician: Technician) -> dict:
    return {"id": technician.id, "name": technician.name, "phone": technician.phone,
            "station": technician.station, "skills": list(technician.skills), "active": technician.active}


def get(session: Session, technician_id: int) -> Technician:
    return get_or_raise(session, Technician, technician_id,
                        missing=errors.TechnicianNotFound(f"No technician {technician_id}"))


def _skills(skills: list[str]) -> list[str]:
    return sorted(set(skills))


def create(session: Session, *, technician_in, caller: context.Caller, now: datetime) -> Technician:
    sites.taking_work(session, technician_in.station)
    technician = Technician(name=technician_in.name.strip(), phone=technician_in.phone,
                            station=technician_in.station, skills=_skills(technician_in.skills),
                            active=technician_in.active, created_at=now, updated_at=now)
    return trail.created(session, caller, technician, object_type="technician", key="id", now=now, read=read)


def update(session: Session, technician: Technician, *, changes: dict, caller: context.Caller,
           now: datetime) -> Technician:
    before = read(technician)
    if changes.get("station") is not None and changes["station"] != technician.station:
        sites.taking_work(session, changes["station"])
        technician.station = changes["station"]
    if changes.get("name") is not None:
        technician.name = changes["name"].strip()
    if changes.get("phone") is not None:
        technician.phone = changes["phone"]
    if changes.get("skills") is not None:
        technician.skills = _skills(changes["skills"])
    if changes.get("active") is not None:
        technician.active = changes["active"]
    technician.updated_at = now
    session.flush()
    trail.record(session, caller, action="update", object_type="technician", object_id=technician.id, now=now,
                 before=before, after=read(technician))
    return technician


def list_technicians(session: Session, *, station: str | None, active: bool | None, q: str | None,
                     after: int | None, limit: int) -> list[Technician]:
    query = select(Technician)
    if station:
        query = query.where(Technician.station == station.strip().upper())
    if active is not None:
        query = query.where(Technician.active == active)
    query = search.contains(query, (Technician.name, Technician.phone), q)
    return list(session.scalars(pagination.keyset(query, Technician.id, after=after, limit=limit)))


def of_station(session: Session, stations: list[str]) -> dict[str, list[Technician]]:
    found: dict[str, list[Technician]] = {code: [] for code in stations}
    if stations:
        for technician in session.scalars(select(Technician).where(Technician.station.in_(stations),
                                                                   Technician.active)
                                          .order_by(Technician.name, Technician.id)):
            found[technician.station].append(technician)
    return found


def for_dispatch(session: Session, *, station: str, technician_id: int | None, name: str | None) -> Technician:
    """The active technician of `station` named by id, or by a name exactly one of them has."""
    if technician_id is not None:
        technician = session.get(Technician, technician_id)
        if technician is None or not technician.active or technician.station != station:
            raise errors.UnknownTechnician(f"Technician {technician_id} is not an active member of {station}")
        return technician
    matches = list(session.scalars(select(Technician).where(
        Technician.station == station, Technician.active, Technician.name == (name or "").strip())))
    if len(matches) != 1:
        why = "nobody active there has this name" if not matches else f"{len(matches)} technicians have this name"
        raise errors.UnknownTechnician(f"{name} at {station}: {why}; name them by technician_id",
                                       field="technician")
    return matches[0]
