"""Planned visits over HTTP (api.md, the visits rows; domain.md section 8).

As in routes.py: every database touch is one unit of work, and calls to
warranty and billing happen between units, never inside one; the routes that
make none are declared with the operation adapter (shared/operations.py).
"""

from datetime import date
from typing import TYPE_CHECKING, Annotated

import structlog
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from services.servicedesk import clients, errors, visit_planning, visits
from services.servicedesk.models import Ticket
from services.servicedesk.visit_schemas import (
    CancelVisitIn,
    ModelSpecIn,
    ModelSpecRead,
    PlanIn,
    PlanRead,
    VisitPage,
    VisitRead,
    VisitRecordIn,
)
from shared import context, openapi, pagination
from shared import errors as shared_errors
from shared.contracts import servicedesk as contract
from shared.deps import CurrentCaller, CurrentClock, Cursor, IdempotencyKey, Limit, Uow
from shared.idempotency import run_idempotent
from shared.operations import Operations
from shared.types import IsoDate

if TYPE_CHECKING:
    from services.servicedesk import visit_pdf

router = APIRouter()
ops = Operations(router, tags=["visits"])
log = structlog.get_logger("servicedesk.visits")

VisitId = Annotated[int, Path(ge=contract.ID_MIN, le=contract.ID_MAX)]
ModelCode = Annotated[str, Path(min_length=contract.MODEL_CODE_MIN_LENGTH, max_length=contract.MODEL_CODE_MAX_LENGTH)]
EXAMPLE = VisitRead.model_config["json_schema_extra"]["examples"][0]
MODEL_SPEC = {"model_code": "KFR-72LW", "supply_volts": 220, "refrigerant": "R410A", "rated_current_a": 12.5,
              "updated_at": "2026-11-27T02:00:00Z"}


async def _plan_units(request: Request, uow, serials: list[str], *, station: str | None, now) -> PlanRead:
    sources = clients.visit_sources(request.app)
    answer = PlanRead(planned=0, cancelled=0, units=[], problems=[])
    calendars: dict[str, clients.SeasonCalendar | None] = {}
    for serial in serials:
        unit = await sources.unit(serial)
        if unit is None:
            answer.problems.append({"serial_number": serial, "code": "unit_not_found",
                                    "message": f"Warranty has no unit {serial}"})
            continue
        if unit.region not in calendars:
            calendars[unit.region] = await sources.calendar(unit.region)
        calendar = calendars[unit.region]
        if calendar is None:
            answer.problems.append({"serial_number": serial, "code": "region_not_found",
                                    "message": f"No season calendar for region {unit.region}"})
            continue
        done = await uow.write(visit_planning.plan_unit, unit, calendar, station=station, now=now)
        answer.planned += done.planned
        answer.cancelled += done.cancelled
        answer.units.append(serial)
    return answer


async def _plan_contract(request: Request, uow, contract_id: int, answer: PlanRead, *, station: str | None,
                         now) -> None:
    sources = clients.visit_sources(request.app)
    contract = await sources.contract(contract_id)
    if contract is None:
        answer.problems.append({"contract_id": contract_id, "code": "contract_not_found",
                                "message": f"Billing has no contract {contract_id}"})
        return
    calendar = await sources.calendar(contract.region)
    if calendar is None:
        answer.problems.append({"contract_id": contract_id, "code": "region_not_found",
                                "message": f"No season calendar for region {contract.region}"})
        return
    models = {}
    for serial in contract.serial_numbers:
        unit = await sources.unit(serial)
        models[serial] = unit.model_code if unit else None
    done = await uow.write(visit_planning.plan_contract, contract, calendar, models, station=station, now=now)
    answer.planned += done.planned
    answer.cancelled += done.cancelled
    answer.units.extend(s for s in contract.serial_numbers if s not in answer.units)


@openapi.operation("planVisits", "Plan (again) the visits of the units or the contract named",
                   description="Warranty's units get their pre-season and pre-shutdown visits, a contract its "
                               "planned visits (billing's plan) for each of its units. Planning again adds what is "
                               "missing, follows a moved season, and cancels planned visits no longer in the plan.",
                   answer={"planned": 12, "cancelled": 0, "units": ["KFR72-000001"], "problems": []})
