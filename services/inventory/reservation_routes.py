"""Inventory's reservation routes: reserve, read, consume, release, list (routes.py has the rest)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.inventory import access, examples, reservation_list, reservations
from services.inventory.domain import expiry
from services.inventory.models import RESERVATION_STATUSES
from services.inventory.routes import CodeQuery, ReservationId, _after, _is_id
from services.inventory.schemas import (
    ConsumeIn,
    ReservationCreate,
    ReservationLineRead,
    ReservationPage,
    ReservationRead,
)
from shared import openapi, pagination
from shared.contracts import inventory as contract
from shared.deps import CurrentCaller, CurrentClock, Cursor, IdempotencyKey, Limit, Uow
from shared.idempotency import run_idempotent

router = APIRouter()


def reservation_read(reservation, now) -> ReservationRead:
    return ReservationRead(
        id=reservation.id, warehouse=reservation.warehouse, reference=reservation.reference,
        status=expiry.status_at(reservation.status, reservation.expires_at, now),
        created_at=reservation.created_at, expires_at=reservation.expires_at, closed_at=reservation.closed_at,
        lines=[
            ReservationLineRead(
                part_number=line.part_number, name=line.part.name, uom=line.part.uom, qty=line.qty,
                consumed_qty=line.consumed_qty, list_price=line.list_price,
                out_of_warranty_price=line.out_of_warranty_price,
            )
            for line in reservation.lines
        ],
    )


@openapi.operation(
    "reserveParts", "Reserve parts for a repair",
    errors={403: "warehouse_forbidden", 404: ("warehouse_not_found", "part_not_found"), 409: "insufficient_stock"},
    body=examples.RESERVATION_CREATE, answer=examples.RESERVATION,
    description="On 409 `insufficient_stock` the problem lists `shortages` "
                "(`part_number`, `requested`, `available`) and nothing is reserved.",
)
@router.post("/reservations", status_code=201, response_model=ReservationRead, tags=["reservations"])
async def reserve(reservation_in: ReservationCreate, request: Request, caller: CurrentCaller,
                  clock: CurrentClock, key: IdempotencyKey = None):
    ttl = reservation_in.ttl_seconds or request.app.state.settings.reservation_ttl_seconds

    def effect(session):
        return reservations.reserve(
            session, caller=caller, warehouse=reservation_in.warehouse, reference=reservation_in.reference,
            lines=[(line.part_number, line.qty) for line in reservation_in.lines], ttl_seconds=ttl, now=clock.now(),
        )

    if key is None:  # the path `make bench` loads: no idempotency row to claim and record
        answer = await request.app.state.uow.write(effect)
        # The same JSON as JSONResponse(answer.model_dump(mode="json")) gives, in one step.
        return Response(answer.model_dump_json(), status_code=201, media_type="application/json")
    return await run_idempotent(request, key=key, payload=reservation_in, status=201, effect=effect)


def _get_reservation(session, reservation_id: int, *, now) -> ReservationRead:
    return reservation_read(reservations.get(session, reservation_id), now)


@openapi.operation("getReservation", "A reservation, with unit prices", errors={404: "reservation_not_found"},
                   answer=examples.RESERVATION)
@router.get("/reservations/{reservation_id}", response_model=ReservationRead, tags=["reservations"])
async def get_reservation(reservation_id: ReservationId, uow: Uow, clock: CurrentClock):
    return await uow.read(_get_reservation, reservation_id, now=clock.now())


@openapi.operation(
    "consumeReservation", "Issue a reservation's parts (all, or the lines given)",
    errors={403: "warehouse_forbidden", 404: "reservation_not_found", 409: "reservation_not_active",
            422: "invalid_consume_lines"},
    body=examples.CONSUME, answer=examples.RESERVATION,
)
@router.post("/reservations/{reservation_id}/consume", response_model=ReservationRead, tags=["reservations"])
async def consume(reservation_id: ReservationId, request: Request, caller: CurrentCaller, clock: CurrentClock,
                  consume_in: ConsumeIn | None = None, key: IdempotencyKey = None):
    used = None
    if consume_in is not None and consume_in.lines is not None:
        used = [(line.part_number, line.qty) for line in consume_in.lines]

    def effect(session):
        now = clock.now()
        reservation = reservations.consume(session, caller=caller, reservation_id=reservation_id, used=used, now=now)
        return reservation_read(reservation, now)

    return await run_idempotent(request, key=key, payload=consume_in, status=200, effect=effect)


@openapi.operation("releaseReservation", "Give a reservation's parts back",
                   errors={403: "warehouse_forbidden", 404: "reservation_not_found", 409: "reservation_not_active"},
                   answer=examples.RESERVATION)
@router.post("/reservations/{reservation_id}/release", response_model=ReservationRead, tags=["reservations"])
async def release(reservation_id: ReservationId, request: Request, caller: CurrentCaller, clock: CurrentClock,
                  key: IdempotencyKey = None):
    def effect(session):
        now = clock.now()
        reservation = reservations.release(session, caller=caller, reservation_id=reservation_id, now=now)
        return reservation_read(reservation, now)

    return await run_idempotent(request, key=key, payload=None, status=200, effect=effect)


def _list_reservations(session, *, limit: int, now, **filters) -> ReservationPage:
    rows = reservation_list.list_reservations(session, limit=limit, now=now, **filters)
    rows, next_cursor = pagination.page(rows, limit, key=lambda r: r.id)
    return ReservationPage(items=[reservation_read(r, now) for r in rows], next_cursor=next_cursor)


@openapi.operation("listReservations", "Reservations, newest first (by state as read now, warehouse, reference; "
                   "a warehouse caller's: its warehouses only)",
                   answer={"items": [examples.RESERVATION], "next_cursor": None})
@router.get("/reservations", response_model=ReservationPage, tags=["reservations"])
async def list_reservations(
    uow: Uow, clock: CurrentClock, caller: CurrentCaller,
    status: Annotated[Literal[RESERVATION_STATUSES] | None, Query(description="as read now")] = None,
    warehouse: CodeQuery = None,
    reference: Annotated[str | None, Query(min_length=contract.REFERENCE_MIN_LENGTH,
                                           max_length=contract.REFERENCE_MAX_LENGTH,
                                           description="exactly this")] = None,
    limit: Limit = 50, cursor: Cursor = None,
):
    after = _after(cursor, _is_id)
    return await uow.read(_list_reservations, status=status, warehouse=warehouse, reference=reference,
                          after=after, limit=limit, now=clock.now(), scope=access.scope_of(caller))
