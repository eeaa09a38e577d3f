"""Taking stock rows for a change, without oversell, races or deadlocks.

Every write that changes stock does, in the caller's transaction: (1) create
the missing rows that are about to receive stock (`ensure_rows`), (2) record
the expiry of the reservations due at the warehouses it touches
(`give_back_due`), (3) write its own rows (reservation, lines, movements),
and only then (4) change every stock row it touches in ONE statement
(`apply`), which checks what must be available and updates all rows at once,
locking them in a fixed order (warehouse, then part number). A stock row is
thus locked from that statement to the COMMIT that follows it: one round
trip, not the whole use case. All or nothing: a row whose check fails is not
changed, the caller sees it missing from the answer and raises, which rolls
the transaction back. Reservation rows are always locked before stock rows,
so two transactions on PostgreSQL never wait on each other in a circle. On
SQLite a write transaction holds the database from BEGIN IMMEDIATE. The
CHECK constraint on stock (on_hand >= reserved >= 0) is the last guard.

A reservation on PostgreSQL does (2) to (4) in one statement (reservation_statement.py): it looks
whether anything at the warehouse is due, and only then runs `give_back_due` and itself again.
"""

from collections.abc import Collection, Iterable
from datetime import datetime
from decimal import Decimal

import structlog
from sqlalchemy import and_, bindparam, case, func, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.inventory import trail
from services.inventory.domain.expiry import ACTIVE, EXPIRED
from services.inventory.models import Movement, Reservation, ReservationLine, Stock
from shared import direct

Key = tuple[str, str]  # (warehouse, part_number)
log = structlog.get_logger("inventory")


def in_lock_order(dialect: str, *columns):
    """The ORDER BY that locks stock rows in the one order every change takes them in, so that no two
    wait on each other in a circle: (warehouse, part number) by code point, the order Python sorts keys
    in (here, and a group of one-line reservations: shared/native.Native.fetch_together). On PostgreSQL
    that is COLLATE "C", whatever the database's own collation; SQLite compares the bytes already."""
    return [column.collate("C") for column in columns] if dialect == "postgresql" else list(columns)


def ensure_rows(session: Session, keys: Iterable[Key]) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for warehouse, part_number in sorted(set(keys)):
        session.execute(
            dialect.insert(Stock)
            .values(warehouse=warehouse, part_number=part_number, on_hand=0, reserved=0)
            .on_conflict_do_nothing(index_elements=["warehouse", "part_number"])
        )


_RESERVATION = Reservation.__table__
_DUE = (
    select(_RESERVATION.c.id)
    .where(_RESERVATION.c.status == ACTIVE, _RESERVATION.c.expires_at <= bindparam("now"))
    .order_by(_RESERVATION.c.id)
    .with_for_update()
)
_DUE_AT = _DUE.where(_RESERVATION.c.warehouse.in_(bindparam("at", expanding=True)))


def expire_due(session: Session, *, now: datetime, warehouses: Collection[str] | None) -> dict[Key, int]:
    """Record the expiry of due reservations (at `warehouses`, or everywhere); the stock they free."""
    # Core on the session's connection: it runs before every stock write, and usually finds none.
    if warehouses is None:
        ids = session.connection().execute(_DUE, {"now": now}).scalars().all()
    else:
        ids = session.connection().execute(_DUE_AT, {"now": now, "at": sorted(warehouses)}).scalars().all()
    if not ids:
        return {}
    session.execute(
        update(Reservation).where(Reservation.id.in_(ids)).values(status=EXPIRED, closed_at=now)
    )
    log.info("reservations_expired", reservation_ids=ids)
    trail.expired(session, ids, at=now)
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
        .order_by(*in_lock_order(session.get_bind().dialect.name, Stock.warehouse, Stock.part_number))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {(row.warehouse, row.part_number): row for row in rows}


def _lock_giving_back(session: Session, keys: set[Key], freed: dict[Key, int]) -> dict[Key, Stock]:
    rows = lock_rows(session, keys | freed.keys())
    for key, qty in freed.items():
        rows[key].reserved -= qty
    return rows


def give_back_due(session: Session, *, now: datetime, warehouses: Collection[str]) -> None:
    """Expire the reservations due at `warehouses` and free their stock (usually none are due)."""
    freed = expire_due(session, now=now, warehouses=warehouses)
    if freed:
        _lock_giving_back(session, set(), freed)
        session.flush()


_STOCK = Stock.__table__


