"""The service desk's HTTP routes: each operation declared once above its use case (shared/operations.py).

Every database touch is one unit of work (shared/uow.py). The routes that call warranty or inventory
(taking a report, filling one in, a loaner) stay hand-written: those calls happen between units, never
inside one.
"""

from datetime import time
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from services.servicedesk import calendars, clients, complaints, errors, examples, steps, tickets, trail, views
from services.servicedesk import commitments as commitment_versions
from services.servicedesk.domain.calendar import TIMEZONE_NAME
from services.servicedesk.domain.commitments import Commitments
from services.servicedesk.schemas import (
    ArriveIn,
    CancelIn,
    ComplaintAction,
    ComplaintCreate,
    ComplaintPage,
    ComplaintRead,
    DispatchIn,
    FollowUpIn,
    LoanerIn,
    PauseIn,
    ResolveIn,
    ResumeIn,
    TicketCreate,
    TicketPage,
    TicketRead,
    TicketUpdate,
)
from services.servicedesk.schemas_settings import CalendarRead, CalendarUpdate, CommitmentsRead, CommitmentsUpdate
from shared import context, openapi, pagination
from shared import errors as shared_errors
from shared.contracts import servicedesk as contract
from shared.deps import CurrentCaller, CurrentClock, IdempotencyKey, Limit, Uow
from shared.idempotency import run_idempotent
from shared.operations import Operations, cursor_of, error_codes

router = APIRouter()
ticket_ops = Operations(router, tags=["tickets"])
complaint_ops = Operations(router, tags=["complaints"])

TicketId = Annotated[int, Path(ge=contract.ID_MIN, le=contract.ID_MAX)]
ComplaintId = Annotated[int, Path(ge=contract.ID_MIN, le=contract.ID_MAX)]
Year = Annotated[int, Path(ge=contract.YEAR_MIN, le=contract.YEAR_MAX)]
LOANER_TTL_SECONDS = 366 * 86_400  # held until the ticket is resolved, however long that takes
# What a step on a ticket can meet besides bad input; `Conflict`: a write that raced another one.
STEP_ERRORS = [errors.TicketNotFound, errors.InvalidTicketState, shared_errors.Conflict, errors.InvalidEventTime]
COMPLAINT_STEP_ERRORS = [errors.ComplaintNotFound, errors.InvalidComplaintState, shared_errors.Conflict,
                         errors.InvalidEventTime]


def _ticket(session, ticket, clock) -> TicketRead:
    return TicketRead.model_validate(views.read(session, calendars.work_calendar(session), ticket, clock.now()))


def _on_ticket(session, step, ticket_id: int, clock, *, by: context.Caller, **kw) -> TicketRead:
    """`step(session, ticket, by=by, now=now, **kw)` on the ticket (one in the caller's scope), answered as read
    just after it."""
    return _ticket(session, step(session, tickets.get(session, ticket_id, by), by=by, now=clock.now(), **kw), clock)


def _reported(session, ticket_id: int, caller: context.Caller) -> tuple:
    ticket = tickets.get(session, ticket_id, caller)
    return ticket.reported_at, ticket.serial_number


def _loaner_due(session, ticket_id: int, now, caller: context.Caller) -> tuple[str, str, str | None, bool | None]:
    """The ticket's loaner status read now, its number, serial and whether the unit is registered."""
    ticket = tickets.get(session, ticket_id, caller)
    status = views.read(session, calendars.work_calendar(session), ticket, now)["loaner"]["status"]
    return status, ticket.number, ticket.serial_number, ticket.unit_known


async def _lookup(request: Request, serial: str, on) -> clients.UnitCoverage | None:
    """The unit and its coverage, or None when warranty does not answer (the report is taken anyway)."""
    try:
        return await clients.upstreams(request.app).warranty.unit_coverage(serial, on=on)
    except (shared_errors.UpstreamUnavailable, shared_errors.UpstreamTimeout):
        return None


