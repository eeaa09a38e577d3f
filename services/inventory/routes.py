"""Inventory HTTP routes: parse, call the use case, shape the answer."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from services.inventory import access, catalog, examples, guarantee, stock, warehouses
from services.inventory.domain import guarantee as guarantee_rules
from services.inventory.domain.catalog import normalise_code
from services.inventory.schemas import (
    AdjustmentCreate,
    BillIn,
    BomLineRead,
    Code,
    GuaranteedModel,
    ModelCreate,
    ModelDetail,
    ModelPage,
    ModelRead,
    ModelUpdate,
    MovementPage,
    MovementRead,
    PartCreate,
    PartPage,
    PartRead,
    PartUpdate,
    ReceiptCreate,
    ShortfallRead,
    StockPage,
    StockRead,
    SupplyGuaranteeRead,
    TransferCreate,
    TransferRead,
    WarehouseCreate,
    WarehousePage,
    WarehouseRead,
)
from shared import openapi, pagination
from shared.contracts import inventory as contract
from shared.deps import CurrentCaller, CurrentClock, Cursor, IdempotencyKey, Limit, PathId, Uow
from shared.idempotency import run_idempotent
from shared.search import Search
from shared.types import MAX_ID, IsoDate

router = APIRouter()
CodeQuery = Annotated[Code | None, Query(description="case-insensitive")]
ReservationId = PathId


def _is_text(value) -> bool:
    return isinstance(value, str)


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID


def _is_stock_key(value) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)


def _after(cursor: str | None, valid) -> object:
    """The decoded cursor, refused unless it has the shape this list gives."""
    after = pagination.decode(cursor)
    if after is not None and not valid(after):
        raise pagination.BadCursor()
    return after


# Parts

def _create_part(session, part_in: PartCreate, *, now, caller) -> PartRead:
    return PartRead.model_validate(catalog.create_part(session, part_in, now=now, caller=caller))


@openapi.operation("createPart", "Register a part", errors={409: "part_exists"}, body=examples.PART_CREATE,
                   answer=examples.PART)
@router.post("/parts", status_code=201, response_model=PartRead, tags=["parts"])
async def create_part(part_in: PartCreate, uow: Uow, clock: CurrentClock, caller: CurrentCaller):
    return await uow.write(_create_part, part_in, now=clock.now(), caller=caller)


def _list_parts(session, *, limit: int, **filters) -> PartPage:
    rows = catalog.list_parts(session, limit=limit, **filters)
    rows, next_cursor = pagination.page(rows, limit, key=lambda p: p.part_number)
    return PartPage(items=[PartRead.model_validate(p) for p in rows], next_cursor=next_cursor)


@openapi.operation("listParts", "Parts, by part number (optionally those that fit a model, or the loaner units "
                   "of a class)")
@router.get("/parts", response_model=PartPage, tags=["parts"])
async def list_parts(
    uow: Uow, model_code: CodeQuery = None, status: Literal["active", "retired"] | None = None,
    loaner_class: Annotated[str | None, Query(max_length=contract.LOANER_CLASS_MAX_LENGTH,
                                              description="exactly this class")] = None,
    q: Search = None, limit: Limit = 50, cursor: Cursor = None,
):
    after = _after(cursor, _is_text)
    return await uow.read(_list_parts, model_code=model_code, status=status, loaner_class=loaner_class,
                          q=q, after=after, limit=limit)


def _get_part(session, part_number: str) -> PartRead:
    return PartRead.model_validate(catalog.get_part(session, part_number))


@openapi.operation("getPart", "A part", errors={404: "part_not_found"}, answer=examples.PART)
@router.get("/parts/{part_number}", response_model=PartRead, tags=["parts"])
async def get_part(part_number: str, uow: Uow):
    return await uow.read(_get_part, normalise_code(part_number))


def _update_part(session, part_number: str, part_in: PartUpdate, **kw) -> PartRead:
    return PartRead.model_validate(catalog.update_part(session, part_number, part_in, **kw))


@openapi.operation("updatePart", "Change a part (prices, minimum stock, retire it)",
                   errors={404: "part_not_found", 409: "part_under_supply_guarantee"}, body=examples.PART_UPDATE,
                   answer=examples.PART)
@router.patch("/parts/{part_number}", response_model=PartRead, tags=["parts"])
async def update_part(part_number: str, part_in: PartUpdate, uow: Uow, clock: CurrentClock, caller: CurrentCaller):
    return await uow.write(_update_part, normalise_code(part_number), part_in, today=clock.today(), now=clock.now(),
                           caller=caller)


# Models and their bills of parts

def model_read(model, cls=ModelRead, **extra):
    return cls(
        model_code=model.model_code, name=model.name, discontinued_on=model.discontinued_on,
        guaranteed_through=guarantee_rules.guaranteed_through(model.discontinued_on),
        loaner_class=model.loaner_class, **extra,
    )


def model_detail(session, model) -> ModelDetail:
    bill = [BomLineRead.model_validate(line) for line in catalog.bill_of(session, model.model_code)]
    return model_read(model, ModelDetail, parts=bill)


def _create_model(session, model_in: ModelCreate, *, now, caller) -> ModelDetail:
    return model_read(catalog.create_model(session, model_in, now=now, caller=caller), ModelDetail, parts=[])


@openapi.operation("createModel", "Register a model", errors={409: "model_exists"}, body=examples.MODEL_CREATE,
                   answer=examples.MODEL)
@router.post("/models", status_code=201, response_model=ModelDetail, tags=["models"])
async def create_model(model_in: ModelCreate, uow: Uow, clock: CurrentClock, caller: CurrentCaller):
    return await uow.write(_create_model, model_in, now=clock.now(), caller=caller)


def _list_models(session, *, after, limit: int, q: str | None) -> ModelPage:
    rows = catalog.list_models(session, after=after, limit=limit, q=q)
    rows, next_cursor = pagination.page(rows, limit, key=lambda m: m.model_code)
    return ModelPage(items=[model_read(m) for m in rows], next_cursor=next_cursor)


@openapi.operation("listModels", "Models, by model code")
@router.get("/models", response_model=ModelPage, tags=["models"])
async def list_models(uow: Uow, q: Search = None, limit: Limit = 50, cursor: Cursor = None):
    return await uow.read(_list_models, after=_after(cursor, _is_text), limit=limit, q=q)


def _get_model(session, model_code: str) -> ModelDetail:
    return model_detail(session, catalog.get_model(session, model_code))


@openapi.operation("getModel", "A model, with its bill of parts", errors={404: "model_not_found"},
                   answer=examples.MODEL)
@router.get("/models/{model_code}", response_model=ModelDetail, tags=["models"])
async def get_model(model_code: str, uow: Uow):
    return await uow.read(_get_model, normalise_code(model_code))


def _update_model(session, model_code: str, model_in: ModelUpdate, *, now, caller) -> ModelDetail:
    return model_detail(session, catalog.update_model(session, model_code, model_in, now=now, caller=caller))


@openapi.operation("updateModel", "Change a model (its name, its discontinuation day)",
                   errors={404: "model_not_found"}, body=examples.MODEL_UPDATE, answer=examples.MODEL)
@router.patch("/models/{model_code}", response_model=ModelDetail, tags=["models"])
async def update_model(model_code: str, model_in: ModelUpdate, uow: Uow, clock: CurrentClock,
                       caller: CurrentCaller):
    return await uow.write(_update_model, normalise_code(model_code), model_in, now=clock.now(), caller=caller)


def _get_bill(session, model_code: str) -> list[BomLineRead]:
    model = catalog.get_model(session, model_code)
    return [BomLineRead.model_validate(line) for line in catalog.bill_of(session, model.model_code)]


@openapi.operation("getModelParts", "The bill of parts of a model", errors={404: "model_not_found"},
                   answer=examples.BILL)
@router.get("/models/{model_code}/parts", response_model=list[BomLineRead], tags=["models"])
async def get_bill(model_code: str, uow: Uow):
    return await uow.read(_get_bill, normalise_code(model_code))


def _replace_bill(session, model_code: str, lines: list[tuple[str, int]], *, now, caller) -> list[BomLineRead]:
    bill = catalog.replace_bill(session, model_code, lines, now=now, caller=caller)
    return [BomLineRead.model_validate(line) for line in bill]


@openapi.operation("replaceModelParts", "Replace the bill of parts of a model",
                   errors={404: ("model_not_found", "part_not_found")}, body=examples.BILL, answer=examples.BILL)
@router.put("/models/{model_code}/parts", response_model=list[BomLineRead], tags=["models"])
async def replace_bill(model_code: str, bill: BillIn, uow: Uow, clock: CurrentClock, caller: CurrentCaller):
    lines = [(line.part_number, line.qty_per_unit) for line in bill]
    return await uow.write(_replace_bill, normalise_code(model_code), lines, now=clock.now(), caller=caller)


# Warehouses

def _create_warehouse(session, warehouse_in: WarehouseCreate, *, now, caller) -> WarehouseRead:
    return WarehouseRead.model_validate(warehouses.create(session, warehouse_in, now=now, caller=caller))


@openapi.operation("createWarehouse", "Register a warehouse", errors={409: "warehouse_exists"},
                   body=examples.WAREHOUSE_CREATE, answer=examples.WAREHOUSE_CREATE)
@router.post("/warehouses", status_code=201, response_model=WarehouseRead, tags=["warehouses"])
async def create_warehouse(warehouse_in: WarehouseCreate, uow: Uow, clock: CurrentClock, caller: CurrentCaller):
    return await uow.write(_create_warehouse, warehouse_in, now=clock.now(), caller=caller)


def _list_warehouses(session, *, kind, after, limit: int, scope, q: str | None) -> WarehousePage:
    rows = warehouses.list_warehouses(session, kind=kind, after=after, limit=limit, scope=scope, q=q)
    rows, next_cursor = pagination.page(rows, limit, key=lambda w: w.code)
    return WarehousePage(items=[WarehouseRead.model_validate(w) for w in rows], next_cursor=next_cursor)


@openapi.operation(
    "listWarehouses", "Warehouses, by code (with `writable=true`, those the caller may change stock at)",
    description="`writable=true` lists only the warehouses where the caller may receive, adjust, reserve "
                "and send stock from: a warehouse person's or key's own warehouses, every warehouse for others.",
)
@router.get("/warehouses", response_model=WarehousePage, tags=["warehouses"])
async def list_warehouses(
    uow: Uow, caller: CurrentCaller, kind: Literal["central", "service_center", "repair_station"] | None = None,
    writable: Annotated[bool, Query(description="only where the caller may write")] = False,
    q: Search = None, limit: Limit = 50, cursor: Cursor = None,
):
    scope = access.scope_of(caller) if writable else None
    return await uow.read(_list_warehouses, kind=kind, after=_after(cursor, _is_text), limit=limit, scope=scope,
                          q=q)


def _get_warehouse(session, code: str) -> WarehouseRead:
    return WarehouseRead.model_validate(warehouses.get(session, code))


@openapi.operation("getWarehouse", "A warehouse", errors={404: "warehouse_not_found"},
                   answer=examples.WAREHOUSE_CREATE)
@router.get("/warehouses/{code}", response_model=WarehouseRead, tags=["warehouses"])
async def get_warehouse(code: str, uow: Uow):
    return await uow.read(_get_warehouse, normalise_code(code))


# Stock and the ledger

def movement_read(movement) -> MovementRead:
    return MovementRead(
        id=movement.id, at=movement.created_at, kind=movement.kind, warehouse=movement.warehouse,
        part_number=movement.part_number, qty=movement.qty, reference=movement.reference,
        reason=movement.reason, reservation_id=movement.reservation_id,
    )


def _list_stock(session, *, limit: int, **filters) -> StockPage:
    rows = stock.list_stock(session, limit=limit, **filters)
    rows, next_cursor = pagination.page(rows, limit, key=lambda s: [s.warehouse, s.part_number])
    items = [StockRead(warehouse=s.warehouse, part_number=s.part_number, on_hand=s.on_hand,
                       reserved=s.reserved, available=s.available) for s in rows]
    return StockPage(items=items, next_cursor=next_cursor)


@openapi.operation("listStock", "Stock rows: on hand, reserved and available per warehouse and part")
@router.get("/stock", response_model=StockPage, tags=["stock"])
async def list_stock(
    uow: Uow, clock: CurrentClock, part_number: CodeQuery = None, warehouse: CodeQuery = None,
    limit: Limit = 50, cursor: Cursor = None,
):
    after = _after(cursor, _is_stock_key)
    return await uow.read(_list_stock, warehouse=warehouse, part_number=part_number, after=after, limit=limit,
                          now=clock.now())


def _list_movements(session, *, limit: int, **filters) -> MovementPage:
    rows = stock.list_movements(session, limit=limit, **filters)
    rows, next_cursor = pagination.page(rows, limit, key=lambda m: m.id)
    return MovementPage(items=[movement_read(m) for m in rows], next_cursor=next_cursor)


@openapi.operation("listMovements", "The stock ledger, oldest first (a warehouse caller's: its warehouses only)")
@router.get("/movements", response_model=MovementPage, tags=["stock"])
async def list_movements(
    uow: Uow, caller: CurrentCaller, part_number: CodeQuery = None, warehouse: CodeQuery = None,
    limit: Limit = 50, cursor: Cursor = None,
):
    after = _after(cursor, _is_id)
    return await uow.read(_list_movements, warehouse=warehouse, part_number=part_number, after=after, limit=limit,
                          scope=access.scope_of(caller))


@openapi.operation("receiveStock", "Goods in at a warehouse",
                   errors={403: "warehouse_forbidden", 404: ("warehouse_not_found", "part_not_found")},
                   body=examples.RECEIPT_CREATE, answer=examples.MOVEMENT)
@router.post("/receipts", status_code=201, response_model=MovementRead, tags=["stock"])
async def receive(receipt: ReceiptCreate, request: Request, caller: CurrentCaller, clock: CurrentClock,
                  key: IdempotencyKey = None):
    def effect(session):
        return movement_read(stock.receive(session, caller=caller, receipt=receipt, now=clock.now()))

    return await run_idempotent(request, key=key, payload=receipt, status=201, effect=effect)


@openapi.operation("transferStock", "Move stock from one warehouse to another",
                   errors={403: "warehouse_forbidden", 404: ("warehouse_not_found", "part_not_found"),
                           409: "insufficient_stock"}, body=examples.TRANSFER_CREATE, answer=examples.TRANSFER)
@router.post("/transfers", status_code=201, response_model=TransferRead, tags=["stock"])
async def transfer(transfer_in: TransferCreate, request: Request, caller: CurrentCaller, clock: CurrentClock,
                   key: IdempotencyKey = None):
    def effect(session):
        out_leg, in_leg = stock.transfer(session, caller=caller, transfer_in=transfer_in, now=clock.now())
        return TransferRead(transfer_out=movement_read(out_leg), transfer_in=movement_read(in_leg))

    return await run_idempotent(request, key=key, payload=transfer_in, status=201, effect=effect)


@openapi.operation("adjustStock", "Correct a count (never below what is reserved)",
                   errors={403: "warehouse_forbidden", 404: ("warehouse_not_found", "part_not_found"),
                           409: "insufficient_stock"}, body=examples.ADJUSTMENT_CREATE, answer=examples.ADJUSTMENT)
@router.post("/adjustments", status_code=201, response_model=MovementRead, tags=["stock"])
async def adjust(adjustment: AdjustmentCreate, request: Request, caller: CurrentCaller, clock: CurrentClock,
                 key: IdempotencyKey = None):
    def effect(session):
        return movement_read(stock.adjust(session, caller=caller, adjustment=adjustment, now=clock.now()))

    return await run_idempotent(request, key=key, payload=adjustment, status=201, effect=effect)


# Supply guarantee

def _supply_guarantee(session, *, on) -> SupplyGuaranteeRead:
    found = guarantee.report(session, on=on)
    return SupplyGuaranteeRead(
        on=found.on,
        models=[GuaranteedModel(model_code=code, guaranteed_through=through) for code, through in found.models],
        shortfalls=[
            ShortfallRead(part_number=s.part_number, min_stock=s.min_stock, on_hand_total=s.on_hand_total,
                          short_by=s.short_by, models=list(s.models))
            for s in found.shortfalls
        ],
    )


@openapi.operation("getSupplyGuarantee", "Guaranteed models and the parts below their minimum, most urgent first",
                   answer=examples.SUPPLY_GUARANTEE)
@router.get("/supply-guarantee", response_model=SupplyGuaranteeRead, tags=["supply guarantee"])
async def supply_guarantee(
    uow: Uow, clock: CurrentClock,
    on: Annotated[IsoDate | None, Query(description="Default: today")] = None,
):
    return await uow.read(_supply_guarantee, on=on or clock.today())