_ONE_ROW = (
    update(_STOCK)
    .where(
        _STOCK.c.warehouse == bindparam("w"), _STOCK.c.part_number == bindparam("p"),
        _STOCK.c.on_hand - _STOCK.c.reserved >= bindparam("need"),
    )
    .values(on_hand=_STOCK.c.on_hand + bindparam("d_on_hand"), reserved=_STOCK.c.reserved + bindparam("d_reserved"))
    .returning(_STOCK.c.warehouse)
)


def _by_key(values: dict[Key, int]):
    """A CASE giving each (warehouse, part) row its value, 0 for any other row."""
    c = _STOCK.c
    return case(
        *[(and_(c.warehouse == w, c.part_number == p), v) for (w, p), v in sorted(values.items())], else_=0,
    )


def apply(
    session: Session, *, on_hand: dict[Key, int] | None = None, reserved: dict[Key, int] | None = None,
    need: dict[Key, int] | None = None,
) -> set[Key]:
    """Add the deltas to the stock rows, in one statement, where each row in `need` still has that
    much available; the rows changed. A row missing from the answer did not exist or was short,
    and nothing was changed there: the caller raises, which rolls everything back."""
    on_hand, reserved, need = on_hand or {}, reserved or {}, need or {}
    keys = sorted(set(on_hand) | set(reserved) | set(need))
    if not keys:
        return set()
    session.flush()  # our own inserts go first: the stock rows stay locked only until COMMIT
    if len(keys) == 1:  # most changes touch one row: no order to keep, a statement built once
        (warehouse, part), = keys
        changed = direct.run(session, _ONE_ROW, {
            "w": warehouse, "p": part, "d_on_hand": on_hand.get(keys[0], 0),
            "d_reserved": reserved.get(keys[0], 0), "need": need.get(keys[0], 0),
        }).first()
        return {keys[0]} if changed is not None else set()
    connection = session.connection()
    c = _STOCK.c
    match = tuple_(c.warehouse, c.part_number).in_(keys)
    # Core, not the ORM's bulk UPDATE: the statement is the same, its Python cost a fraction.
    statement = update(_STOCK)
    if connection.dialect.name == "postgresql":
        # The rows are locked in key order by the CTE before the UPDATE touches any of them,
        # so two multi-row changes never wait on each other in a circle.
        locked = (
            select(c.warehouse, c.part_number).where(match)
            .order_by(*in_lock_order("postgresql", c.warehouse, c.part_number)).with_for_update().cte("locked")
        )
        statement = statement.where(c.warehouse == locked.c.warehouse, c.part_number == locked.c.part_number)
    else:
        statement = statement.where(match)
    values = {}
    if on_hand:
        values["on_hand"] = c.on_hand + _by_key(on_hand)
    if reserved:
        values["reserved"] = c.reserved + _by_key(reserved)
    if need:
        statement = statement.where(c.on_hand - c.reserved >= _by_key(need))
    rows = connection.execute(statement.values(**values).returning(c.warehouse, c.part_number))
    return {(w, p) for w, p in rows}


def available_at(session: Session, keys: Iterable[Key]) -> dict[Key, int]:
    """What is available on each existing row (after a failed `apply`, to say what was short)."""
    rows = session.execute(
        select(Stock.warehouse, Stock.part_number, Stock.on_hand - Stock.reserved)
        .where(tuple_(Stock.warehouse, Stock.part_number).in_(sorted(set(keys))))
    )
    return {(w, p): int(qty) for w, p, qty in rows}


def sweep(session: Session, *, now: datetime) -> int:
    """Record every due expiry at once, for operators (reads and writes never need it); units freed."""
    freed = expire_due(session, now=now, warehouses=None)
    _lock_giving_back(session, set(), freed)
    session.flush()
    return sum(freed.values())


def record(
    session: Session, *, kind: str, warehouse: str, part_number: str, qty: int, now: datetime,
    reference: str | None = None, reason: str | None = None, reservation_id: int | None = None,
    list_price: Decimal | None = None,
) -> Movement:
    """One movement appended to the ledger, written now by a statement built once (no flush to wait for);
    the movement as written, with its id (not in the session: the ledger is never changed after)."""
    values = dict(kind=kind, warehouse=warehouse, part_number=part_number, qty=qty, reference=reference,
                  reason=reason, reservation_id=reservation_id, list_price=list_price, created_at=now)
    return Movement(id=direct.run(session, _APPEND, values).scalar_one(), **values)


_APPEND = insert(Movement.__table__).returning(Movement.__table__.c.id)