@openapi.operation("createTicket", "Take a fault report (a resent report with the same Idempotency-Key is one "
                   "ticket)", errors={409: "conflict", 422: "invalid_event_time"}, answer=examples.TICKET_REPORTED)
@router.post("/tickets", status_code=201, response_model=TicketRead, tags=["tickets"])
async def create_ticket(ticket_in: TicketCreate, request: Request, caller: CurrentCaller, clock: CurrentClock,
                        key: IdempotencyKey = None):
    now = clock.now()
    unit = None
    if ticket_in.serial_number:
        unit = await _lookup(request, ticket_in.serial_number, tickets.report_day(ticket_in.reported_at or now))

    def report(session) -> TicketRead:
        return _ticket(session, tickets.report(session, ticket_in=ticket_in, unit=unit, by=caller, now=now), clock)

    return await run_idempotent(request, key=key, payload=ticket_in, status=201, effect=report)


@ticket_ops.get("/tickets", "listTickets", "Tickets, the most urgent due time first")
def list_tickets(
    session, clock: CurrentClock, caller: CurrentCaller,
    status: Annotated[contract.TicketStatus | None, Query()] = None,
    level: Annotated[int | None, Query(ge=contract.LEVEL_MIN, le=contract.LEVEL_MAX)] = None,
    serial_number: Annotated[str | None, Query(max_length=contract.SERIAL_MAX_LENGTH)] = None,
    state: Annotated[contract.PromiseState | None, Query(description="A promise in this state now")] = None,
    station: Annotated[str | None, Query(max_length=contract.STATION_FILTER_MAX_LENGTH)] = None,
    limit: Limit = 50, after: cursor_of(lambda after: isinstance(after, list)) = None,
) -> TicketPage:
    now = clock.now()
    rows, next_cursor = tickets.list_tickets(
        session, after=after, limit=limit, now=now, scope=tickets.scope_of(session, caller), status=status,
        level=level, station=station, state=state,
        serial_number=serial_number.strip().upper() if serial_number else None)
    items = views.read_many(session, calendars.work_calendar(session), rows, now)
    return TicketPage(items=[TicketRead.model_validate(i) for i in items], next_cursor=next_cursor)


@ticket_ops.get("/tickets/{ticket_id}", "getTicket", "A ticket, its promises' states computed now",
                raises=[errors.TicketNotFound], answer=examples.TICKET)
def get_ticket(session, ticket_id: TicketId, clock: CurrentClock, caller: CurrentCaller) -> TicketRead:
    return _ticket(session, tickets.get(session, ticket_id, caller), clock)


@openapi.operation("updateTicket", "Fill in a report (may complete it)", errors=error_codes(STEP_ERRORS),
                   answer=examples.TICKET)
@router.patch("/tickets/{ticket_id}", response_model=TicketRead, tags=["tickets"])
async def update_ticket(ticket_id: TicketId, ticket_in: TicketUpdate, request: Request, uow: Uow,
                        caller: CurrentCaller, clock: CurrentClock):
    reported_at, serial = await uow.read(_reported, ticket_id, caller)
    changes = ticket_in.model_dump(exclude_unset=True, exclude={"at"})
    looked_up, unit = False, None
    if ticket_in.serial_number and ticket_in.serial_number != serial:
        looked_up, unit = True, await _lookup(request, ticket_in.serial_number, tickets.report_day(reported_at))
    return await uow.write(_on_ticket, tickets.update, ticket_id, clock, changes=changes, unit=unit,
                           unit_looked_up=looked_up, at=ticket_in.at, by=caller)


@ticket_ops.post("/tickets/{ticket_id}/dispatch", "dispatchTicket", "The dispatch decision: an open station and one "
                 "of its active technicians", raises=[*STEP_ERRORS, errors.UnknownStation, errors.UnknownTechnician],
                 answer=examples.TICKET)
