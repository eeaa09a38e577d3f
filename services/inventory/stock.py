"""Goods in, transfers, count corrections, and reading stock and the ledger."""

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from services.inventory import catalog, errors, ledger, trail, warehouses
from services.inventory.access import require_write_at
from services.inventory.domain import availability
from services.inventory.domain.expiry import ACTIVE
from services.inventory.models import Movement, Reservation, ReservationLine, Stock
from services.inventory.schemas import AdjustmentCreate, ReceiptCreate, TransferCreate
from shared import pagination
from shared.context import Caller


@dataclass(frozen=True, slots=True)
class StockLevel:
    warehouse: str
    part_number: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return availability.available(self.on_hand, self.reserved)


def insufficient(shortages: list[availability.Shortage], where: str) -> errors.InsufficientStock:
    parts = ", ".join(f"{s.part_number} ({s.requested} asked, {s.available} available)" for s in shortages)
    return errors.InsufficientStock(
        f"Not enough stock at {where}: {parts}", shortages=[asdict(s) for s in shortages]
    )


def _require_known(session: Session, warehouse_codes: list[str], part_number: str) -> None:
    warehouses.require(session, warehouse_codes)
    catalog.get_part(session, part_number)


def receive(session: Session, *, caller: Caller, receipt: ReceiptCreate, now: datetime) -> Movement:
    require_write_at(caller, receipt.warehouse)
    _require_known(session, [receipt.warehouse], receipt.part_number)
    key = (receipt.warehouse, receipt.part_number)
    ledger.ensure_rows(session, [key])
    ledger.give_back_due(session, now=now, warehouses=[receipt.warehouse])
    movement = ledger.record(
        session, kind="receipt", warehouse=receipt.warehouse, part_number=receipt.part_number,
        qty=receipt.qty, now=now, reference=receipt.reference,
    )
    ledger.apply(session, on_hand={key: receipt.qty})
    trail.movements(session, caller, [movement], at=now)
    return movement


def transfer(
    session: Session, *, caller: Caller, transfer_in: TransferCreate, now: datetime
) -> tuple[Movement, Movement]:
    source, target, part = transfer_in.from_warehouse, transfer_in.to_warehouse, transfer_in.part_number
    require_write_at(caller, source)  # the source decides: stock may be sent to any warehouse
    _require_known(session, [source, target], part)
    ledger.ensure_rows(session, [(target, part)])
    ledger.give_back_due(session, now=now, warehouses=[source, target])
    out_leg = ledger.record(
        session, kind="transfer_out", warehouse=source, part_number=part, qty=-transfer_in.qty,
        now=now, reference=transfer_in.reference,
    )
    in_leg = ledger.record(
        session, kind="transfer_in", warehouse=target, part_number=part, qty=transfer_in.qty,
        now=now, reference=transfer_in.reference,
    )
    changed = ledger.apply(
        session, on_hand={(source, part): -transfer_in.qty, (target, part): transfer_in.qty},
        need={(source, part): transfer_in.qty},
    )
    if (source, part) not in changed:
        have = {part: qty for (_, part), qty in ledger.available_at(session, [(source, part)]).items()}
        raise insufficient(availability.shortages([(part, transfer_in.qty)], have), source)
    trail.movements(session, caller, [out_leg, in_leg], at=now)
    return out_leg, in_leg


def adjust(session: Session, *, caller: Caller, adjustment: AdjustmentCreate, now: datetime) -> Movement:
    require_write_at(caller, adjustment.warehouse)
    _require_known(session, [adjustment.warehouse], adjustment.part_number)
    key = (adjustment.warehouse, adjustment.part_number)
    if adjustment.delta > 0:
        ledger.ensure_rows(session, [key])
    ledger.give_back_due(session, now=now, warehouses=[adjustment.warehouse])
    movement = ledger.record(
        session, kind="adjustment", warehouse=adjustment.warehouse, part_number=adjustment.part_number,
        qty=adjustment.delta, now=now, reference=adjustment.reference, reason=adjustment.reason,
    )
    # A count correction may not take on-hand below what is promised to reservations.
    changed = ledger.apply(session, on_hand={key: adjustment.delta}, need={key: max(0, -adjustment.delta)})
    if key not in changed:
        levels = session.execute(select(Stock.on_hand, Stock.reserved).where(
            Stock.warehouse == key[0], Stock.part_number == key[1])).first()
        short = availability.adjustment_shortage(
            adjustment.part_number, on_hand=levels.on_hand if levels else 0,
            reserved=levels.reserved if levels else 0, delta=adjustment.delta,
        )
        raise insufficient([short], adjustment.warehouse)
    trail.movements(session, caller, [movement], at=now)
    return movement


def due_reserved(
    session: Session, *, now: datetime, warehouses: set[str], part_numbers: set[str]
) -> dict[ledger.Key, int]:
    """What due but not yet recorded expiries still hold, per row: reads count it as available."""
    rows = session.execute(
        select(Reservation.warehouse, ReservationLine.part_number, func.sum(ReservationLine.qty))
        .join(ReservationLine, ReservationLine.reservation_id == Reservation.id)
        .where(
            Reservation.status == ACTIVE, Reservation.expires_at <= now,
            Reservation.warehouse.in_(sorted(warehouses)),
            ReservationLine.part_number.in_(sorted(part_numbers)),
        )
        .group_by(Reservation.warehouse, ReservationLine.part_number)
    )
    return {(warehouse, part): int(qty) for warehouse, part, qty in rows}


def list_stock(
    session: Session, *, warehouse: str | None, part_number: str | None, after: list | None, limit: int,
    now: datetime,
) -> list[StockLevel]:
    query = select(Stock).order_by(Stock.warehouse, Stock.part_number).limit(limit + 1)
    if warehouse is not None:
        query = query.where(Stock.warehouse == warehouse)
    if part_number is not None:
        query = query.where(Stock.part_number == part_number)
    if after is not None:
        query = query.where(tuple_(Stock.warehouse, Stock.part_number) > tuple_(*after))
    rows = list(session.scalars(query))
    if not rows:
        return []
    due = due_reserved(
        session, now=now, warehouses={r.warehouse for r in rows}, part_numbers={r.part_number for r in rows}
    )
    return [
        StockLevel(row.warehouse, row.part_number, row.on_hand,
                   row.reserved - due.get((row.warehouse, row.part_number), 0))
        for row in rows
    ]


def list_movements(
    session: Session, *, warehouse: str | None, part_number: str | None, after: int | None, limit: int,
    scope: frozenset[str] | None = None,
) -> list[Movement]:
    query = pagination.keyset(select(Movement), Movement.id, after=after, limit=limit)
    if scope is not None:
        query = query.where(Movement.warehouse.in_(sorted(scope)))
    if warehouse is not None:
        query = query.where(Movement.warehouse == warehouse)
    if part_number is not None:
        query = query.where(Movement.part_number == part_number)
    return list(session.scalars(query))
