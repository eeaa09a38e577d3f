"""Inventory's reservation routes: reserve, read, consume, release, list (routes.py has the rest)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from services.inventory import access, errors, examples, reservation_list, reservations
from services.inventory.models import RESERVATION_STATUSES
from services.inventory.routes import CodeQuery, ReservationId
from services.inventory.schemas import (
    ConsumeIn,
    ReservationCreate,
    ReservationPage,
    ReservationRead,
)
from shared import pagination
from shared.contracts import inventory as contract
from shared.deps import CurrentCaller, CurrentClock, Limit
from shared.operations import IdCursor, Operations

router = APIRouter()
ops = Operations(router, tags=["reservations"])


def reservation_read(reservation, now) -> ReservationRead:
    return reservations.read_answer(reservation, (
        (line.part_number, line.part.name, line.part.uom, line.qty, line.consumed_qty, line.list_price,
         line.out_of_warranty_price) for line in reservation.lines), now)


async def reserve_natively(uow, reservation_in: ReservationCreate, request: Request, caller, clock) -> ReservationRead:
    """`reserve` as one statement run alone over asyncpg on PostgreSQL (shared/operations.py, `native=`)."""
    return await reservations.reserve_natively(
        uow, caller=caller, warehouse=reservation_in.warehouse, reference=reservation_in.reference,
        lines=[(line.part_number, line.qty) for line in reservation_in.lines],
        ttl_seconds=reservation_in.ttl_seconds or request.app.state.settings.reservation_ttl_seconds,
        now=clock.now(),
    )


@ops.post(
    "/reservations", "reserveParts", "Reserve parts for a repair", idempotent=True, native=reserve_natively, hot=True,
    raises=[errors.WarehouseForbidden, errors.WarehouseNotFound, errors.PartNotFound, errors.InsufficientStock],
    body=examples.RESERVATION_CREATE, answer=examples.RESERVATION,
    description="On 409 `insufficient_stock` the problem lists `shortages` "
                "(`part_number`, `requested`, `available`) and nothing is reserved.",
)
def reserve(session, reservation_in: ReservationCreate, request: Request, caller: CurrentCaller,
            clock: CurrentClock) -> ReservationRead:
    return reservations.reserve(
        session, caller=caller, warehouse=reservation_in.warehouse, reference=reservation_in.reference,
        lines=[(line.part_number, line.qty) for line in reservation_in.lines],
        ttl_seconds=reservation_in.ttl_seconds or request.app.state.settings.reservation_ttl_seconds,
        now=clock.now(),
    )


@ops.get("/reservations/{reservation_id}", "getReservation", "A reservation, with unit prices",
         raises=[errors.ReservationNotFound], answer=examples.RESERVATION, hot=True)
def get_reservation(connection, reservation_id: ReservationId, clock: CurrentClock) -> ReservationRead:
    return reservations.read(connection, reservation_id, clock.now())


@ops.post(
    "/reservations/{reservation_id}/consume", "consumeReservation", "Issue a reservation's parts (all, or the "
    "lines given)", idempotent=True, status=200,
    raises=[errors.WarehouseForbidden, errors.ReservationNotFound, errors.ReservationNotActive, errors.InvalidConsume],
    body=examples.CONSUME, answer=examples.RESERVATION, hot=True,
)
def consume(session, reservation_id: ReservationId, caller: CurrentCaller, clock: CurrentClock,
            consume_in: ConsumeIn | None = None) -> ReservationRead:
    used = None
    if consume_in is not None and consume_in.lines is not None:
        used = [(line.part_number, line.qty) for line in consume_in.lines]
    now = clock.now()
    return reservations.consume(session, caller=caller, reservation_id=reservation_id, used=used, now=now)


@ops.post("/reservations/{reservation_id}/release", "releaseReservation", "Give a reservation's parts back",
          idempotent=True, status=200, answer=examples.RESERVATION,
          raises=[errors.WarehouseForbidden, errors.ReservationNotFound, errors.ReservationNotActive])
def release(session, reservation_id: ReservationId, caller: CurrentCaller, clock: CurrentClock) -> ReservationRead:
    now = clock.now()
    return reservations.release(session, caller=caller, reservation_id=reservation_id, now=now)


@ops.get("/reservations", "listReservations", "Reservations, newest first (by state as read now, warehouse, "
         "reference; a warehouse caller's: its warehouses only)",
         answer={"items": [examples.RESERVATION], "next_cursor": None})
def list_reservations(
    session, clock: CurrentClock, caller: CurrentCaller,
    status: Annotated[Literal[RESERVATION_STATUSES] | None, Query(description="as read now")] = None,
    warehouse: CodeQuery = None,
    reference: Annotated[str | None, Query(min_length=contract.REFERENCE_MIN_LENGTH,
                                           max_length=contract.REFERENCE_MAX_LENGTH,
                                           description="exactly this")] = None,
    limit: Limit = 50, after: IdCursor = None,
) -> ReservationPage:
    now = clock.now()
    rows = reservation_list.list_reservations(session, status=status, warehouse=warehouse, reference=reference,
                                              after=after, limit=limit, now=now, scope=access.scope_of(caller))
    rows, next_cursor = pagination.page(rows, limit, key=lambda r: r.id)
    return ReservationPage(items=[reservation_read(r, now) for r in rows], next_cursor=next_cursor)