def dispatch(session, ticket_id: TicketId, body: DispatchIn, caller: CurrentCaller, clock: CurrentClock) -> TicketRead:
    return _on_ticket(session, steps.dispatch, ticket_id, clock, station=body.station,
                      technician_id=body.technician_id, technician_name=body.technician,
                      caller_told_at=body.caller_told_at, at=body.at, by=caller)


@ticket_ops.post("/tickets/{ticket_id}/arrive", "arriveAtTicket", "The technician is on site", raises=STEP_ERRORS,
                 answer=examples.TICKET)
def arrive(session, ticket_id: TicketId, body: ArriveIn, caller: CurrentCaller, clock: CurrentClock) -> TicketRead:
    return _on_ticket(session, steps.arrive, ticket_id, clock, technician=body.technician, at=body.at, by=caller)


@ticket_ops.post("/tickets/{ticket_id}/pause", "pauseTicket", "The customer stops the clock", raises=STEP_ERRORS,
                 answer=examples.TICKET)
def pause(session, ticket_id: TicketId, body: PauseIn, caller: CurrentCaller, clock: CurrentClock) -> TicketRead:
    return _on_ticket(session, steps.pause, ticket_id, clock, reason=body.reason, at=body.at, by=caller)


@ticket_ops.post("/tickets/{ticket_id}/resume", "resumeTicket", "The clock runs again", raises=STEP_ERRORS,
                 body=examples.RESUME, answer=examples.TICKET)
def resume(session, ticket_id: TicketId, caller: CurrentCaller, clock: CurrentClock,
           body: ResumeIn | None = None) -> TicketRead:
    return _on_ticket(session, steps.resume, ticket_id, clock, at=body.at if body else None, by=caller)


@ticket_ops.post("/tickets/{ticket_id}/resolve", "resolveTicket", "What was done; lands in the unit's history at "
                 "warranty", raises=STEP_ERRORS, answer=examples.TICKET)
def resolve(session, ticket_id: TicketId, body: ResolveIn, caller: CurrentCaller, clock: CurrentClock) -> TicketRead:
    return _on_ticket(
        session, steps.resolve, ticket_id, clock, technician=body.technician, summary=body.summary,
        parts_replaced=[p.model_dump() for p in body.parts_replaced] if body.parts_replaced else None,
        invoice_number=body.invoice_number, way=body.way, at=body.at, by=caller)


async def _unit_class(request: Request, serial: str | None, known: bool | None) -> str | None:
    """The loaner class of the ticket's unit's model (None: no registered unit, or its model has none)."""
    if not serial or known is False:
        return None
    upstreams = clients.upstreams(request.app)
    unit = await upstreams.warranty.unit(serial)
    if unit is None or not unit.get("model_code"):
        return None
    return (await upstreams.inventory.loaner_class("models", unit["model_code"]))[1]


@openapi.operation("reserveLoaner", "Reserve a loaner of the unit's class at inventory when `fixed` is breached, "
                   "or record the emergency measures taken instead",
                   errors={404: "ticket_not_found",
                           409: ("loaner_not_due", "insufficient_stock", "loaner_already_requested",
                                 "invalid_ticket_state", "conflict"),
                           422: ("validation_error", "loaner_class_mismatch")}, answer=examples.TICKET_WITH_LOANER)
