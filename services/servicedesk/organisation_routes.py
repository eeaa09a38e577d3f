"""Routes of the organisation (sites, technicians), the stations offered for a ticket, a technician sent
after a complaint, and the messages to stations. Admin writes sites and technicians (gateway/rules.py)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session

from services.servicedesk import (
    calendars,
    clients,
    complaints,
    errors,
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
from shared.deps import CurrentCaller, CurrentClock, Limit, PathId, Uow
from shared.operations import IdCursor, Operations, TextCursor
from shared.search import Search

router = APIRouter()
ops = Operations(router, tags=["organisation"])

SiteCodePath = Annotated[str, Path(min_length=contract.SITE_CODE_MIN_LENGTH, max_length=contract.SITE_CODE_MAX_LENGTH,
                                         description="Any case; stored upper-case")]


def _allow_private(request: Request) -> bool:
    return bool(getattr(request.app.state.settings, "webhook_allow_private", False))


@ops.post("/sites", "createSite", "A site of the organisation (admin)", idempotent=True, answer=examples.SITE,
          raises=[errors.SiteExists, shared_errors.Conflict, shared_errors.Unprocessable])
def create_site(session, site_in: SiteCreate, request: Request, caller: CurrentCaller, clock: CurrentClock) -> SiteRead:
    return SiteRead.model_validate(sites.read(sites.create(
        session, site_in=site_in, caller=caller, allow_private=_allow_private(request), now=clock.now())))


@ops.get("/sites", "listSites", "Sites by code, filtered by region, kind, status or a search")
def list_sites(
    session,
    region: Annotated[str | None, Query(max_length=contract.REGION_MAX_LENGTH)] = None,
    kind: Annotated[contract.SiteKind | None, Query()] = None,
    status: Annotated[contract.SiteStatus | None, Query()] = None,
    q: Search = None, limit: Limit = 50, after: TextCursor = None,
) -> SitePage:
    rows, next_cursor = pagination.page(
        sites.list_sites(session, region=region, kind=kind, status=status, q=q, after=after, limit=limit), limit,
        key=lambda s: s.code)
    return SitePage(items=[SiteRead.model_validate(sites.read(s)) for s in rows], next_cursor=next_cursor)


@ops.get("/sites/{code}", "getSite", "A site", raises=[errors.SiteNotFound], answer=examples.SITE)
def get_site(session, code: SiteCodePath) -> SiteRead:
    return SiteRead.model_validate(sites.read(sites.get(session, code)))


@ops.patch("/sites/{code}", "updateSite", "Change a site, or close it (never deleted) (admin)", answer=examples.SITE,
           raises=[errors.SiteNotFound, shared_errors.Conflict, shared_errors.Unprocessable])
def update_site(session, code: SiteCodePath, body: SiteUpdate, request: Request, caller: CurrentCaller,
                clock: CurrentClock) -> SiteRead:
    return SiteRead.model_validate(sites.read(sites.update(
        session, sites.get(session, code), changes=body.model_dump(exclude_unset=True), caller=caller,
        allow_private=_allow_private(request), now=clock.now())))


@ops.post("/technicians", "createTechnician", "A technician of an open station or centre (admin)", idempotent=True,
          raises=[shared_errors.Conflict, shared_errors.Unprocessable, errors.UnknownStation],
          answer=examples.TECHNICIAN)
def create_technician(session, technician_in: TechnicianCreate, caller: CurrentCaller,
                      clock: CurrentClock) -> TechnicianRead:
    return TechnicianRead.model_validate(technicians.read(technicians.create(
        session, technician_in=technician_in, caller=caller, now=clock.now())))


@ops.get("/technicians", "listTechnicians", "Technicians, filtered by station, active or a search over name and phone")
def list_technicians(
    session,
    station: Annotated[str | None, Query(max_length=contract.SITE_CODE_MAX_LENGTH)] = None,
    active: Annotated[bool | None, Query()] = None,
    q: Search = None, limit: Limit = 50, after: IdCursor = None,
) -> TechnicianPage:
    rows, next_cursor = pagination.page(
        technicians.list_technicians(session, station=station, active=active, q=q, after=after, limit=limit), limit,
        key=lambda t: t.id)
    return TechnicianPage(items=[TechnicianRead.model_validate(technicians.read(t)) for t in rows],
                          next_cursor=next_cursor)


@ops.get("/technicians/{technician_id}", "getTechnician", "A technician", raises=[errors.TechnicianNotFound],
         answer=examples.TECHNICIAN)
def get_technician(session, technician_id: PathId) -> TechnicianRead:
    return TechnicianRead.model_validate(technicians.read(technicians.get(session, technician_id)))


@ops.patch("/technicians/{technician_id}", "updateTechnician",
           "Change a technician, move them, or set them inactive (admin)", answer=examples.TECHNICIAN,
           raises=[errors.TechnicianNotFound, shared_errors.Conflict, shared_errors.Unprocessable,
                   errors.UnknownStation])
def update_technician(session, technician_id: PathId, body: TechnicianUpdate, caller: CurrentCaller,
                      clock: CurrentClock) -> TechnicianRead:
    return TechnicianRead.model_validate(technicians.read(technicians.update(
        session, technicians.get(session, technician_id), changes=body.model_dump(exclude_unset=True),
        caller=caller, now=clock.now())))


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


@ops.post("/complaints/{complaint_id}/redispatch", "redispatchAfterComplaint", "Send another technician after a "
          "complaint: a new ticket, complete and dispatched at once", idempotent=True, tags=["complaints"],
          raises=[errors.ComplaintNotFound, errors.InvalidComplaintState, errors.InvalidTicketState,
                  shared_errors.Conflict, errors.UnknownStation, errors.UnknownTechnician, errors.SameTechnician],
          answer=examples.TICKET_FOLLOW_ON)
def redispatch_after_complaint(session, complaint_id: PathId, body: RedispatchIn, caller: CurrentCaller,
                               clock: CurrentClock) -> TicketRead:
    now = clock.now()
    ticket = redispatch.send_another(session, complaints.get(session, complaint_id), station=body.station,
                                     technician_id=body.technician_id, by=caller, now=now)
    return TicketRead.model_validate(views.read(session, calendars.work_calendar(session), ticket, now))


@ops.get("/notifications", "listNotifications", "Messages sent to stations' group chats, oldest first",
         raises=[errors.TicketNotFound], tags=["notifications"])
def list_notifications(
    session, caller: CurrentCaller,
    ticket_id: Annotated[int | None, Query(ge=contract.ID_MIN, le=contract.ID_MAX)] = None,
    site: Annotated[str | None, Query(max_length=contract.SITE_CODE_MAX_LENGTH)] = None,
    status: Annotated[contract.NotificationStatus | None, Query()] = None,
    limit: Limit = 50, after: IdCursor = None,
) -> NotificationPage:
    if ticket_id is not None:
        tickets.get(session, ticket_id, caller)  # another station's ticket: 404 here too
    rows = notifications.list_messages(session, ticket_id=ticket_id, stations=tickets.scope_of(session, caller),
                                       site=site, status=status, after=after, limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda m: m.id)
    return NotificationPage(items=[NotificationRead.model_validate(notifications.read(m)) for m in rows],
                            next_cursor=next_cursor)