@router.post("/visits/plan", response_model=PlanRead, tags=["visits"])
async def plan_visits(body: PlanIn, request: Request, uow: Uow, clock: CurrentClock):
    if not body.serial_numbers and body.contract_id is None:
        raise shared_errors.Unprocessable("Name units (serial_numbers) or a contract (contract_id) to plan for",
                                          errors=[{"field": "serial_numbers", "message": "units or a contract"}])
    station = body.station.strip().upper() if body.station else None
    now = clock.now()
    answer = await _plan_units(request, uow, list(dict.fromkeys(body.serial_numbers or [])), station=station, now=now)
    if body.contract_id is not None:
        await _plan_contract(request, uow, body.contract_id, answer, station=station, now=now)
    return answer


async def _plan_on_first_need(request: Request, uow, serial: str, now) -> None:
    """A unit's visits exist from the first time anyone lists them: planned from warranty's answer then."""
    if await uow.read(visit_planning.planned_before, serial):
        return
    try:
        await _plan_units(request, uow, [serial], station=None, now=now)
    except (shared_errors.UpstreamUnavailable, shared_errors.UpstreamTimeout):
        # Never planned and warranty cannot say: an empty list would claim the unit has no visits.
        raise shared_errors.UpstreamUnavailable(
            f"The visits of {serial} are planned from warranty's record, and warranty does not answer") from None


@openapi.operation("listVisits", "Planned maintenance and inspections, by due day",
                   description="With `serial_number`, a unit whose visits were never planned is planned first, "
                               "from warranty's record. A station person or station-bound key sees its station's "
                               "visits only. `missed`: planned, more than 30 days past due, with no record.")
@router.get("/visits", response_model=VisitPage, tags=["visits"])
async def list_visits(
    request: Request, uow: Uow, caller: CurrentCaller, clock: CurrentClock,
    serial_number: Annotated[str | None, Query(max_length=contract.SERIAL_MAX_LENGTH)] = None,
    station: Annotated[str | None, Query(max_length=contract.STATION_FILTER_MAX_LENGTH)] = None,
    status: Annotated[contract.VisitStatus | None, Query()] = None,
    due_from: Annotated[IsoDate | None, Query()] = None,
    due_to: Annotated[IsoDate | None, Query()] = None,
    limit: Limit = 50, cursor: Cursor = None,
):
    after = pagination.decode_as(cursor, lambda c: isinstance(c, list) and len(c) == 2)
    now = clock.now()
    serial = serial_number.strip().upper() if serial_number else None
    if serial:
        await _plan_on_first_need(request, uow, serial, now)
    items, next_cursor = await uow.read(
        visits.list_visits, caller=caller, serial_number=serial, station=station, status=status, due_from=due_from,
        due_to=due_to, after=after, limit=limit, now=now)
    return VisitPage(items=[VisitRead.model_validate(i) for i in items], next_cursor=next_cursor)


@ops.get("/visits/{visit_id}", "getVisit", "A visit with its checklist (and its record once done)",
         raises=[errors.VisitNotFound], answer=EXAMPLE)
def get_visit(session, visit_id: VisitId, caller: CurrentCaller, clock: CurrentClock) -> VisitRead:
    return VisitRead.model_validate(visits.read_one(session, visit_id, caller, clock.now()))


async def _coverage(request: Request, serial: str, on: date) -> clients.UnitCoverage | None:
    try:
        return await clients.upstreams(request.app).warranty.unit_coverage(serial, on=on)
    except (shared_errors.UpstreamUnavailable, shared_errors.UpstreamTimeout):
        return None  # the ticket is opened anyway; its coverage is filled in later (the outbox)


@openapi.operation("recordVisit", "The visit's record, from the site: it is done",
                   errors={404: "visit_not_found", 409: ("visit_not_planned", "visit_too_early", "conflict"),
                           422: ("checklist_incomplete", "invalid_event_time")},
                   answer=EXAMPLE,
                   description="Every item of the checklist needs a result. Items found `needs_repair` open one "
                               "level-3 ticket for the unit naming them all (`ticket_id`); readings outside the "
                               "model's range are listed in `out_of_range`. The record lands in the unit's history "
                               "at warranty. Recordable from 30 days before the due day to 30 days after it.")
