"""Warranty HTTP routes: parse, call the use case, shape the answer."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from services.warranty import claims, history, importer, policies, units
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
from shared import dbwait, pagination
from shared.deps import CurrentClock, Cursor, DbSession, IdempotencyKey, Limit
from shared.idempotency import run_idempotent
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


@router.post("/units", status_code=201, response_model=UnitRead, tags=["units"])
async def register_unit(unit_in: UnitCreate, session: DbSession, clock: CurrentClock, pinned: PinnedDep):
    unit = units.register(session, unit_in, today=clock.today(), now=clock.now())
    return unit_read(unit, units.terms_of(session, unit, pinned))


@router.get("/units", tags=["units"])
async def list_units(
    session: DbSession, pinned: PinnedDep, project_code: str | None = None, limit: Limit = 50,
    cursor: Cursor = None,
) -> dict:
    rows = units.list_units(session, project_code=project_code, after=pagination.decode(cursor), limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda u: u.serial_number)
    return {"items": [unit_read(u, units.terms_of(session, u, pinned)).model_dump(mode="json") for u in rows],
            "next_cursor": next_cursor}


@router.post(
    "/units/import", response_model=ImportResult, tags=["units"],
    openapi_extra={"requestBody": {"content": {
        "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/UnitCreate"}}},
        "text/csv": {"schema": {"type": "string"}},
    }}},
)
async def import_units(request: Request, clock: CurrentClock):
    raw = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "text/csv":
        parse = importer.parse_csv
    elif content_type in ("application/json", ""):
        parse = importer.parse_json
    else:
        raise warranty_errors.InvalidImport(f"Send application/json or text/csv, not {content_type}")

    def work():
        bodies = parse(raw)
        with request.app.state.db.transaction() as session:
            return importer.import_units(session, bodies, today=clock.today(), now=clock.now())

    # Thousands of rows: off the event loop, so other requests keep being served.
    return await run_in_threadpool(work)


@router.get("/units/{serial}", response_model=UnitRead, tags=["units"])
async def get_unit(serial: str, session: DbSession, pinned: PinnedDep):
    unit = units.find(session, _serial(serial))
    return unit_read(unit, units.terms_of(session, unit, pinned))


@router.get("/units/{serial}/coverage", response_model=CoverageRead, tags=["units"])
async def get_coverage(
    serial: str, request: Request, clock: CurrentClock, pinned: PinnedDep,
    on: Annotated[IsoDate | None, Query(description="Default: today")] = None,
    component: Component | None = None,
):
    day = on or clock.today()

    def read(session):
        unit = units.find(session, _serial(serial))
        found = units.coverage(session, unit, on=day, component=component, pinned=pinned)
        return CoverageRead(serial_number=unit.serial_number, on=day,
                            components=[CoverageItem.model_validate(c, from_attributes=True) for c in found])

    # How the wait on the database is spent is one knob for the benchmark (shared/dbwait.py).
    return await dbwait.run(request, read, write=False)


def claim_read(claim) -> ClaimRead:
    return ClaimRead.model_validate(claim, from_attributes=True)


@router.post("/claims", status_code=201, response_model=ClaimRead, tags=["claims"])
async def create_claim(
    claim_in: ClaimCreate, request: Request, clock: CurrentClock, pinned: PinnedDep, key: IdempotencyKey = None
):
    def effect(session):
        claim = claims.create(
            session, serial_number=claim_in.serial_number, failed_on=claim_in.failed_on,
            component=claim_in.component, causes=claim_in.causes,
            certificate=claim_in.certificate.model_dump() if claim_in.certificate else None,
            description=claim_in.description, now=clock.now(), pinned=pinned,
        )
        return claim_read(claim)

    return run_idempotent(request, key=key, payload=claim_in, status=201, effect=effect)


@router.get("/claims/{claim_id}", response_model=ClaimRead, tags=["claims"])
async def get_claim(claim_id: int, session: DbSession):
    return claim_read(claims.get(session, claim_id))


def history_item(entry) -> HistoryItem:
    return HistoryItem.model_validate(entry, from_attributes=True)


@router.get("/units/{serial}/history", response_model=HistoryPage, tags=["history"])
async def get_history(serial: str, session: DbSession, limit: Limit = 50, cursor: Cursor = None):
    after = pagination.decode(cursor)
    rows = history.list_history(session, serial_number=_serial(serial), after=after, limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda e: [e.on.isoformat(), e.id])
    return HistoryPage(items=[history_item(e) for e in rows], next_cursor=next_cursor)


@router.post("/units/{serial}/service-records", status_code=201, response_model=HistoryItem, tags=["history"])
async def add_service_record(serial: str, record_in: ServiceRecordCreate, session: DbSession, clock: CurrentClock):
    entry = history.add_service_record(
        session, serial_number=_serial(serial), kind=record_in.kind, performed_on=record_in.performed_on,
        technician=record_in.technician, notes=record_in.notes,
        parts_replaced=[p.model_dump() for p in record_in.parts_replaced] if record_in.parts_replaced else None,
        now=clock.now(),
    )
    return history_item(entry)


@router.get("/policy", response_model=PolicyRead, tags=["policy"])
async def get_policy(session: DbSession, clock: CurrentClock, on: Annotated[IsoDate | None, Query()] = None):
    return PolicyRead.model_validate(policies.policy_in_force(session, on or clock.today()), from_attributes=True)


@router.get("/policy/versions", response_model=PolicyPage, tags=["policy"])
async def list_policy_versions(session: DbSession, limit: Limit = 50, cursor: Cursor = None):
    rows = policies.list_policies(session, after=pagination.decode(cursor), limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda p: p.version)
    return PolicyPage(items=[PolicyRead.model_validate(p, from_attributes=True) for p in rows],
                      next_cursor=next_cursor)


@router.put("/policy", response_model=PolicyRead, tags=["policy"])
async def put_policy(policy_in: PolicyUpdate, session: DbSession, clock: CurrentClock):
    rules = [TermRule(t.component, TermKind(t.kind), t.length) for t in policy_in.terms]
    policy = policies.create_policy(
        session, rules=rules, effective_from=policy_in.effective_from, today=clock.today(), now=clock.now()
    )
    return PolicyRead.model_validate(policy, from_attributes=True)


def region_read(row, moved: int | None = None) -> RegionRead:
    return RegionRead(
        region=row.region, version=row.version, effective_from=row.effective_from,
        heating=SeasonRead(start=row.heating_start, end=row.heating_end),
        cooling=SeasonRead(start=row.cooling_start, end=row.cooling_end), units_moved=moved,
    )


@router.get("/regions", response_model=RegionList, tags=["regions"])
async def list_regions(session: DbSession):
    return RegionList(items=[region_read(r) for r in policies.list_calendars(session)])


@router.get("/regions/{region}", response_model=RegionRead, response_model_exclude_none=True, tags=["regions"])
async def get_region(region: str, session: DbSession):
    return region_read(policies.latest_calendar(session, region.strip().lower()))


@router.put("/regions/{region}", response_model=RegionRead, tags=["regions"])
async def put_region(region: str, region_in: RegionUpdate, session: DbSession, clock: CurrentClock):
    name = region.strip().lower()
    if not name or len(name) > 40 or not name.replace("_", "").replace("-", "").isalnum():
        raise warranty_errors.InvalidSeason("A region name is letters, digits, '-' and '_'",
                                            errors=[{"field": "region", "message": "invalid region name"}])
    row, moved = policies.put_calendar(
        session, region=name,
        heating=policies.parse_season(region_in.heating.start, region_in.heating.end, "heating"),
        cooling=policies.parse_season(region_in.cooling.start, region_in.cooling.end, "cooling"),
        effective_from=region_in.effective_from, apply_to_existing_units=region_in.apply_to_existing_units,
        today=clock.today(), now=clock.now(),
    )
    return region_read(row, moved)

