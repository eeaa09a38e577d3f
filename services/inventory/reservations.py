"""Reservations: all-or-nothing holds on stock for a repair, then consumed,
released, or expired (lazily: see domain/expiry.py and ledger.py)."""

from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy.orm import Session, selectinload

from services.inventory import catalog, errors, ledger, warehouses
from services.inventory.access import require_write_at
from services.inventory.domain import availability, consumption, expiry
from services.inventory.models import Reservation, ReservationLine
from services.inventory.stock import insufficient
from shared import metrics
from shared.context import Caller

_WITH_LINES = (selectinload(Reservation.lines).joinedload(ReservationLine.part),)
log = structlog.get_logger("inventory")


def reserve(
    session: Session, *, caller: Caller, warehouse: str, reference: str, lines: Sequence[tuple[str, int]],
    ttl_seconds: int, now: datetime,
) -> Reservation:
    require_write_at(caller, warehouse)
    warehouses.get(session, warehouse)
    parts = catalog.parts_by_number(session, [part for part, _ in lines])
    ledger.give_back_due(session, now=now, warehouses=[warehouse])
    reservation = Reservation(
        warehouse=warehouse, reference=reference, status=expiry.ACTIVE, created_at=now,
        expires_at=expiry.expires_at(now, ttl_seconds),
    )
    reservation.lines = [
        ReservationLine(
            part=parts[part], qty=qty, consumed_qty=0, list_price=parts[part].list_price,
            out_of_warranty_price=parts[part].out_of_warranty_price,
        )
        for part, qty in sorted(lines)
    ]
    session.add(reservation)
    wanted = {(warehouse, part): qty for part, qty in lines}
    taken = ledger.apply(session, reserved=wanted, need=wanted)
    if len(taken) != len(wanted):
        # What each line had before this statement: the lines it did take are counted back.
        have = {part: qty + (wanted[(w, part)] if (w, part) in taken else 0)
                for (w, part), qty in ledger.available_at(session, wanted).items()}
        # Raising rolls the whole transaction back: nothing is reserved.
        metrics.RESERVATIONS.labels(outcome="refused").inc()
        raise insufficient(availability.shortages(lines, have), warehouse)
    metrics.after_commit(session, metrics.RESERVATIONS.labels(outcome="made"))
    log.info("reserved", reservation_id=reservation.id, warehouse=warehouse, lines=len(lines))
    return reservation


def get(session: Session, reservation_id: int, *, for_update: bool = False) -> Reservation:
    reservation = session.get(
        Reservation, reservation_id, options=_WITH_LINES, with_for_update=True if for_update else None,
        populate_existing=for_update,
    )
    if reservation is None:
        raise errors.ReservationNotFound(f"No reservation {reservation_id}")
    return reservation


def _take_active(session: Session, caller: Caller, reservation_id: int, now: datetime) -> Reservation:
    reservation = get(session, reservation_id, for_update=True)
    require_write_at(caller, reservation.warehouse)
    status = expiry.status_at(reservation.status, reservation.expires_at, now)
    if status != expiry.ACTIVE:
        raise errors.ReservationNotActive(
            f"Reservation {reservation_id} is {status}", reservation_status=status
        )
    return reservation


def _give_back(session: Session, reservation: Reservation, *, used: dict) -> None:
    """The reservation's hold leaves its stock rows, and what was used leaves the shelf: one statement."""
    warehouse = reservation.warehouse
    reserved = {(warehouse, line.part_number): -line.qty for line in reservation.lines}
    on_hand = {(warehouse, p): -line.consumed for p, line in used.items() if line.consumed}
    changed = ledger.apply(session, on_hand=on_hand, reserved=reserved)
    if len(changed) != len(reserved):  # the CHECK or the ledger says otherwise: never half-done
        raise RuntimeError(f"stock rows of reservation {reservation.id} missing")


def consume(
    session: Session, *, caller: Caller, reservation_id: int, used: Sequence[tuple[str, int]] | None,
    now: datetime,
) -> Reservation:
    """Issue what was used; whatever was reserved and not used goes back to available stock."""
    reservation = _take_active(session, caller, reservation_id, now)
    try:
        plan = consumption.plan_consume({line.part_number: line.qty for line in reservation.lines}, used)
    except consumption.ConsumeRejected as exc:
        raise errors.InvalidConsume(
            str(exc), errors=[{"field": p.field, "message": p.message} for p in exc.problems]
        ) from None
    outcome = {line.part_number: line for line in plan}
    warehouse = reservation.warehouse
    for line in reservation.lines:
        used_qty = outcome[line.part_number].consumed
        line.consumed_qty = used_qty
        if used_qty:
            ledger.record(
                session, kind="issue", warehouse=warehouse, part_number=line.part_number, qty=-used_qty,
                now=now, reference=reservation.reference, reservation_id=reservation.id,
            )
    reservation.status, reservation.closed_at = "consumed", now
    _give_back(session, reservation, used=outcome)
    log.info("consumed", reservation_id=reservation.id, issued=sum(line.consumed for line in plan))
    return reservation


def release(session: Session, *, caller: Caller, reservation_id: int, now: datetime) -> Reservation:
    reservation = _take_active(session, caller, reservation_id, now)
    reservation.status, reservation.closed_at = "released", now
    _give_back(session, reservation, used={})
    log.info("released", reservation_id=reservation.id)
    return reservation
