"""Warranty HTTP routes: parse, call the use case, shape the answer."""

import hashlib
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from services.warranty import claims, examples, history, importer, policies, trail, units
from services.warranty import errors as warranty_errors
from services.warranty.domain.terms import TermKind, TermRule
from services.warranty.schemas import (
    ClaimCreate,
    ClaimRead,
    Component,
    CoverageItem,
    CoverageRead,
    HistoryItem,
    HistoryPage,
    ImportResult,
    PolicyPage,
    PolicyRead,
    PolicyUpdate,
    RegionList,
    RegionRead,
    RegionUpdate,
    SeasonRead,
    ServiceRecordCreate,
    TermRead,
    UnitCreate,
    UnitRead,
)
from shared import openapi, pagination
from shared.contracts import warranty as warranty_contract
from shared.deps import CurrentCaller, CurrentClock, Cursor, IdempotencyKey, Limit, PathId, Uow
from shared.idempotency import run_idempotent
from shared.search import Search
from shared.types import IsoDate

router = APIRouter()


async def _pinned(request: Request) -> policies.Pinned:
    return request.app.state.pinned


PinnedDep = Annotated[policies.Pinned, Depends(_pinned)]


def _serial(value: str) -> str:
    return value.strip().upper()


def unit_read(unit, terms) -> UnitRead:
    certificate = None
    if unit.certificate_number is not None:
        certificate = {
            "number": unit.certificate_number, "product_name": unit.certificate_product_name,
            "model_code": unit.certificate_model_code, "serial_number": unit.certificate_serial_number,
        }
    return UnitRead(
        serial_number=unit.serial_number, model_code=unit.model_code, product_name=unit.product_name,
        site={"name": unit.site_name, "address": unit.site_address, "region": unit.region},
        project_code=unit.project_code, accepted_on=unit.accepted_on, certificate=certificate,
        policy_version=unit.policy_version, created_at=unit.created_at,
        terms=[TermRead(component=t.component, kind=str(t.kind), length=t.length,
                        covered_from=t.covered_from, covered_through=t.covered_through) for t in terms],
    )


@openapi.operation("registerUnit", "Register a unit",
                   errors={409: "unit_exists", 422: ("accepted_in_future", "unknown_region")},
                   body=examples.UNIT_CREATE, answer=examples.UNIT)
@router.post("/units", status_code=201, response_model=UnitRead, tags=["units"])
async def register_unit(unit_in: UnitCreate, uow: Uow, clock: CurrentClock, pinned: PinnedDep, caller: CurrentCaller):
    return await uow.write(_register, unit_in, today=clock.today(), now=clock.now(), pinned=pinned, caller=caller)


def _register(session, unit_in: UnitCreate, *, today: date, now, pinned: policies.Pinned, caller) -> UnitRead:
    unit = units.register(session, unit_in, today=today, now=now, caller=caller)
    return unit_read(unit, units.terms_of(session, unit, pinned))


@openapi.operation("listUnits", "Units, by serial number (optionally of one project)")
@router.get("/units", tags=["units"])
async def list_units(
    uow: Uow, pinned: PinnedDep, project_code: str | None = None, q: Search = None, limit: Limit = 50,
    cursor: Cursor = None,
) -> dict:
    after = pagination.decode_as(cursor, pagination.is_text)
    return await uow.read(_list_units, project_code=project_code, q=q, after=after, limit=limit, pinned=pinned)


def _list_units(session, *, project_code: str | None, q: str | None, after: str | None, limit: int,
                pinned: policies.Pinned) -> dict:
    rows = units.list_units(session, project_code=project_code, q=q, after=after, limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda u: u.serial_number)
    return {"items": [unit_read(u, units.terms_of(session, u, pinned)).model_dump(mode="json") for u in rows],
            "next_cursor": next_cursor}


