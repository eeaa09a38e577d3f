"""Reservations: all-or-nothing holds on stock for a repair, then consumed,
released, or expired (lazily: see domain/expiry.py and ledger.py)."""

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from types import SimpleNamespace

import structlog
from sqlalchemy import Connection, Row, bindparam, exists, insert, select, update
from sqlalchemy.orm import Session

from services.inventory import catalog, errors, ledger, trail, warehouses
from services.inventory.access import require_write_at
from services.inventory.domain import availability, consumption, expiry
from services.inventory.models import Part, Reservation, ReservationLine, Warehouse
from services.inventory.reservation_statement import RESERVE
from services.inventory.schemas import ReservationLineRead, ReservationRead
from services.inventory.stock import insufficient
from shared import direct, metrics
from shared.context import Caller
from shared.db import UtcDateTime
from shared.uow import Fallback, UnitOfWork

log = structlog.get_logger("inventory")


_WAREHOUSE, _PART = Warehouse.__table__, Part.__table__
_RESERVATION, _LINE = Reservation.__table__, ReservationLine.__table__
# The warehouse, the parts asked for, and whether a reservation there is due to expire, in one round trip:
# no row means no such warehouse, a row without a part number means none of the parts exists.
_PLACE_AND_PARTS = (
    select(_WAREHOUSE.c.code, _PART.c.part_number, _PART.c.name, _PART.c.uom, _PART.c.list_price,
           _PART.c.out_of_warranty_price,
           exists().where(_RESERVATION.c.warehouse == bindparam("warehouse"), _RESERVATION.c.status == expiry.ACTIVE,
                          _RESERVATION.c.expires_at <= bindparam("now", type_=UtcDateTime)).label("due"))
    .select_from(_WAREHOUSE.outerjoin(_PART, _PART.c.part_number.in_(bindparam("parts", expanding=True))))
    .where(_WAREHOUSE.c.code == bindparam("warehouse"))
)
_NEW_RESERVATION = insert(_RESERVATION).returning(_RESERVATION.c.id)
_NEW_LINES = insert(_LINE)


def reserve(
    session: Session, *, caller: Caller, warehouse: str, reference: str, lines: Sequence[tuple[str, int]],
    ttl_seconds: int, now: datetime,
) -> ReservationRead:
    """Hold `lines` at `warehouse`, all or nothing; the answer is built from the values written.

    On PostgreSQL one statement (reservation_statement.py) checks, takes the stock, writes the
    reservation, its lines and its audit entry. On SQLite (statements cost no round trip) Core
    statements: one SELECT for the warehouse, the parts and whether anything there is due to expire,
    the lazy expiry only then, INSERT ... RETURNING for the reservation, one for its lines, the single
    stock UPDATE of ledger.apply, the audit entry."""
    require_write_at(caller, warehouse)
    now, expires, ordered, after = _plan(warehouse, reference, lines, ttl_seconds, now)
    take = _at_once if session.connection().dialect.name == "postgresql" else _in_steps
    reservation_id, parts = take(session, caller=caller, warehouse=warehouse, reference=reference, lines=lines,
                                 ordered=ordered, now=now, expires=expires, after=after)
    metrics.after_commit(session, metrics.RESERVATIONS.labels(outcome="made"))
    log.info("reserved", reservation_id=reservation_id, warehouse=warehouse, lines=len(lines))
    return _answer(reservation_id, warehouse, reference, ordered, parts, now, expires)


async def reserve_natively(
    uow: UnitOfWork, *, caller: Caller, warehouse: str, reference: str, lines: Sequence[tuple[str, int]],
    ttl_seconds: int, now: datetime,
) -> ReservationRead:
    """`reserve` on PostgreSQL as `_at_once`'s one statement run alone over asyncpg (`uow.alone`: its own
    transaction, one round trip, on the event loop); a reservation of one line goes with the others of
    one line this process has waiting at that moment (`uow.together`: one round trip and one transaction
    for the group, the stock rows locked in order, each statement all or nothing by itself). What it
    leaves to `reserve` (uow.Fallback; the statement changed nothing): a reservation at the warehouse due
    to expire (given back first there), and a refusal (whose shortages `reserve` reads)."""
    require_write_at(caller, warehouse)
    now, expires, ordered, after = _plan(warehouse, reference, lines, ttl_seconds, now)
    given = _given(caller, warehouse, reference, ordered, now, expires, after)
    if len(ordered) == 1:  # one stock row: sent with this process's others of one row at the warehouse
        rows = await uow.together(_reserve_alone(), given, (warehouse, ordered[0][0]), among=warehouse)
    else:
        rows = await uow.alone(_reserve_alone(), given)
    parts = _known(rows, warehouse, lines)
    if rows[0].id is None:
        raise Fallback
    metrics.RESERVATIONS.labels(outcome="made").inc()
    log.info("reserved", reservation_id=rows[0].id, warehouse=warehouse, lines=len(lines))
    return _answer(rows[0].id, warehouse, reference, ordered, parts, now, expires)


