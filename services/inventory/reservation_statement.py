"""A reservation on PostgreSQL in ONE statement (issue 22): its checks, the stock it takes, its rows and
its audit entry, as data-modifying CTEs whose answer says "made, id N" or why not.

    wanted   the lines asked for (two arrays, unnested: one statement for any number of lines)
    parts    the parts of those lines that exist, with their prices
    locked   the stock rows of the lines, locked in ledger.in_lock_order, the order every change of
             stock takes them in (no two wait on each other in a circle; a group of one-line
             reservations, sorted in Python, takes its rows in the same order),
             only when the warehouse and every part exist and, unless told not to look, no reservation
             at the warehouse is due to expire (its stock must be given back first: ledger.give_back_due,
             then this statement again without the look); each with whether it has the line's quantity
             available, read on the row as locked (its latest version)
    taken    those rows, their `reserved` raised, only when every line's row has enough
    made     the reservation, only when every line was taken
    lines    its lines, with the prices read in `parts`
    audit    its audit entry (trail.entry's values, the new id as the object's)

Its parameters are named b_* (a column's name would be taken for a value to SET). The answer has a row
per part found, each with the flags (no row: no such warehouse) and `b_tag` given back (which of a group
sent together the row answers: shared/native.Native.fetch_together). The statement is all or nothing by
itself: a refusal (a line short) or a reservation due changes nothing, so it may run alone, as its own
transaction (shared/native.py), and a caller inside a transaction may go on after it. The stock CHECK
constraint stays the last guard.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from services.inventory.domain.expiry import ACTIVE
from services.inventory.ledger import in_lock_order
from services.inventory.models import AuditEntry, Part, Reservation, ReservationLine, Stock, Warehouse
from shared.db import UtcDateTime

_PART, _STOCK, _WAREHOUSE = Part.__table__, Stock.__table__, Warehouse.__table__
_RESERVATION, _LINE, _AUDIT = Reservation.__table__, ReservationLine.__table__, AuditEntry.__table__
_WHERE, _NOW = bindparam("b_warehouse", type_=String), bindparam("b_now", type_=UtcDateTime)
_AUDITED = ("at", "actor_kind", "actor_id", "actor_name", "action", "object_type", "changes", "request_id")


def _statement():
    wanted_rows = func.unnest(
        bindparam("b_parts", type_=ARRAY(String)), bindparam("b_qtys", type_=ARRAY(BigInteger)),
    ).table_valued("part_number", "qty").render_derived(name="w")
    wanted = select(wanted_rows.c.part_number, wanted_rows.c.qty).cte("wanted")
    parts = (
        select(wanted.c.part_number, wanted.c.qty, _PART.c.name, _PART.c.uom, _PART.c.list_price,
               _PART.c.out_of_warranty_price)
        .join_from(wanted, _PART, _PART.c.part_number == wanted.c.part_number)
        .cte("parts")
    )
    n = bindparam("b_n", type_=BigInteger)
    place = exists().where(_WAREHOUSE.c.code == _WHERE)
    due = exists().where(
        _RESERVATION.c.warehouse == _WHERE, _RESERVATION.c.status == ACTIVE, _RESERVATION.c.expires_at <= _NOW,
    )
    ready = and_(
        place, select(func.count()).select_from(parts).scalar_subquery() == n,
        or_(~bindparam("b_look_for_due", type_=Boolean), ~due),
    )
    locked = (
        select(_STOCK.c.warehouse, _STOCK.c.part_number,
               (_STOCK.c.on_hand - _STOCK.c.reserved >= wanted.c.qty).label("enough"))
        .join_from(_STOCK, wanted, _STOCK.c.part_number == wanted.c.part_number)
        .where(_STOCK.c.warehouse == _WHERE, ready)
        .order_by(*in_lock_order("postgresql", _STOCK.c.part_number))  # the warehouse is one
        .with_for_update(of=_STOCK)
        .cte("locked")
    )
    every_line_enough = select(func.count()).select_from(locked).where(locked.c.enough).scalar_subquery() == n
    taken = (
        update(_STOCK)
        .where(_STOCK.c.warehouse == locked.c.warehouse, _STOCK.c.part_number == locked.c.part_number,
               wanted.c.part_number == locked.c.part_number, _STOCK.c.on_hand - _STOCK.c.reserved >= wanted.c.qty,
               every_line_enough)
        .values(reserved=_STOCK.c.reserved + wanted.c.qty)
        .returning(_STOCK.c.part_number)
        .cte("taken")
    )
    made = (
        insert(_RESERVATION)
        .from_select(
            ["warehouse", "reference", "status", "created_at", "expires_at", "closed_at"],
            select(_WHERE, bindparam("b_reference", type_=String), literal(ACTIVE), _NOW,
                   bindparam("b_expires_at", type_=UtcDateTime), cast(null(), UtcDateTime))
            .where(select(func.count()).select_from(taken).scalar_subquery() == n),
        )
        .returning(_RESERVATION.c.id)
        .cte("made")
    )
    lines = insert(_LINE).from_select(
        ["reservation_id", "part_number", "qty", "consumed_qty", "list_price", "out_of_warranty_price"],
        select(made.c.id, parts.c.part_number, parts.c.qty, literal(0, BigInteger), parts.c.list_price,
               parts.c.out_of_warranty_price).join_from(made, parts, true()),
    ).cte("lines")
    audit_values = [bindparam(f"b_audit_{name}", type_=_AUDIT.c[name].type) for name in _AUDITED]
    audit = insert(_AUDIT).from_select(
        [*_AUDITED, "object_id"], select(*audit_values, cast(made.c.id, String)).select_from(made),
    ).cte("audit")
    flags = (
        select(
            due.label("due"), select(made.c.id).scalar_subquery().label("id"),
            select(func.array_agg(taken.c.part_number)).scalar_subquery().label("taken"),
        )
        .where(place)
        .subquery("flags")
    )
    return (
        select(flags.c.due, flags.c.id, flags.c.taken, parts.c.part_number, parts.c.name, parts.c.uom,
               parts.c.list_price, parts.c.out_of_warranty_price,
               bindparam("b_tag", 0, type_=BigInteger).label("tag"))
        .select_from(flags.outerjoin(parts, true()))
        .add_cte(lines, audit)
    )


RESERVE = _statement()
