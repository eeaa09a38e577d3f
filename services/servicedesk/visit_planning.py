"""Planning visits: a unit's warranty visits, a contract's visits for each of its units.

Planning again adds what is missing, follows a season that moved, and cancels
planned visits no longer in the plan (a contract ended early); a visit done
or cancelled is never touched. Planning twice at once makes one row per
visit: `plan_key` is unique and the insert does nothing on a conflict.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.servicedesk.clients import ContractForVisits, SeasonCalendar, UnitForVisits
from services.servicedesk.domain import visit_plan
from services.servicedesk.visit_models import Visit, VisitPlanning
from shared import context


def unit_subject(serial_number: str) -> str:
    return f"unit:{serial_number}"


def contract_subject(contract_id: int) -> str:
    return f"contract:{contract_id}"


def planned_before(session: Session, serial_number: str) -> bool:
    return session.get(VisitPlanning, unit_subject(serial_number)) is not None


@dataclass(slots=True)
class Planned:
    planned: int = 0
    cancelled: int = 0


def _insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _sync(session: Session, *, prefix: str, wanted: dict[str, dict], station: str | None, now: datetime,
          reason: str) -> Planned:
    """Make the planned visits under `prefix` what `wanted` says (by plan key); done and cancelled stay."""
    done = Planned()
    existing = {v.plan_key: v for v in session.scalars(select(Visit).where(Visit.plan_key.startswith(prefix)))}
    for key, fields in wanted.items():
        visit = existing.get(key)
        if visit is None:
            inserted = session.execute(_insert(session)(Visit).values(
                plan_key=key, status="planned", station=station, created_at=now, updated_at=now, **fields,
            ).on_conflict_do_nothing(index_elements=["plan_key"]).returning(Visit.id))
            done.planned += len(inserted.all())  # none when a concurrent plan inserted it first
        elif visit.status == "planned":
            for name in ("due_on", "season", "season_year", "region", "model_code"):
                setattr(visit, name, fields[name])
            if visit.station is None and station is not None:
                visit.station = station
            visit.updated_at = now
    for key, visit in existing.items():
        if key not in wanted and visit.status == "planned":
            visit.status, visit.cancelled_at, visit.cancel_reason = "cancelled", now, reason
            visit.cancelled_by, visit.updated_at = context.SYSTEM.actor(), now
            done.cancelled += 1
    session.flush()
    return done


def _remember(session: Session, subject: str, basis: dict, now: datetime) -> None:
    row = session.get(VisitPlanning, subject)
    if row is None:
        session.execute(_insert(session)(VisitPlanning).values(subject=subject, planned_at=now, basis=basis)
                        .on_conflict_do_nothing(index_elements=["subject"]))
    else:
        row.planned_at, row.basis = now, basis


def plan_unit(session: Session, unit: UnitForVisits, calendar: SeasonCalendar, *, station: str | None,
              now: datetime) -> Planned:
    """The unit's warranty visits, planned (again) from warranty's answer and its region's calendar."""
    visits = []
    if unit.unit_covered_through is not None:
        visits = visit_plan.warranty_visits(accepted_on=unit.accepted_on, covered_through=unit.unit_covered_through,
                                            heating=calendar.heating.season(),
                                            cooling=calendar.cooling.season())
    prefix = f"{unit_subject(unit.serial_number)}:"
    wanted = {prefix + v.key: {"serial_number": unit.serial_number, "kind": v.kind, "due_on": v.due_on,
                               "season": v.season, "season_year": v.season_year, "region": unit.region,
                               "model_code": unit.model_code, "contract_id": None} for v in visits}
    done = _sync(session, prefix=prefix, wanted=wanted, station=station, now=now,
                 reason="no longer in the unit's warranty plan")
    _remember(session, unit_subject(unit.serial_number), {
        "accepted_on": unit.accepted_on.isoformat(), "region": unit.region,
        "unit_covered_through": unit.unit_covered_through.isoformat() if unit.unit_covered_through else None,
    }, now)
    return done


def plan_contract(session: Session, contract: ContractForVisits, calendar: SeasonCalendar,
                  models: dict[str, str | None], *, station: str | None, now: datetime) -> Planned:
    """Each of the contract's planned visits for each of its units; a cancelled contract keeps only its own days."""
    visits = visit_plan.contract_visits(list(contract.visits), heating=calendar.heating.season(),
                                         cooling=calendar.cooling.season())
    prefix = f"{contract_subject(contract.id)}:"
    wanted = {}
    for serial in contract.serial_numbers:
        for v in visits:
            wanted[f"{prefix}{serial}:{v.key}"] = {
                "serial_number": serial, "kind": v.kind, "due_on": v.due_on, "season": v.season,
                "season_year": v.season_year, "region": contract.region, "model_code": models.get(serial),
                "contract_id": contract.id}
    done = _sync(session, prefix=prefix, wanted=wanted, station=station, now=now,
                 reason="no longer in the contract's plan")
    _remember(session, contract_subject(contract.id), {"region": contract.region, "status": contract.status,
                                                       "units": list(contract.serial_numbers)}, now)
    return done
