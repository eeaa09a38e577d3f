"""Warranty HTTP routes: each operation declared once above its use case (shared/operations.py)."""

import hashlib
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from services.warranty import claims, errors, examples, history, importer, policies, trail, units
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
    SiteRead,
    TermRead,
    UnitCreate,
    UnitRead,
)
from shared import openapi, pagination
from shared.contracts import warranty as warranty_contract
from shared.deps import CurrentCaller, CurrentClock, Limit, PathId, Uow
from shared.operations import IdCursor, Operations, TextCursor, cursor_of
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
        site=site_read(unit),
        project_code=unit.project_code, accepted_on=unit.accepted_on, certificate=certificate,
        policy_version=unit.policy_version, created_at=unit.created_at,
        terms=[TermRead(component=t.component, kind=str(t.kind), length=t.length,
                        covered_from=t.covered_from, covered_through=t.covered_through) for t in terms],
    )


units_ops = Operations(router, tags=["units"])


@units_ops.post("/units", "registerUnit", "Register a unit", status=201,
                raises=[errors.UnitExists, errors.AcceptedInFuture, errors.UnknownRegion],
                body=examples.UNIT_CREATE, answer=examples.UNIT)
def register_unit(session, unit_in: UnitCreate, clock: CurrentClock, pinned: PinnedDep,
                  caller: CurrentCaller) -> UnitRead:
    unit = units.register(session, unit_in, today=clock.today(), now=clock.now(), caller=caller)
    return unit_read(unit, units.terms_of(session, unit, pinned))


@units_ops.get("/units", "listUnits", "Units, by serial number (optionally of one project)")
def list_units(
    session, pinned: PinnedDep, project_code: str | None = None, q: Search = None, limit: Limit = 50,
    after: TextCursor = None,
) -> dict:
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
        raise errors.InvalidImport(f"Send application/json or text/csv, not {content_type}")
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


@units_ops.get("/units/{serial}", "getUnit", "A unit, with its warranty terms", raises=[errors.UnitNotFound],
               answer=examples.UNIT, hot=True)
def get_unit(session, serial: str, pinned: PinnedDep) -> UnitRead:
    unit = units.find(session, _serial(serial))
    return unit_read(unit, units.terms_of(session, unit, pinned))


# The hot reads (a technician's scan; the unit and its terms, which billing reads for every bill): served in
# front of FastAPI's routing, on a Core connection (`session` is then a Connection: units.find and the pinned
# terms run Core statements only).
@units_ops.get("/units/{serial}/coverage", "getCoverage", "Coverage of a unit on a day",
               raises=[errors.UnitNotFound], answer=examples.COVERAGE, hot=True)
def get_coverage(
    session, serial: str, clock: CurrentClock, pinned: PinnedDep,
    on: Annotated[IsoDate | None, Query(description="Default: today")] = None,
    component: Component | None = None,
) -> CoverageRead:
    unit = units.find(session, _serial(serial))
    on = on or clock.today()
    found = units.coverage(session, unit, on=on, component=component, pinned=pinned)
    return CoverageRead(serial_number=unit.serial_number, on=on,
                        components=[CoverageItem.model_validate(c, from_attributes=True) for c in found])


def site_read(unit) -> SiteRead:
    """The site of a unit (a row or a Unit), as a unit's and a claim's answers name it."""
    return SiteRead(name=unit.site_name, address=unit.site_address, region=unit.region)


def claim_read(claim, unit) -> ClaimRead:
    """`unit`: the claim's unit (a row or a Unit), whose site the answer names."""
    read = ClaimRead.model_validate(claim, from_attributes=True)
    read.site = site_read(unit)
    return read


claims_ops = Operations(router, tags=["claims"])


@claims_ops.post("/claims", "createClaim", "Adjudicate a failure (a warranty claim)", idempotent=True,
                 raises=[errors.UnitNotFound, errors.UnknownCause], body=examples.CLAIM_CREATE, answer=examples.CLAIM,
                 hot=True)
def create_claim(session, claim_in: ClaimCreate, clock: CurrentClock, pinned: PinnedDep,
                 caller: CurrentCaller) -> ClaimRead:
    claim, unit = claims.create(
        session, serial_number=claim_in.serial_number, failed_on=claim_in.failed_on,
        component=claim_in.component, causes=claim_in.causes,
        certificate=claim_in.certificate.model_dump() if claim_in.certificate else None,
        description=claim_in.description, now=clock.now(), pinned=pinned, caller=caller,
    )
    return claim_read(claim, unit)


@claims_ops.get("/claims/{claim_id}", "getClaim", "A stored claim", raises=[errors.ClaimNotFound],
                answer=examples.CLAIM)
def get_claim(session, claim_id: PathId) -> ClaimRead:
    claim = claims.get(session, claim_id)
    return claim_read(claim, units.find(session, claim.serial_number))


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


history_ops = Operations(router, tags=["history"])