@openapi.operation(
    "importUnits", "Register many units from a JSON list or a CSV file", errors={422: "invalid_import"},
    bodies={"application/json": [examples.UNIT_CREATE], "text/csv": examples.IMPORT_CSV}, answer=examples.IMPORT_RESULT,
    description=(
        "Good rows are kept and bad rows reported in `errors` with their row number (the first unit is row 1); "
        "a serial already registered is `skipped`. Only a file that cannot be read as a whole (not a JSON list, "
        "a CSV header with unknown or missing columns, not UTF-8) is refused with 422 `invalid_import`."
    ),
)
@router.post(
    "/units/import", response_model=ImportResult, tags=["units"],
    openapi_extra={"requestBody": {"content": {
        # Looser than UnitCreate on purpose: an item that is not a valid unit is reported, not refused.
        "application/json": {"schema": {"type": "array", "items": {
            "anyOf": [{"$ref": "#/components/schemas/UnitCreate"}, {}],
            "description": "A unit as registerUnit takes it; any other item is reported in `errors`, not refused"}}},
        "text/csv": {"schema": {"type": "string", "description": "A header row, then one unit per row"}},
    }}},
)
async def import_units(request: Request, uow: Uow, clock: CurrentClock, caller: CurrentCaller):
    raw = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "text/csv":
        parse = importer.parse_csv
    elif content_type in ("application/json", ""):
        parse = importer.parse_json
    else:
        raise warranty_errors.InvalidImport(f"Send application/json or text/csv, not {content_type}")
    now = clock.now()
    # One entry per file, with its counts (not one per unit): named by the file's digest, so the same
    # file sent twice is seen as such.
    file_id = "sha256:" + hashlib.sha256(raw).hexdigest()[:16]

    def recorded(session, result: dict) -> None:
        trail.record(session, caller, action="import", object_type="unit_import", object_id=file_id, at=now, after={
            "format": "csv" if parse is importer.parse_csv else "json", "bytes": len(raw),
            "rows": result["created"] + result["skipped"] + len(result["errors"]),
            "created": result["created"], "skipped": result["skipped"], "errors": len(result["errors"]),
        })

    # An explicit unit of work: parse, then every chunk of inserts in one transaction; seconds of CPU
    # for 100 000 rows, so in a worker thread on SQLite too.
    return await uow.call_in_thread(
        importer.run, request.app.state.db, raw, parse, today=clock.today(), now=now, recorded=recorded
    )


@openapi.operation("getUnit", "A unit, with its warranty terms", errors={404: "unit_not_found"}, answer=examples.UNIT)
@router.get("/units/{serial}", response_model=UnitRead, tags=["units"])
async def get_unit(serial: str, uow: Uow, pinned: PinnedDep):
    return await uow.read(_unit, _serial(serial), pinned=pinned)


def _unit(session, serial_number: str, *, pinned: policies.Pinned) -> UnitRead:
    unit = units.find(session, serial_number)
    return unit_read(unit, units.terms_of(session, unit, pinned))


@openapi.operation("getCoverage", "Coverage of a unit on a day", errors={404: "unit_not_found"},
                   answer=examples.COVERAGE)
@router.get("/units/{serial}/coverage", response_model=CoverageRead, tags=["units"])
async def get_coverage(
    serial: str, uow: Uow, clock: CurrentClock, pinned: PinnedDep,
    on: Annotated[IsoDate | None, Query(description="Default: today")] = None,
    component: Component | None = None,
):
    return await uow.read(_coverage, _serial(serial), on=on or clock.today(), component=component, pinned=pinned)


def _coverage(session, serial_number: str, *, on: date, component: str | None, pinned: policies.Pinned) -> CoverageRead:
    unit = units.find(session, serial_number)
    found = units.coverage(session, unit, on=on, component=component, pinned=pinned)
    return CoverageRead(serial_number=unit.serial_number, on=on,
                        components=[CoverageItem.model_validate(c, from_attributes=True) for c in found])


def claim_read(claim) -> ClaimRead:
    return ClaimRead.model_validate(claim, from_attributes=True)


