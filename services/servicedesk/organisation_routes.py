"""Routes of the organisation (sites, technicians), the stations offered for a ticket, a technician sent
after a complaint, and the messages to stations. Admin writes sites and technicians (gateway/rules.py)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session

from services.servicedesk import (
    calendars,
    clients,
    complaints,
    examples,
    notifications,
    redispatch,
    sites,
    technicians,
    tickets,
    views,
)
from services.servicedesk.schemas import RedispatchIn, TicketRead
from services.servicedesk.schemas_organisation import (
    NotificationPage,
    NotificationRead,
    SiteCreate,
    SitePage,
    SiteRead,
    SiteUpdate,
    StationOffer,
    StationOffers,
    TechnicianCreate,
    TechnicianPage,
    TechnicianRead,
    TechnicianUpdate,
)
from shared import context, openapi, pagination
from shared import errors as shared_errors
from shared.contracts import servicedesk as contract
from shared.deps import CurrentCaller, CurrentClock, Cursor, IdempotencyKey, Limit, PathId, Uow
from shared.idempotency import run_idempotent
from shared.search import Search

router = APIRouter()

SiteCodePath = Annotated[str, Path(min_length=contract.SITE_CODE_MIN_LENGTH, max_length=contract.SITE_CODE_MAX_LENGTH,
                                         description="Any case; stored upper-case")]


def _allow_private(request: Request) -> bool:
    return bool(getattr(request.app.state.settings, "webhook_allow_private", False))


def _site_page(session: Session, *, limit: int, **filters) -> SitePage:
    rows, next_cursor = pagination.page(sites.list_sites(session, limit=limit, **filters), limit,
                                        key=lambda s: s.code)
    return SitePage(items=[SiteRead.model_validate(sites.read(s)) for s in rows], next_cursor=next_cursor)


@openapi.operation("createSite", "A site of the organisation (admin)",
                   errors={409: ("site_exists", "conflict"), 422: "validation_error"}, answer=examples.SITE)
@router.post("/sites", status_code=201, response_model=SiteRead, tags=["organisation"])
async def create_site(site_in: SiteCreate, request: Request, caller: CurrentCaller, clock: CurrentClock,
                      key: IdempotencyKey = None):
    def effect(session) -> SiteRead:
        return SiteRead.model_validate(sites.read(sites.create(
            session, site_in=site_in, caller=caller, allow_private=_allow_private(request), now=clock.now())))

    return await run_idempotent(request, key=key, payload=site_in, status=201, effect=effect)


@openapi.operation("listSites", "Sites by code, filtered by region, kind, status or a search")
@router.get("/sites", response_model=SitePage, tags=["organisation"])
async def list_sites(
    uow: Uow,
    region: Annotated[str | None, Query(max_length=contract.REGION_MAX_LENGTH)] = None,
    kind: Annotated[contract.SiteKind | None, Query()] = None,
    status: Annotated[contract.SiteStatus | None, Query()] = None,
    q: Search = None, limit: Limit = 50, cursor: Cursor = None,
):
    after = pagination.decode_as(cursor, pagination.is_text)
    return await uow.read(_site_page, region=region, kind=kind, status=status, q=q, after=after, limit=limit)


@openapi.operation("getSite", "A site", errors={404: "site_not_found"}, answer=examples.SITE)
@router.get("/sites/{code}", response_model=SiteRead, tags=["organisation"])
async def get_site(code: SiteCodePath, uow: Uow):
    return await uow.read(lambda session: SiteRead.model_validate(sites.read(sites.get(session, code))))


@openapi.operation("updateSite", "Change a site, or close it (never deleted) (admin)",
                   errors={404: "site_not_found", 409: "conflict", 422: "validation_error"}, answer=examples.SITE)
@router.patch("/sites/{code}", response_model=SiteRead, tags=["organisation"])
async def update_site(code: SiteCodePath, body: SiteUpdate, request: Request, uow: Uow, caller: CurrentCaller,
                      clock: CurrentClock):
    changes = body.model_dump(exclude_unset=True)

    def update(session) -> SiteRead:
        return SiteRead.model_validate(sites.read(sites.update(
            session, sites.get(session, code), changes=changes, caller=caller,
            allow_private=_allow_private(request), now=clock.now())))

    return await uow.write(update)


def _technician_page(session: Session, *, limit: int, **filters) -> TechnicianPage:
    rows, next_cursor = pagination.page(technicians.list_technicians(session, limit=limit, **filters), limit,
                                        key=lambda t: t.id)
    return TechnicianPage(items=[TechnicianRead.model_validate(technicians.read(t)) for t in rows],
                          next_cursor=next_cursor)


@openapi.operation("createTechnician", "A technician of an open station or centre (admin)",
                   errors={409: "conflict", 422: ("validation_error", "unknown_station")}, answer=examples.TECHNICIAN)
@router.post("/technicians", status_code=201, response_model=TechnicianRead, tags=["organisation"])
async def create_technician(technician_in: TechnicianCreate, request: Request, caller: CurrentCaller,
                            clock: CurrentClock, key: IdempotencyKey = None):
    def effect(session) -> TechnicianRead:
        return TechnicianRead.model_validate(technicians.read(technicians.create(
            session, technician_in=technician_in, caller=caller, now=clock.now())))

    return await run_idempotent(request, key=key, payload=technician_in, status=201, effect=effect)


@openapi.operation("listTechnicians", "Technicians, filtered by station, active or a search over name and phone")
@router.get("/technicians", response_model=TechnicianPage, tags=["organisation"])
async def list_technicians(
    uow: Uow,
    station: Annotated[str | None, Query(max_length=contract.SITE_CODE_MAX_LENGTH)] = None,
    active: Annotated[bool | None, Query()] = None,
    q: Search = None, limit: Limit = 50, cursor: Cursor = None,
):
    after = pagination.decode_as(cursor, pagination.is_id)
    return await uow.read(_technician_page, station=station, active=active, q=q, after=after, limit=limit)


@openapi.operation("getTechnician", "A technician", errors={404: "technician_not_found"},
                   answer=examples.TECHNICIAN)
@router.get("/technicians/{technician_id}", response_model=TechnicianRead, tags=["organisation"])
async def get_technician(technician_id: PathId, uow: Uow):
    return await uow.read(lambda session: TechnicianRead.model_validate(
        technicians.read(technicians.get(session, technician_id))))


@openapi.operation("updateTechnician", "Change a technician, move them, or set them inactive (admin)",
                   errors={404: "technician_not_found", 409: "conflict",
                           422: ("validation_error", "unknown_station")}, answer=examples.TECHNICIAN)
@router.patch("/technicians/{technician_id}", response_model=TechnicianRead, tags=["organisation"])
async def update_technician(technician_id: PathId, body: TechnicianUpdate, uow: Uow, caller: CurrentCaller,
                            clock: CurrentClock):
    changes = body.model_dump(exclude_unset=True)
    return await uow.write(lambda session: TechnicianRead.model_validate(technicians.read(technicians.update(
        session, technicians.get(session, technician_id), changes=changes, caller=caller, now=clock.now()))))


def _offers(session: Session, region: str | None) -> StationOffers:
    """Open stations and centres that can take work with their active technicians, the region's first."""
    rows = [s for s in sites.list_sites(session, region=None, kind=None, status="open", q=None, after=None,
                                        limit=10_000) if s.kind in sites.TAKES_WORK]
    rows.sort(key=lambda s: (s.region != region, s.region, s.kind != "repair_station", s.code))
    people = technicians.of_station(session, [s.code for s in rows])
    return StationOffers(region=region, items=[StationOffer(
        **sites.read(s), in_region=s.region == region,
        technicians=[technicians.read(t) for t in people[s.code]]) for s in rows])


