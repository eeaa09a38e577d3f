"""Units: registration, their terms, and coverage on a day."""

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from services.warranty import errors, policies, trail
from services.warranty.domain import terms as domain
from services.warranty.domain.terms import DEFAULT_REGION
from services.warranty.models import Unit
from services.warranty.schemas import UnitCreate
from shared import direct, pagination, search
from shared.context import Caller
from shared.db import add_new, get_or_raise


def region_of(unit_in: UnitCreate) -> str:
    return (unit_in.site.region or DEFAULT_REGION).strip().lower()


def check_accepted_on(accepted_on: date, today: date) -> None:
    if accepted_on > today:
        raise errors.AcceptedInFuture(
            f"accepted_on {accepted_on} is after today ({today})",
            errors=[{"field": "accepted_on", "message": "cannot lie in the future"}],
        )


def unit_values(unit_in: UnitCreate, *, policy_version: int, calendar_id: int, now: datetime) -> dict:
    """Column values of a new unit, pinned to the policy and calendar of its acceptance day."""
    certificate = unit_in.certificate
    return {
        "serial_number": unit_in.serial_number,
        "model_code": unit_in.model_code.strip(),
        "product_name": unit_in.product_name.strip(),
        "site_name": unit_in.site.name.strip(),
        "site_address": unit_in.site.address,
        "region": region_of(unit_in),
        "project_code": unit_in.project_code,
        "accepted_on": unit_in.accepted_on,
        "certificate_number": certificate.number if certificate else None,
        # A certificate prints the unit's own product, model and serial unless told otherwise.
        "certificate_product_name": (certificate.product_name or unit_in.product_name) if certificate else None,
        "certificate_model_code": (certificate.model_code or unit_in.model_code) if certificate else None,
        "certificate_serial_number": (
            (certificate.serial_number or unit_in.serial_number).strip().upper() if certificate else None
        ),
        "policy_version": policy_version,
        "calendar_id": calendar_id,
        "created_at": now,
    }


def register(
    session: Session, unit_in: UnitCreate, *, today: date, now: datetime, caller: Caller | None = None
) -> Unit:
    exists = errors.UnitExists(f"Unit {unit_in.serial_number} is already registered")
    if session.get(Unit, unit_in.serial_number) is not None:
        raise exists
    check_accepted_on(unit_in.accepted_on, today)
    calendar = policies.calendar_in_force(session, region_of(unit_in), unit_in.accepted_on)
    policy = policies.policy_in_force(session, unit_in.accepted_on)
    unit = Unit(**unit_values(unit_in, policy_version=policy.version, calendar_id=calendar.id, now=now))
    add_new(session, unit, exists=exists)
    trail.record(session, caller, action="create", object_type="unit", object_id=unit.serial_number, at=now,
                 after=trail.fields(unit, trail.UNIT_FIELDS))
    return unit


# A prebuilt Core statement: the lookup a technician's scan makes, without the ORM's identity map.
_UNIT_BY_SERIAL = select(Unit.__table__).where(Unit.__table__.c.serial_number == bindparam("serial"))


def find(session: Session | Connection, serial_number: str):
    """The unit as a read-only row (same attribute names as Unit), for answers that change nothing;
    on a session or a plain connection (the hot coverage read)."""
    row = direct.execute(session, _UNIT_BY_SERIAL, {"serial": serial_number}).first()
    if row is None:
        raise errors.UnitNotFound(f"No unit with serial number {serial_number}")
    return row


def get(session: Session, serial_number: str) -> Unit:
    return get_or_raise(session, Unit, serial_number,
                        missing=errors.UnitNotFound(f"No unit with serial number {serial_number}"))


def terms_of(session: Session | Connection, unit: Unit, pinned: policies.Pinned) -> Sequence[domain.Term]:
    return pinned.terms(session, unit.policy_version, unit.calendar_id, unit.accepted_on)


def term_for(session: Session, unit: Unit, component: str, pinned: policies.Pinned) -> domain.Term:
    return next(t for t in terms_of(session, unit, pinned) if t.component == component)


def coverage(
    session: Session | Connection, unit: Unit, *, on: date, component: str | None, pinned: policies.Pinned
) -> list[domain.Coverage]:
    return [
        domain.coverage_on(term, on)
        for term in terms_of(session, unit, pinned)
        if component is None or term.component == component
    ]


def list_units(session: Session, *, project_code: str | None, after: str | None, limit: int,
               q: str | None = None) -> list[Unit]:
    query = pagination.keyset(select(Unit), Unit.serial_number, after=after, limit=limit)
    if project_code is not None:
        query = query.where(Unit.project_code == project_code)
    query = search.contains(query, (Unit.serial_number, Unit.model_code, Unit.product_name, Unit.site_name), q)
    return list(session.scalars(query))
