"""Maintenance contracts: which units, which period, what they waive; their planned visits.

The units and the season calendars belong to the warranty service: a
contract's serials are checked there when it is made, and its visits are
planned from the region's calendar fetched there each time (one source of truth).
"""

import asyncio
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from services.billing import errors, trail
from services.billing.clients import WarrantyClient
from services.billing.domain.days import business_day
from services.billing.domain.pricing import contract_covers
from services.billing.domain.visits import PlannedVisit, plan_visits
from services.billing.models import Contract, ContractUnit
from services.billing.schemas import ContractCreate, ContractRead, VisitRead
from shared import direct, pagination, peers
from shared.context import Caller
from shared.db import get_or_raise
from shared.uow import UnitOfWork

DEFAULT_REGION = "shandong"
CANCELLED = "cancelled"
# Units are looked up a few at a time: a project-sized contract must not flood warranty.
UNIT_LOOKUPS_AT_ONCE = 8


def create(
    session: Session,
    *,
    customer: str,
    serial_numbers: list[str],
    starts_on: date,
    ends_on: date,
    includes_labor: bool,
    parts_discount_pct,
    region: str,
    now: datetime,
) -> Contract:
    contract = Contract(
        customer=customer, starts_on=starts_on, ends_on=ends_on, includes_labor=includes_labor,
        parts_discount_pct=parts_discount_pct, region=region, created_at=now,
    )
    session.add(contract)
    session.flush()
    session.add_all(
        ContractUnit(contract_id=contract.id, serial_number=serial, position=i)
        for i, serial in enumerate(serial_numbers)
    )
    session.flush()
    return contract


def get(session: Session, contract_id: int) -> Contract:
    return get_or_raise(session, Contract, contract_id, missing=errors.ContractNotFound(f"No contract {contract_id}"))


def serials_of(session: Session, contract_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(ContractUnit.contract_id, ContractUnit.serial_number)
        .where(ContractUnit.contract_id.in_(contract_ids))
        .order_by(ContractUnit.contract_id, ContractUnit.position)
    )
    for contract_id, serial in rows:
        found[contract_id].append(serial)
    return found


def list_contracts(
    session: Session, *, serial_number: str | None, after: int | None, limit: int
) -> list[Contract]:
    query = pagination.keyset(select(Contract), Contract.id, after=after, limit=limit)
    if serial_number is not None:
        units = select(ContractUnit.contract_id).where(ContractUnit.serial_number == serial_number)
        query = query.where(Contract.id.in_(units))
    return list(session.scalars(query))


# Every bill asks it once (its plan): built once.
# On Core (rows, read only): every bill's Plan asks it, and most units have no contract.
_COVERING = (select(Contract.__table__).join(ContractUnit, ContractUnit.contract_id == Contract.id)
             .where(ContractUnit.serial_number == bindparam("b_serial"), Contract.starts_on <= bindparam("b_on"),
                    Contract.ends_on >= bindparam("b_on")))


def covering(session: Session, *, serial_number: str, on: date) -> Row | None:
    """The contract covering the unit that day (its row); with several, the one kindest to the customer."""
    candidates = direct.run(session, _COVERING, {"b_serial": serial_number, "b_on": on}).all()
    if not candidates:
        return None  # most units have no contract: no second query for them
    serials = serials_of(session, [c.id for c in candidates])
    covers = [
        c for c in candidates
        if contract_covers(starts_on=c.starts_on, ends_on=c.ends_on, serial_numbers=serials[c.id],
                           serial_number=serial_number, on=on)
    ]
    if not covers:
        return None
    return max(covers, key=lambda c: (c.includes_labor, c.parts_discount_pct, -c.id))


async def _units(warranty: WarrantyClient, serial_numbers: list[str]):
    gate = asyncio.Semaphore(UNIT_LOOKUPS_AT_ONCE)

    async def one(serial: str):
        async with gate:
            return await warranty.get_unit(serial)

    return await peers.all_of(*(one(s) for s in serial_numbers))