@functools.cache
def _reserve_alone():
    """RESERVE compiled for asyncpg, with the first reservation that runs alone (asyncpg is loaded then)."""
    from shared.compiled import Statement
    from shared.native import DIALECT

    return Statement.of(RESERVE, DIALECT)


def _plan(warehouse: str, reference: str, lines: Sequence[tuple[str, int]], ttl_seconds: int, now: datetime):
    """The time, the expiry, the lines in part order and the audit entry's `after` of a reservation."""
    now = now.astimezone(UTC)
    expires = expiry.expires_at(now, ttl_seconds)
    ordered = sorted(lines)
    after = {"warehouse": warehouse, "reference": reference, "status": expiry.ACTIVE, "expires_at": expires,
             "lines": dict(ordered)}
    return now, expires, ordered, after


def _answer(reservation_id: int, warehouse: str, reference: str, ordered, parts: dict, now: datetime,
            expires: datetime) -> ReservationRead:
    # Built without validation: every value is one the reservation just wrote (schemas.py's types).
    return ReservationRead.model_construct(
        id=reservation_id, warehouse=warehouse, reference=reference,
        status=expiry.status_at(expiry.ACTIVE, expires, now), created_at=now, expires_at=expires, closed_at=None,
        lines=[
            ReservationLineRead.model_construct(
                part_number=part, name=parts[part].name, uom=parts[part].uom, qty=qty, consumed_qty=0,
                list_price=parts[part].list_price, out_of_warranty_price=parts[part].out_of_warranty_price,
            )
            for part, qty in ordered
        ],
    )


def _known(rows, warehouse: str, lines: Sequence[tuple[str, int]]) -> dict:
    """The parts found, by part number; raises when the warehouse or a part does not exist."""
    if not rows:
        raise warehouses.not_found(warehouse)
    parts = {row.part_number: row for row in rows if row.part_number is not None}
    catalog.require_all(parts, [part for part, _ in lines])
    return parts


def _refused(session: Session, warehouse: str, lines: Sequence[tuple[str, int]], taken: set[str]) -> Exception:
    """The 409 of a reservation some line of which was short. What each line had before the statement
    that tried: the lines it did take are counted back. Raising it rolls the whole transaction back."""
    wanted = {(warehouse, part): qty for part, qty in lines}
    have = {part: qty + (wanted[(w, part)] if part in taken else 0)
            for (w, part), qty in ledger.available_at(session, wanted).items()}
    metrics.RESERVATIONS.labels(outcome="refused").inc()
    return insufficient(availability.shortages(lines, have), warehouse)


def _at_once(session: Session, *, caller: Caller, warehouse: str, reference: str, lines, ordered, now: datetime,
             expires: datetime, after: dict) -> tuple[int, dict]:
    """PostgreSQL: the reservation in one statement; again after the lazy expiry when something at the
    warehouse was due (the statement then changed nothing)."""
    connection = session.connection()
    given = _given(caller, warehouse, reference, ordered, now, expires, after)
    rows = connection.execute(RESERVE, given).all()
    parts = _known(rows, warehouse, lines)
    if rows[0].id is None and rows[0].due:
        ledger.give_back_due(session, now=now, warehouses=[warehouse])
        rows = connection.execute(RESERVE, {**given, "b_look_for_due": False}).all()
    if rows[0].id is None:
        raise _refused(session, warehouse, lines, set(rows[0].taken or ()))
    return rows[0].id, parts


def _given(caller: Caller, warehouse: str, reference: str, ordered, now: datetime, expires: datetime,
           after: dict) -> dict:
    """The parameters of reservation_statement.RESERVE, its audit entry's values included."""
    entry = trail.entry(caller, action="create", object_type="reservation", at=now, after=after)
    return {"b_warehouse": warehouse, "b_reference": reference, "b_parts": [part for part, _ in ordered],
            "b_qtys": [qty for _, qty in ordered], "b_n": len(ordered), "b_now": now, "b_expires_at": expires,
            "b_look_for_due": True, **{f"b_audit_{name}": value for name, value in entry.items()}}


