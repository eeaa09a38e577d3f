"""Taking stock rows for a change, without oversell, races or deadlocks.

Every write that changes stock goes through `lock`, which in the caller's
transaction (1) creates the missing rows that are about to receive stock,
(2) expires the reservations due at the warehouses it touches and (3) locks
the stock rows it needs with SELECT ... FOR UPDATE. Reservation rows are
always locked before stock rows, each kind in one fixed order (reservation
id; warehouse then part number), so two transactions on PostgreSQL never
wait on each other in a circle. On SQLite a write transaction holds the
database from BEGIN IMMEDIATE, so what is read is what gets written.
The caller then decides from the locked figures (domain rules) and changes
the rows; the CHECK constraint on stock is the last line of defence.
"""

from collections.abc import Collection, Iterable
from datetime import datetime

import structlog
from sqlalchemy import func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.inventory.domain.expiry import ACTIVE, EXPIRED
from services.inventory.models import Movement, Reservation, ReservationLine, Stock

Key = tuple[str, str]  # (warehouse, part_number)
log = structlog.get_logger("inventory")


def ensure_rows(session: Session, keys: Iterable[Key]) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for warehouse, part_number in sorted(set(keys)):
        session.execute(
            dialect.insert(Stock)
            .values(warehouse=warehouse, part_number=part_number, on_hand=0, reserved=0)
            .on_conflict_do_nothing(index_elements=["warehouse", "part_number"])
        )


def expire_due(session: Session, *, now: datetime, warehouses: Collection[str] | None) -> dict[Key, int]:
    """Record the expiry of due reservations (at `warehouses`, or everywhere); the stock they free."""
    query = (
        select(Reservation.id)
        .where(Reservation.status == ACTIVE, Reservation.expires_at <= now)
        .order_by(Reservation.id)
        .with_for_update()
    )
    if warehouses is not None:
        query = query.where(Reservation.warehouse.in_(sorted(warehouses)))
    ids = list(session.scalars(query))
    if not ids:
        return {}
    session.execute(
        update(Reservation).where(Reservation.id.in_(ids)).values(status=EXPIRED, closed_at=now)
    )
    log.info("reservations_expired", reservation_ids=ids)
    freed = session.execute(
        select(Reservation.warehouse, ReservationLine.part_number, func.sum(ReservationLine.qty))
        .join(ReservationLine, ReservationLine.reservation_id == Reservation.id)
        .where(Reservation.id.in_(ids))
        .group_by(Reservation.warehouse, ReservationLine.part_number)
    )
    return {(warehouse, part): int(qty) for warehouse, part, qty in freed}


def lock_rows(session: Session, keys: Iterable[Key]) -> dict[Key, Stock]:
    ordered = sorted(set(keys))
    if not ordered:
        return {}
    rows = session.scalars(
        select(Stock)
        .where(tuple_(Stock.warehouse, Stock.part_number).in_(ordered))
        .order_by(Stock.warehouse, Stock.part_number)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {(row.warehouse, row.part_number): row for row in rows}


def _lock_giving_back(session: Session, keys: set[Key], freed: dict[Key, int]) -> dict[Key, Stock]:
    rows = lock_rows(session, keys | freed.keys())
    for key, qty in freed.items():
        rows[key].reserved -= qty
    return rows


def lock(
    session: Session, keys: Iterable[Key], *, now: datetime, create: Iterable[Key] = ()
) -> dict[Key, Stock]:
    """The stock rows of `keys` that exist, locked, with the reservations due there given back.

    Consume and release hold a reservation row already: they call `lock_rows`,
    since locking other reservations after it would break the lock order.
    """
    keys = set(keys)
    ensure_rows(session, create)
    freed = expire_due(session, now=now, warehouses={w for w, _ in keys})
    return _lock_giving_back(session, keys, freed)


def sweep(session: Session, *, now: datetime) -> int:
    """Record every due expiry at once, for operators (reads and writes never need it); units freed."""
    freed = expire_due(session, now=now, warehouses=None)
    _lock_giving_back(session, set(), freed)
    session.flush()
    return sum(freed.values())


def record(
    session: Session, *, kind: str, warehouse: str, part_number: str, qty: int, now: datetime,
    reference: str | None = None, reason: str | None = None, reservation_id: int | None = None,
) -> Movement:
    movement = Movement(
        kind=kind, warehouse=warehouse, part_number=part_number, qty=qty, reference=reference,
        reason=reason, reservation_id=reservation_id, created_at=now,
    )
    session.add(movement)
    return movement