@router.post("/visits/{visit_id}/record", response_model=VisitRead, tags=["visits"])
async def record_visit(visit_id: VisitId, body: VisitRecordIn, request: Request, uow: Uow, caller: CurrentCaller,
                       clock: CurrentClock, key: IdempotencyKey = None):
    found = await uow.read(visits.facts, visit_id, caller)
    checked = visits.check(found, body)
    png = visits.signature(body.customer.signature_png)
    now = clock.now()
    unit = None
    if checked.needs_repair:
        unit = await _coverage(request, found.serial_number, visits.today(now))

    def effect(session) -> VisitRead:
        return VisitRead.model_validate(visits.record(session, visit_id, body=body, checked=checked, png=png,
                                                      unit=unit, caller=caller, now=now))

    # The service desk's one store of answers (main.py), as for tickets and complaints.
    return await run_idempotent(request, key=key, payload=body, status=200, effect=effect)


@ops.post("/visits/{visit_id}/cancel", "cancelVisit", "Cancel a planned visit, with the reason", answer=EXAMPLE,
          raises=[errors.VisitNotFound, errors.VisitNotPlanned, shared_errors.Conflict])
def cancel_visit(session, visit_id: VisitId, body: CancelVisitIn, caller: CurrentCaller,
                 clock: CurrentClock) -> VisitRead:
    return VisitRead.model_validate(visits.cancel(session, visit_id, reason=body.reason, caller=caller,
                                                  now=clock.now()))


def _report_facts(session, visit_id: int, caller: context.Caller):
    visit, entries, png = visits.for_report(session, visit_id, caller)
    ticket = session.get(Ticket, visit["ticket_id"]) if visit.get("ticket_id") else None
    return visit, entries, png, ticket.number if ticket else None


async def _unit_info(request: Request, serial: str) -> "visit_pdf.UnitInfo":
    from services.servicedesk import visit_pdf  # reportlab (4 MB resident) loaded with a process's first report

    try:
        unit = await clients.visit_sources(request.app).unit(serial)
    except (shared_errors.UpstreamUnavailable, shared_errors.UpstreamTimeout) as exc:
        log.warning("unit_lookup_failed", serial_number=serial, error=str(exc))
        return visit_pdf.UnitInfo()
    if unit is None:
        return visit_pdf.UnitInfo()
    place = " ".join(x for x in (unit.site_name, unit.site_address) if x)
    return visit_pdf.UnitInfo(product_name=unit.product_name, site=place or None)


@openapi.operation("getVisitReport", "The visit report to print and sign: A4, Chinese, three copies",
                   errors={404: "visit_not_found", 409: "visit_not_done"},
                   description="用户联, 售后服务中心联 and 维修站联, each with the checklist's results and readings, "
                               "the customer's name and signature. The unit's product and site come from warranty; "
                               "when it does not answer the report still prints without them.")
@router.get("/visits/{visit_id}/report.pdf", tags=["visits"], response_class=Response,
            responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                             "description": "The report as an A4 PDF"}})
async def get_visit_report(visit_id: VisitId, request: Request, uow: Uow, caller: CurrentCaller) -> Response:
    visit, entries, png, ticket_number = await uow.read(_report_facts, visit_id, caller)
    unit = await _unit_info(request, visit["serial_number"])
    from services.servicedesk import visit_pdf

    pdf = await run_in_threadpool(visit_pdf.render, visit, entries, png, unit, ticket_number)  # CPU: off the loop
    done_on = visit["record"]["at"][:10] if visit.get("record") else ""
    name = f"visit-{visit['id']}-{done_on}.pdf"
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'})


@ops.get("/visit-models/{model_code}", "getVisitModel", "A model's figures the checklists' normal ranges come from",
         answer=MODEL_SPEC)
def get_visit_model(session, model_code: ModelCode) -> ModelSpecRead:
    return visits.get_spec(session, model_code)


@ops.put("/visit-models/{model_code}", "putVisitModel", "Set a model's rated supply, refrigerant and rated current",
         answer=MODEL_SPEC)
def put_visit_model(session, model_code: ModelCode, body: ModelSpecIn, clock: CurrentClock) -> ModelSpecRead:
    return visits.put_spec(session, model_code, body, clock.now())