@openapi.operation("createClaim", "Adjudicate a failure (a warranty claim)",
                   errors={404: "unit_not_found", 422: "unknown_cause"}, body=examples.CLAIM_CREATE,
                   answer=examples.CLAIM)
@router.post("/claims", status_code=201, response_model=ClaimRead, tags=["claims"])
async def create_claim(
    claim_in: ClaimCreate, request: Request, clock: CurrentClock, pinned: PinnedDep, caller: CurrentCaller,
    key: IdempotencyKey = None,
):
    def effect(session):
        claim = claims.create(
            session, serial_number=claim_in.serial_number, failed_on=claim_in.failed_on,
            component=claim_in.component, causes=claim_in.causes,
            certificate=claim_in.certificate.model_dump() if claim_in.certificate else None,
            description=claim_in.description, now=clock.now(), pinned=pinned, caller=caller,
        )
        return claim_read(claim)

    return await run_idempotent(request, key=key, payload=claim_in, status=201, effect=effect)


@openapi.operation("getClaim", "A stored claim", errors={404: "claim_not_found"}, answer=examples.CLAIM)
@router.get("/claims/{claim_id}", response_model=ClaimRead, tags=["claims"])
async def get_claim(claim_id: PathId, uow: Uow):
    return await uow.read(_claim, claim_id)


def _claim(session, claim_id: int) -> ClaimRead:
    return claim_read(claims.get(session, claim_id))


def _is_history_key(value) -> bool:
    if not (isinstance(value, list) and len(value) == 2 and pagination.is_id(value[1])):
        return False
    try:
        date.fromisoformat(value[0])
    except (TypeError, ValueError):
        return False
    return True


def history_item(entry) -> HistoryItem:
    return HistoryItem.model_validate(entry, from_attributes=True)


@openapi.operation("getUnitHistory", "The service history of a unit, oldest first", errors={404: "unit_not_found"})
@router.get("/units/{serial}/history", response_model=HistoryPage, tags=["history"])
async def get_history(serial: str, uow: Uow, limit: Limit = 50, cursor: Cursor = None):
    after = pagination.decode_as(cursor, _is_history_key)
    return await uow.read(_history, _serial(serial), after=after, limit=limit)


def _history(session, serial_number: str, *, after, limit: int) -> HistoryPage:
    rows = history.list_history(session, serial_number=serial_number, after=after, limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda e: [e.on.isoformat(), e.id])
    return HistoryPage(items=[history_item(e) for e in rows], next_cursor=next_cursor)


@openapi.operation("addServiceRecord", "Log a repair, inspection or maintenance visit",
                   errors={404: "unit_not_found"}, body=examples.SERVICE_RECORD_CREATE, answer=examples.HISTORY_ITEM)
@router.post("/units/{serial}/service-records", status_code=201, response_model=HistoryItem, tags=["history"])
async def add_service_record(serial: str, record_in: ServiceRecordCreate, request: Request, clock: CurrentClock,
                             caller: CurrentCaller, key: IdempotencyKey = None):
    # The service desk's outbox retries with one key per resolution: the entry is written once.
    def effect(session):
        entry = history.add_service_record(
            session, serial_number=_serial(serial), kind=record_in.kind, performed_on=record_in.performed_on,
            technician=record_in.technician, notes=record_in.notes,
            parts_replaced=[p.model_dump() for p in record_in.parts_replaced] if record_in.parts_replaced else None,
            now=clock.now(), caller=caller,
        )
        return history_item(entry)

    return await run_idempotent(request, key=key, payload=record_in, status=201, effect=effect)


@openapi.operation("getPolicy", "The warranty policy in force on a day", answer=examples.POLICY)
@router.get("/policy", response_model=PolicyRead, tags=["policy"])
async def get_policy(uow: Uow, clock: CurrentClock, on: Annotated[IsoDate | None, Query()] = None):
    return await uow.read(_policy, on or clock.today())


def _policy(session, on: date) -> PolicyRead:
    return PolicyRead.model_validate(policies.policy_in_force(session, on), from_attributes=True)