def _in_steps(session: Session, *, caller: Caller, warehouse: str, reference: str, lines, ordered, now: datetime,
              expires: datetime, after: dict) -> tuple[int, dict]:
    connection = session.connection()
    found = connection.execute(_PLACE_AND_PARTS, {
        "warehouse": warehouse, "parts": [part for part, _ in lines], "now": now}).all()
    parts = _known(found, warehouse, lines)
    if found[0].due:
        ledger.give_back_due(session, now=now, warehouses=[warehouse])
    reservation_id = direct.run(session, _NEW_RESERVATION, {
        "warehouse": warehouse, "reference": reference, "status": expiry.ACTIVE, "created_at": now,
        "expires_at": expires, "closed_at": None,
    }).scalar_one()
    direct.run_many(session, _NEW_LINES, [
        {"reservation_id": reservation_id, "part_number": part, "qty": qty, "consumed_qty": 0,
         "list_price": parts[part].list_price, "out_of_warranty_price": parts[part].out_of_warranty_price}
        for part, qty in ordered
    ])
    wanted = {(warehouse, part): qty for part, qty in lines}
    taken = ledger.apply(session, reserved=wanted, need=wanted)
    if len(taken) != len(wanted):
        raise _refused(session, warehouse, lines, {part for _, part in taken})
    trail.record(session, caller, action="create", object_type="reservation", object_id=reservation_id, at=now,
                 after=after)
    return reservation_id, parts


_RESERVATION, _LINE = Reservation.__table__, ReservationLine.__table__
# A reservation with its lines and their parts' names, in one statement (the hot read: GET /reservations/{id},
# which billing makes for every bill); the lines in part order, as Reservation.lines.
_READ = (
    select(_RESERVATION.c.id, _RESERVATION.c.warehouse, _RESERVATION.c.reference, _RESERVATION.c.status,
           _RESERVATION.c.created_at, _RESERVATION.c.expires_at, _RESERVATION.c.closed_at,
           _LINE.c.part_number, _PART.c.name, _PART.c.uom, _LINE.c.qty, _LINE.c.consumed_qty,
           _LINE.c.list_price, _LINE.c.out_of_warranty_price)
    .select_from(_RESERVATION.outerjoin(_LINE, _LINE.c.reservation_id == _RESERVATION.c.id)
                 .outerjoin(_PART, _PART.c.part_number == _LINE.c.part_number))
    .where(_RESERVATION.c.id == bindparam("id"))
    .order_by(_LINE.c.part_number)
)


# The same, the reservation's row locked for the change that follows (consume, release): on PostgreSQL
# FOR UPDATE OF the reservation alone (its lines and parts are joined on the nullable side).
_READ_LOCKED = _READ.with_for_update(of=_RESERVATION)
_CLOSE = (update(_RESERVATION).where(_RESERVATION.c.id == bindparam("b_id"))
          .values(status=bindparam("b_status"), closed_at=bindparam("b_closed_at")))
_LINE_CONSUMED = (update(_LINE)
                  .where(_LINE.c.reservation_id == bindparam("b_id"), _LINE.c.part_number == bindparam("b_part"))
                  .values(consumed_qty=bindparam("b_consumed")))


def read(connection: Session | Connection, reservation_id: int, now: datetime) -> ReservationRead:
    """The reservation as `GET /reservations/{id}` answers it, read by one Core statement."""
    head, lines = _read_rows(connection, _READ, reservation_id)
    return read_answer(head, (line[7:] for line in lines), now)


def _read_rows(connection: Session | Connection, statement, reservation_id: int) -> tuple[Row, list[Row]]:
    """The reservation's row (the first) and its lines' rows (none for a reservation of no line)."""
    rows = direct.execute(connection, statement, {"id": reservation_id}).all()
    if not rows:
        raise errors.ReservationNotFound(f"No reservation {reservation_id}")
    return rows[0], [row for row in rows if row.part_number is not None]