def _ticket_unit(session: Session, ticket_id: int, caller: context.Caller) -> tuple[str | None, bool | None]:
    ticket = tickets.get(session, ticket_id, caller)
    return ticket.serial_number, ticket.unit_known


@openapi.operation("offerStations", "Stations that can take this ticket, with their active technicians: the "
                   "unit's region first", errors={404: "ticket_not_found"})
@router.get("/tickets/{ticket_id}/stations", response_model=StationOffers, tags=["tickets"])
async def offer_stations(ticket_id: PathId, request: Request, uow: Uow, caller: CurrentCaller,
                         region: Annotated[str | None, Query(max_length=contract.REGION_MAX_LENGTH,
                                                             description="Instead of the unit's")] = None):
    serial, known = await uow.read(_ticket_unit, ticket_id, caller)
    if region is None and serial and known is not False:
        try:
            unit = await clients.upstreams(request.app).warranty.unit(serial)
        except (shared_errors.UpstreamUnavailable, shared_errors.UpstreamTimeout):
            unit = None  # every station is still offered, only not the region's first
        region = ((unit or {}).get("site") or {}).get("region")
    return await uow.read(_offers, region)


@openapi.operation("redispatchAfterComplaint", "Send another technician after a complaint: a new ticket, "
                   "complete and dispatched at once",
                   errors={404: "complaint_not_found",
                           409: ("invalid_complaint_state", "invalid_ticket_state", "conflict"),
                           422: ("unknown_station", "unknown_technician", "same_technician")},
                   answer=examples.TICKET_FOLLOW_ON)
@router.post("/complaints/{complaint_id}/redispatch", status_code=201, response_model=TicketRead,
             tags=["complaints"])
async def redispatch_after_complaint(complaint_id: PathId, body: RedispatchIn, request: Request,
                                     caller: CurrentCaller, clock: CurrentClock, key: IdempotencyKey = None):
    def effect(session) -> TicketRead:
        now = clock.now()
        ticket = redispatch.send_another(session, complaints.get(session, complaint_id), station=body.station,
                                         technician_id=body.technician_id, by=caller, now=now)
        return TicketRead.model_validate(views.read(session, calendars.work_calendar(session), ticket, now))

    return await run_idempotent(request, key=key, payload=body, status=201, effect=effect)


def _notification_page(session: Session, *, caller: context.Caller, limit: int, ticket_id: int | None,
                       **filters) -> NotificationPage:
    if ticket_id is not None:
        tickets.get(session, ticket_id, caller)  # another station's ticket: 404 here too
    rows = notifications.list_messages(session, ticket_id=ticket_id, stations=tickets.scope_of(session, caller),
                                       limit=limit, **filters)
    rows, next_cursor = pagination.page(rows, limit, key=lambda m: m.id)
    return NotificationPage(items=[NotificationRead.model_validate(notifications.read(m)) for m in rows],
                            next_cursor=next_cursor)


@openapi.operation("listNotifications", "Messages sent to stations' group chats, oldest first",
                   errors={404: "ticket_not_found"})
@router.get("/notifications", response_model=NotificationPage, tags=["notifications"])
async def list_notifications(
    uow: Uow, caller: CurrentCaller,
    ticket_id: Annotated[int | None, Query(ge=contract.ID_MIN, le=contract.ID_MAX)] = None,
    site: Annotated[str | None, Query(max_length=contract.SITE_CODE_MAX_LENGTH)] = None,
    status: Annotated[contract.NotificationStatus | None, Query()] = None,
    limit: Limit = 50, cursor: Cursor = None,
):
    after = pagination.decode_as(cursor, pagination.is_id)
    return await uow.read(_notification_page, caller=caller, ticket_id=ticket_id, site=site, status=status,
                          after=after, limit=limit)