@openapi.operation("listPolicyVersions", "Every version of the warranty policy")
@router.get("/policy/versions", response_model=PolicyPage, tags=["policy"])
async def list_policy_versions(uow: Uow, limit: Limit = 50, cursor: Cursor = None):
    return await uow.read(_policy_versions, after=pagination.decode_as(cursor, pagination.is_id), limit=limit)


def _policy_versions(session, *, after: int | None, limit: int) -> PolicyPage:
    rows = policies.list_policies(session, after=after, limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda p: p.version)
    return PolicyPage(items=[PolicyRead.model_validate(p, from_attributes=True) for p in rows],
                      next_cursor=next_cursor)


@openapi.operation(
    "putPolicy", "Make a new version of the warranty policy",
    errors={422: ("below_legal_minimum", "invalid_policy", "effective_from_in_past")},
    body=examples.POLICY_UPDATE, answer=examples.POLICY,
)
@router.put("/policy", response_model=PolicyRead, tags=["policy"])
async def put_policy(policy_in: PolicyUpdate, uow: Uow, clock: CurrentClock, caller: CurrentCaller):
    rules = [TermRule(t.component, TermKind(t.kind), t.length) for t in policy_in.terms]
    return await uow.write(_put_policy, rules, effective_from=policy_in.effective_from, today=clock.today(),
                           now=clock.now(), caller=caller)


def _put_policy(session, rules: list[TermRule], **kw) -> PolicyRead:
    return PolicyRead.model_validate(policies.create_policy(session, rules=rules, **kw), from_attributes=True)


def region_read(row, moved: int | None = None) -> RegionRead:
    return RegionRead(
        region=row.region, version=row.version, effective_from=row.effective_from,
        heating=SeasonRead(start=row.heating_start, end=row.heating_end),
        cooling=SeasonRead(start=row.cooling_start, end=row.cooling_end), units_moved=moved,
    )


@openapi.operation("listRegions", "The season calendar of every region")
@router.get("/regions", response_model=RegionList, tags=["regions"])
async def list_regions(uow: Uow):
    return await uow.read(_regions)


def _regions(session) -> RegionList:
    return RegionList(items=[region_read(r) for r in policies.list_calendars(session)])


@openapi.operation("getRegion", "The season calendar of a region", errors={404: "region_not_found"},
                   answer=examples.REGION)
@router.get("/regions/{region}", response_model=RegionRead, response_model_exclude_none=True, tags=["regions"])
async def get_region(region: str, uow: Uow):
    return await uow.read(_region, region.strip().lower())


def _region(session, region: str) -> RegionRead:
    return region_read(policies.latest_calendar(session, region))


@openapi.operation("putRegion", "Set the season calendar of a region",
                   errors={422: ("invalid_season", "effective_from_in_past")}, body=examples.REGION_UPDATE,
                   answer=examples.REGION)
@router.put("/regions/{region}", response_model=RegionRead, tags=["regions"])
async def put_region(region: str, region_in: RegionUpdate, uow: Uow, clock: CurrentClock, caller: CurrentCaller):
    name = region.strip().lower()
    plain = name.replace("_", "").replace("-", "")
    if not name or len(name) > warranty_contract.REGION_MAX_LENGTH or not plain.isalnum():
        raise warranty_errors.InvalidSeason("A region name is letters, digits, '-' and '_'",
                                            errors=[{"field": "region", "message": "invalid region name"}])
    return await uow.write(
        _put_region, region=name,
        heating=policies.parse_season(region_in.heating.start, region_in.heating.end, "heating"),
        cooling=policies.parse_season(region_in.cooling.start, region_in.cooling.end, "cooling"),
        effective_from=region_in.effective_from, apply_to_existing_units=region_in.apply_to_existing_units,
        today=clock.today(), now=clock.now(), caller=caller,
    )


def _put_region(session, **kw) -> RegionRead:
    row, moved = policies.put_calendar(session, **kw)
    return region_read(row, moved)