def read_answer(reservation, lines: Iterable[Sequence], now: datetime) -> ReservationRead:
    """The reservation as read: `reservation` has its columns as attributes, each line is (part number,
    the part's name, its unit, qty, consumed qty, list price, out-of-warranty price)."""
    return ReservationRead(
        id=reservation.id, warehouse=reservation.warehouse, reference=reservation.reference,
        status=expiry.status_at(reservation.status, reservation.expires_at, now),
        created_at=reservation.created_at, expires_at=reservation.expires_at, closed_at=reservation.closed_at,
        lines=[
            ReservationLineRead(part_number=part, name=name, uom=uom, qty=qty, consumed_qty=consumed,
                                list_price=price, out_of_warranty_price=oow_price)
            for part, name, uom, qty, consumed, price, oow_price in lines
        ],
    )


def _take_active(session: Session, caller: Caller, reservation_id: int, now: datetime) -> tuple[Row, list[Row]]:
    """The active reservation's row, locked, and its lines' rows (`_READ`), by one Core statement."""
    head, lines = _read_rows(session, _READ_LOCKED, reservation_id)
    require_write_at(caller, head.warehouse)
    status = expiry.status_at(head.status, head.expires_at, now)
    if status != expiry.ACTIVE:
        raise errors.ReservationNotActive(
            f"Reservation {reservation_id} is {status}", reservation_status=status
        )
    return head, lines


def _close(session: Session, head: Row, lines: list[Row], *, status: str, used: dict, now: datetime
           ) -> ReservationRead:
    """The reservation closed (`status`): its hold leaves its stock rows and what was used (part number: its
    consume plan's line) leaves the shelf, in one statement; the answer, as a read would give it now."""
    direct.later(session, _CLOSE, {"b_id": head.id, "b_status": status, "b_closed_at": now})
    warehouse = head.warehouse
    reserved = {(warehouse, line.part_number): -line.qty for line in lines}
    on_hand = {(warehouse, p): -line.consumed for p, line in used.items() if line.consumed}
    changed = ledger.apply(session, on_hand=on_hand, reserved=reserved)
    if len(changed) != len(reserved):  # the CHECK or the ledger says otherwise: never half-done
        raise RuntimeError(f"stock rows of reservation {head.id} missing")
    closed = SimpleNamespace(**head._asdict())
    closed.status, closed.closed_at = status, now
    return read_answer(closed, ((line.part_number, line.name, line.uom, line.qty,
                                 used[line.part_number].consumed if used else line.consumed_qty, line.list_price,
                                 line.out_of_warranty_price) for line in lines), now)


def consume(
    session: Session, *, caller: Caller, reservation_id: int, used: Sequence[tuple[str, int]] | None,
    now: datetime,
) -> ReservationRead:
    """Issue what was used; whatever was reserved and not used goes back to available stock."""
    head, lines = _take_active(session, caller, reservation_id, now)
    try:
        plan = consumption.plan_consume({line.part_number: line.qty for line in lines}, used)
    except consumption.ConsumeRejected as exc:
        raise errors.InvalidConsume(
            str(exc), errors=[{"field": p.field, "message": p.message} for p in exc.problems]
        ) from None
    outcome = {line.part_number: line for line in plan}
    issued = []
    for line in lines:
        used_qty = outcome[line.part_number].consumed
        if used_qty != line.consumed_qty:  # a line not used keeps its 0: no statement, as the ORM wrote none
            direct.later(session, _LINE_CONSUMED, {"b_id": head.id, "b_part": line.part_number, "b_consumed": used_qty})
        if used_qty:
            issued.append(ledger.record(
                session, kind="issue", warehouse=head.warehouse, part_number=line.part_number, qty=-used_qty,
                now=now, reference=head.reference, reservation_id=head.id, list_price=line.list_price,
            ))
    answer = _close(session, head, lines, status="consumed", used=outcome, now=now)
    consumed = {line.part_number: outcome[line.part_number].consumed for line in lines}
    trail.record(session, caller, action="consume", object_type="reservation", object_id=head.id, at=now,
                 before={"status": expiry.ACTIVE}, after={"status": "consumed", "consumed": consumed})
    trail.movements(session, caller, issued, at=now)
    log.info("consumed", reservation_id=head.id, issued=sum(line.consumed for line in plan))
    return answer


def release(session: Session, *, caller: Caller, reservation_id: int, now: datetime) -> ReservationRead:
    head, lines = _take_active(session, caller, reservation_id, now)
    answer = _close(session, head, lines, status="released", used={}, now=now)
    trail.record(session, caller, action="release", object_type="reservation", object_id=head.id, at=now,
                 before={"status": expiry.ACTIVE}, after={"status": "released"})
    log.info("released", reservation_id=head.id)
    return answer