@router.post("/tickets/{ticket_id}/loaner", status_code=201, response_model=TicketRead, tags=["tickets"])
async def reserve_loaner(ticket_id: TicketId, body: LoanerIn, request: Request, uow: Uow, caller: CurrentCaller,
                         clock: CurrentClock):
    status, number, serial, known = await uow.read(_loaner_due, ticket_id, clock.now(), caller)
    if status != "due":
        raise errors.LoanerNotDue(f"Ticket {number}'s loaner is {status}")
    if body.emergency_measures is not None:
        return await uow.write(_on_ticket, steps.record_measures, ticket_id, clock, measures=body.emergency_measures,
                               by=caller)
    part_exists, part_class = await clients.upstreams(request.app).inventory.loaner_class("parts", body.part_number)
    if not part_exists:
        raise errors.invalid("part_number", f"no part {body.part_number}")
    unit_class = await _unit_class(request, serial, known)
    if part_class is None or (unit_class is not None and part_class != unit_class):
        raise errors.LoanerClassMismatch(
            f"{body.part_number} is " + (f"a loaner of class {part_class}" if part_class else "not a loaner unit")
            + (f"; the unit's class is {unit_class}" if unit_class else ""))
    # One key per ticket: a retry gets inventory's first reservation back, never a second one.
    reservation = await clients.upstreams(request.app).inventory.reserve(
        warehouse=body.warehouse, part_number=body.part_number, reference=f"{number} loaner",
        ttl_seconds=LOANER_TTL_SECONDS, idempotency_key=f"servicedesk-{number}-loaner")
    return await uow.write(_on_ticket, steps.record_loaner, ticket_id, clock, reservation=reservation,
                           warehouse=body.warehouse, part_number=body.part_number, by=caller)


@ticket_ops.post("/tickets/{ticket_id}/follow-up", "logFollowUpCall", "A follow-up call (回访); a score of 1 or 2 "
                 "opens a complaint", raises=STEP_ERRORS, answer=examples.TICKET)
def follow_up(session, ticket_id: TicketId, body: FollowUpIn, caller: CurrentCaller, clock: CurrentClock) -> TicketRead:
    return _on_ticket(session, steps.follow_up, ticket_id, clock, reached=body.reached,
                      satisfaction=body.satisfaction, notes=body.notes, at=body.at, by=caller)


@ticket_ops.post("/tickets/{ticket_id}/cancel", "cancelTicket", "Cancel a duplicate or withdrawn report",
                 raises=[errors.TicketNotFound, errors.InvalidTicketState, shared_errors.Conflict],
                 answer=examples.TICKET)
def cancel(session, ticket_id: TicketId, body: CancelIn, caller: CurrentCaller, clock: CurrentClock) -> TicketRead:
    return _on_ticket(session, steps.cancel, ticket_id, clock, reason=body.reason, by=caller)


@complaint_ops.post("/complaints", "createComplaint", "Take a complaint (投诉)", idempotent=True,
                    raises=[errors.TicketNotFound, shared_errors.Conflict, errors.InvalidEventTime],
                    answer=examples.COMPLAINT)
def create_complaint(session, body: ComplaintCreate, clock: CurrentClock) -> ComplaintRead:
    now = clock.now()
    complaint = complaints.open_complaint(
        session, now=now, ticket_id=body.ticket_id, serial_number=body.serial_number, caller_name=body.caller.name,
        caller_phone=body.caller.phone, description=body.description, source="caller", made_at=body.made_at)
    return ComplaintRead.model_validate(complaints.read(session, complaint, now))


@complaint_ops.get("/complaints", "listComplaints", "Complaints, oldest first")
def list_complaints(
    session, clock: CurrentClock,
    status: Annotated[contract.ComplaintStatus | None, Query()] = None,
    ticket_id: Annotated[int | None, Query(ge=contract.ID_MIN, le=contract.ID_MAX)] = None,
    limit: Limit = 50, after: cursor_of(lambda after: isinstance(after, int) and not isinstance(after, bool)) = None,
) -> ComplaintPage:
    now = clock.now()
    rows = complaints.list_complaints(session, status=status, ticket_id=ticket_id, after=after, limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda c: c.id)
    return ComplaintPage(items=[complaints.read(session, c, now) for c in rows], next_cursor=next_cursor)


@complaint_ops.get("/complaints/{complaint_id}", "getComplaint", "A complaint and its clocks",
                   raises=[errors.ComplaintNotFound], answer=examples.COMPLAINT)
def get_complaint(session, complaint_id: ComplaintId, clock: CurrentClock) -> ComplaintRead:
    return complaints.read(session, complaints.get(session, complaint_id), clock.now())