@history_ops.get("/units/{serial}/history", "getUnitHistory", "The service history of a unit, oldest first",
                 raises=[errors.UnitNotFound])
def get_history(session, serial: str, limit: Limit = 50, after: cursor_of(_is_history_key) = None) -> HistoryPage:
    rows = history.list_history(session, serial_number=_serial(serial), after=after, limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda e: [e.on.isoformat(), e.id])
    return HistoryPage(items=[history_item(e) for e in rows], next_cursor=next_cursor)


@history_ops.post("/units/{serial}/service-records", "addServiceRecord",
                  "Log a repair, inspection or maintenance visit", idempotent=True, raises=[errors.UnitNotFound],
                  body=examples.SERVICE_RECORD_CREATE, answer=examples.HISTORY_ITEM)
def add_service_record(session, serial: str, record_in: ServiceRecordCreate, clock: CurrentClock,
                       caller: CurrentCaller) -> HistoryItem:
    # The service desk's outbox retries with one key per resolution: the entry is written once.
    entry = history.add_service_record(
        session, serial_number=_serial(serial), kind=record_in.kind, performed_on=record_in.performed_on,
        technician=record_in.technician, notes=record_in.notes,
        parts_replaced=[p.model_dump() for p in record_in.parts_replaced] if record_in.parts_replaced else None,
        now=clock.now(), caller=caller,
    )
    return history_item(entry)


policy_ops = Operations(router, tags=["policy"])


@policy_ops.get("/policy", "getPolicy", "The warranty policy in force on a day", answer=examples.POLICY)
def get_policy(session, clock: CurrentClock, on: Annotated[IsoDate | None, Query()] = None) -> PolicyRead:
    return PolicyRead.model_validate(policies.policy_in_force(session, on or clock.today()), from_attributes=True)


@policy_ops.get("/policy/versions", "listPolicyVersions", "Every version of the warranty policy")
def list_policy_versions(session, limit: Limit = 50, after: IdCursor = None) -> PolicyPage:
    rows = policies.list_policies(session, after=after, limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda p: p.version)
    return PolicyPage(items=[PolicyRead.model_validate(p, from_attributes=True) for p in rows],
                      next_cursor=next_cursor)


@policy_ops.put("/policy", "putPolicy", "Make a new version of the warranty policy",
                raises=[errors.BelowLegalMinimum, errors.InvalidPolicy, errors.EffectiveInPast],
                body=examples.POLICY_UPDATE, answer=examples.POLICY)
def put_policy(session, policy_in: PolicyUpdate, clock: CurrentClock, caller: CurrentCaller) -> PolicyRead:
    rules = [TermRule(t.component, TermKind(t.kind), t.length) for t in policy_in.terms]
    policy = policies.create_policy(session, rules=rules, effective_from=policy_in.effective_from,
                                    today=clock.today(), now=clock.now(), caller=caller)
    return PolicyRead.model_validate(policy, from_attributes=True)


def region_read(row, moved: int | None = None) -> RegionRead:
    return RegionRead(
        region=row.region, version=row.version, effective_from=row.effective_from,
        heating=SeasonRead(start=row.heating_start, end=row.heating_end),
        cooling=SeasonRead(start=row.cooling_start, end=row.cooling_end), units_moved=moved,
    )


regions_ops = Operations(router, tags=["regions"])


@regions_ops.get("/regions", "listRegions", "The season calendar of every region")
def list_regions(session) -> RegionList:
    return RegionList(items=[region_read(r) for r in policies.list_calendars(session)])


# Its answer leaves out `units_moved`, which only a change of the calendar reports.
@regions_ops.get("/regions/{region}", "getRegion", "The season calendar of a region",
                 raises=[errors.RegionNotFound], answer=examples.REGION, exclude_none=True)
def get_region(session, region: str) -> RegionRead:
    return region_read(policies.latest_calendar(session, region.strip().lower()))


@regions_ops.put("/regions/{region}", "putRegion", "Set the season calendar of a region",
                 raises=[errors.InvalidSeason, errors.EffectiveInPast], body=examples.REGION_UPDATE,
                 answer=examples.REGION)
def put_region(session, region: str, region_in: RegionUpdate, clock: CurrentClock,
               caller: CurrentCaller) -> RegionRead:
    name = region.strip().lower()
    plain = name.replace("_", "").replace("-", "")
    if not name or len(name) > warranty_contract.REGION_MAX_LENGTH or not plain.isalnum():
        raise errors.InvalidSeason("A region name is letters, digits, '-' and '_'",
                                   errors=[{"field": "region", "message": "invalid region name"}])
    row, moved = policies.put_calendar(
        session, region=name,
        heating=policies.parse_season(region_in.heating.start, region_in.heating.end, "heating"),
        cooling=policies.parse_season(region_in.cooling.start, region_in.cooling.end, "cooling"),
        effective_from=region_in.effective_from, apply_to_existing_units=region_in.apply_to_existing_units,
        today=clock.today(), now=clock.now(), caller=caller,
    )
    return region_read(row, moved)