def _create_and_read(session: Session, contract_in: ContractCreate, *, serial_numbers: list[str], region: str,
                     caller: Caller | None, now: datetime) -> ContractRead:
    contract = create(
        session, customer=contract_in.customer, serial_numbers=serial_numbers,
        starts_on=contract_in.starts_on, ends_on=contract_in.ends_on,
        includes_labor=contract_in.includes_labor, parts_discount_pct=contract_in.parts_discount_pct,
        region=region, now=now,
    )
    trail.record(session, caller, action="contract.created", object_type="contract", object_id=contract.id, at=now,
                 changes=trail.diff(None, {
                     "customer": contract.customer, "serial_numbers": serial_numbers, "starts_on": contract.starts_on,
                     "ends_on": contract.ends_on, "includes_labor": contract.includes_labor,
                     "parts_discount_pct": contract.parts_discount_pct, "region": region}))
    return ContractRead.of(contract, serial_numbers, today=business_day(now))


async def register(uow: UnitOfWork, warranty: WarrantyClient, *, contract_in: ContractCreate,
                   now: datetime, caller: Caller | None = None) -> ContractRead:
    """Check the units and the calendar at warranty, then store the contract (no transaction meanwhile)."""
    serial_numbers = list(dict.fromkeys(contract_in.serial_numbers))
    units = await _units(warranty, serial_numbers)
    region = contract_in.region or (units[0].site.region or DEFAULT_REGION).strip().lower()
    await warranty.get_calendar(region)
    return await uow.write(_create_and_read, contract_in, serial_numbers=serial_numbers, region=region,
                           caller=caller, now=now)


def _period_and_region(session: Session, contract_id: int) -> tuple[date, date, str]:
    contract = get(session, contract_id)
    return contract.starts_on, contract.ends_on, contract.region


async def planned_visits(uow: UnitOfWork, warranty: WarrantyClient, *, contract_id: int) -> list[PlannedVisit]:
    """The contract read in one short transaction, the calendar asked of warranty after it (none open then)."""
    starts_on, ends_on, region = await uow.read(_period_and_region, contract_id)
    calendar = await warranty.get_calendar(region)
    return plan_visits(starts_on=starts_on, ends_on=ends_on, heating=calendar.heating.season(),
                       cooling=calendar.cooling.season())


def visit_states(visits: list[PlannedVisit], *, today: date) -> list[VisitRead]:
    """Each planned visit with where it stands: `missed` once its day has passed.

    The record of a visit made is the service desk's; until billing reads it, a visit whose day
    has passed shows `missed` and none shows `done`. A visit planned on a weekend stays planned on
    its day (the season's rule made it), with the next working day suggested: the working calendar
    with its holidays is the service desk's, so only weekends are known here.
    """
    found = []
    for visit in visits:
        rest_day = visit.date.weekday() >= 5
        found.append(VisitRead(
            date=visit.date, kind=visit.kind, state="missed" if visit.date < today else "planned",
            rest_day=rest_day, next_working_day=_next_working_day(visit.date) if rest_day else None))
    return found


def _next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def cancel(session: Session, contract_id: int, *, ends_on: date, reason: str, now: datetime,
           caller: Caller | None = None) -> Contract:
    """End a contract early: its last day becomes `ends_on`, which must lie within it.

    Bills already issued keep the terms they were priced with; repairs and planned
    visits after the new last day are no longer under the contract.
    """
    contract = session.scalars(select(Contract).where(Contract.id == contract_id).with_for_update()).one_or_none()
    if contract is None:
        raise errors.ContractNotFound(f"No contract {contract_id}")
    if contract.status == CANCELLED:
        raise errors.InvalidContractState(
            f"Contract {contract_id} was already cancelled on {contract.cancelled_at:%Y-%m-%d}; "
            f"it ends on {contract.ends_on}"
        )
    if not contract.starts_on <= ends_on <= contract.ends_on:
        raise errors.InvalidContractState(
            f"Contract {contract_id} runs from {contract.starts_on} to {contract.ends_on}; "
            f"it cannot be ended on {ends_on}"
        )
    before = {"status": contract.status, "ends_on": contract.ends_on}
    contract.original_ends_on, contract.ends_on = contract.ends_on, ends_on
    contract.status, contract.cancelled_at, contract.cancel_reason = CANCELLED, now, reason
    session.flush()
    trail.record(session, caller, action="contract.cancelled", object_type="contract", object_id=contract.id,
                 at=now, changes={**trail.diff(before, {"status": CANCELLED, "ends_on": ends_on}),
                                  "cancel_reason": [None, reason]})
    return contract