def _complaint_step(step):
    """The use case of a step on a complaint (answer it, resolve it): the complaint as read just after it."""

    def on_complaint(session, complaint_id: ComplaintId, body: ComplaintAction, clock: CurrentClock) -> ComplaintRead:
        now = clock.now()
        complaint = step(session, complaints.get(session, complaint_id), now=now, by=body.by, notes=body.notes,
                         at=body.at)
        return complaints.read(session, complaint, now)

    on_complaint.__name__ = on_complaint.__qualname__ = f"{step.__name__}_complaint"
    return on_complaint


for _path, _operation_id, _summary, _answer, _step in (
    ("/complaints/{complaint_id}/answer", "answerComplaint", "Answer a complaint", examples.COMPLAINT_ANSWERED,
     complaints.answer),
    ("/complaints/{complaint_id}/resolve", "resolveComplaint", "Resolve a complaint", examples.COMPLAINT_RESOLVED,
     complaints.resolve),
):
    complaint_ops.post(_path, _operation_id, _summary, raises=COMPLAINT_STEP_ERRORS, answer=_answer)(
        _complaint_step(_step))


commitment_ops = Operations(router, tags=["commitments"])


@commitment_ops.get("/commitments", "getCommitments", "The commitments in force", raises=[errors.NoCommitments],
                    answer=examples.COMMITMENTS)
def get_commitments(session, clock: CurrentClock) -> CommitmentsRead:
    return commitment_versions.read(commitment_versions.in_force(session, at=clock.now()))


@commitment_ops.put("/commitments", "putCommitments", "A new version of the commitments",
                    raises=[shared_errors.Conflict], answer=examples.COMMITMENTS)
def put_commitments(session, body: CommitmentsUpdate, clock: CurrentClock, caller: CurrentCaller) -> CommitmentsRead:
    promised = Commitments.from_json(body.model_dump(exclude={"effective_from"}))
    now = clock.now()
    before = commitment_versions.in_force(session, at=now)
    version = commitment_versions.read(commitment_versions.create(
        session, commitments=promised, effective_from=body.effective_from, now=now))
    trail.record(session, caller, action="update", object_type="commitments", object_id=version["version"],
                 now=now, before=commitment_versions.read(before), after=version)
    return version


calendar_ops = Operations(router, tags=["calendar"])


def _calendar(year: int, schedule, source: str) -> CalendarRead:
    return CalendarRead(year=year, holidays=sorted(schedule.holidays), workdays=sorted(schedule.workdays),
                        provisional=schedule.provisional,
                        hours={"open": schedule.opens.strftime("%H:%M"), "close": schedule.closes.strftime("%H:%M")},
                        timezone=TIMEZONE_NAME, source=source)


@calendar_ops.get("/calendar/{year}", "getCalendarYear", "A year's working calendar", answer=examples.CALENDAR)
def get_calendar(session, year: Year) -> CalendarRead:
    return _calendar(year, *calendars.year_schedule(session, year))


@calendar_ops.put("/calendar/{year}", "putCalendarYear", "Set a year's holidays, working days in lieu and hours",
                  raises=[shared_errors.Conflict], answer=examples.CALENDAR_SET)
def put_calendar(session, year: Year, body: CalendarUpdate, clock: CurrentClock, caller: CurrentCaller) -> CalendarRead:
    now = clock.now()
    before = _calendar(year, *calendars.year_schedule(session, year)).model_dump(mode="json")
    schedule = calendars.put_year(session, year=year, holidays=body.holidays, workdays=body.workdays,
                                  provisional=body.provisional, opens=time.fromisoformat(body.hours.open),
                                  closes=time.fromisoformat(body.hours.close), now=now)
    for ticket in calendars.tickets_to_retime(session, year):
        tickets.refresh(session, ticket, now, unit=False)
    complaints.retime(session, year)
    after = _calendar(year, schedule, "admin")
    trail.record(session, caller, action="update", object_type="calendar", object_id=year, now=now,
                 before=before, after=after.model_dump(mode="json"))
    return after
