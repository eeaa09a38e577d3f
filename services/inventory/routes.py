"""Inventory HTTP routes: each operation declared once above its use case (shared/operations.py)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.inventory import access, catalog, errors, examples, guarantee, stock, warehouses
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
from shared import pagination
from shared.contracts import inventory as contract
from shared.deps import CurrentCaller, CurrentClock, Limit, PathId
from shared.operations import IdCursor, Operations, TextCursor, cursor_of
from shared.search import Search
from shared.types import IsoDate

router = APIRouter()
CodeQuery = Annotated[Code | None, Query(description="case-insensitive")]
ReservationId = PathId
StockCursor = cursor_of(lambda key: isinstance(key, list) and len(key) == 2 and all(isinstance(v, str) for v in key))
# What a stock change can meet besides bad input.
STOCK_ERRORS = [errors.WarehouseForbidden, errors.WarehouseNotFound, errors.PartNotFound]


# Parts

parts = Operations(router, tags=["parts"])


@parts.post("/parts", "createPart", "Register a part", raises=[errors.PartExists], body=examples.PART_CREATE,
            answer=examples.PART, status=201)
def create_part(session, part_in: PartCreate, clock: CurrentClock, caller: CurrentCaller) -> PartRead:
    return PartRead.model_validate(catalog.create_part(session, part_in, now=clock.now(), caller=caller))


@parts.get("/parts", "listParts", "Parts, by part number (optionally those that fit a model, or the loaner units "
           "of a class)")
def list_parts(
    session, model_code: CodeQuery = None, status: Literal["active", "retired"] | None = None,
    loaner_class: Annotated[str | None, Query(max_length=contract.LOANER_CLASS_MAX_LENGTH,
                                              description="exactly this class")] = None,
    q: Search = None, limit: Limit = 50, after: TextCursor = None,
) -> PartPage:
    rows = catalog.list_parts(session, model_code=model_code, status=status, loaner_class=loaner_class, q=q,
                              after=after, limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda p: p.part_number)
    return PartPage(items=[PartRead.model_validate(p) for p in rows], next_cursor=next_cursor)


@parts.get("/parts/{part_number}", "getPart", "A part", raises=[errors.PartNotFound], answer=examples.PART)
def get_part(session, part_number: str) -> PartRead:
    return PartRead.model_validate(catalog.get_part(session, normalise_code(part_number)))


@parts.patch("/parts/{part_number}", "updatePart", "Change a part (prices, minimum stock, retire it)",
             raises=[errors.PartNotFound, errors.PartUnderSupplyGuarantee], body=examples.PART_UPDATE,
             answer=examples.PART)
def update_part(session, part_number: str, part_in: PartUpdate, clock: CurrentClock,
                caller: CurrentCaller) -> PartRead:
    return PartRead.model_validate(catalog.update_part(session, normalise_code(part_number), part_in,
                                                       today=clock.today(), now=clock.now(), caller=caller))


# Models and their bills of parts

models = Operations(router, tags=["models"])


def model_read(model, cls=ModelRead, **extra):
    return cls(
        model_code=model.model_code, name=model.name, discontinued_on=model.discontinued_on,
        guaranteed_through=guarantee_rules.guaranteed_through(model.discontinued_on),
        loaner_class=model.loaner_class, **extra,
    )


def _bill(session, model_code: str) -> list[BomLineRead]:
    return [BomLineRead.model_validate(line) for line in catalog.bill_of(session, model_code)]


def model_detail(session, model) -> ModelDetail:
    return model_read(model, ModelDetail, parts=_bill(session, model.model_code))


@models.post("/models", "createModel", "Register a model", raises=[errors.ModelExists], body=examples.MODEL_CREATE,
             answer=examples.MODEL, status=201)
def create_model(session, model_in: ModelCreate, clock: CurrentClock, caller: CurrentCaller) -> ModelDetail:
    return model_read(catalog.create_model(session, model_in, now=clock.now(), caller=caller), ModelDetail, parts=[])


@models.get("/models", "listModels", "Models, by model code")
def list_models(session, q: Search = None, limit: Limit = 50, after: TextCursor = None) -> ModelPage:
    rows = catalog.list_models(session, after=after, limit=limit, q=q)
    rows, next_cursor = pagination.page(rows, limit, key=lambda m: m.model_code)
    return ModelPage(items=[model_read(m) for m in rows], next_cursor=next_cursor)


@models.get("/models/{model_code}", "getModel", "A model, with its bill of parts", raises=[errors.ModelNotFound],
            answer=examples.MODEL)
def get_model(session, model_code: str) -> ModelDetail:
    return model_detail(session, catalog.get_model(session, normalise_code(model_code)))


@models.patch("/models/{model_code}", "updateModel", "Change a model (its name, its discontinuation day)",
              raises=[errors.ModelNotFound], body=examples.MODEL_UPDATE, answer=examples.MODEL)
def update_model(session, model_code: str, model_in: ModelUpdate, clock: CurrentClock,
                 caller: CurrentCaller) -> ModelDetail:
    model = catalog.update_model(session, normalise_code(model_code), model_in, now=clock.now(), caller=caller)
    return model_detail(session, model)


@models.get("/models/{model_code}/parts", "getModelParts", "The bill of parts of a model",
            raises=[errors.ModelNotFound], answer=examples.BILL)
def get_bill(session, model_code: str) -> list[BomLineRead]:
    return _bill(session, catalog.get_model(session, normalise_code(model_code)).model_code)


@models.put("/models/{model_code}/parts", "replaceModelParts", "Replace the bill of parts of a model",
            raises=[errors.ModelNotFound, errors.PartNotFound], body=examples.BILL, answer=examples.BILL)
def replace_bill(session, model_code: str, bill: BillIn, clock: CurrentClock,
                 caller: CurrentCaller) -> list[BomLineRead]:
    lines = [(line.part_number, line.qty_per_unit) for line in bill]
    saved = catalog.replace_bill(session, normalise_code(model_code), lines, now=clock.now(), caller=caller)
    return [BomLineRead.model_validate(line) for line in saved]


# Warehouses

stores = Operations(router, tags=["warehouses"])


@stores.post("/warehouses", "createWarehouse", "Register a warehouse", raises=[errors.WarehouseExists],
             body=examples.WAREHOUSE_CREATE, answer=examples.WAREHOUSE_CREATE, status=201)
def create_warehouse(session, warehouse_in: WarehouseCreate, clock: CurrentClock,
                     caller: CurrentCaller) -> WarehouseRead:
    return WarehouseRead.model_validate(warehouses.create(session, warehouse_in, now=clock.now(), caller=caller))


@stores.get(
    "/warehouses", "listWarehouses", "Warehouses, by code (with `writable=true`, those the caller may change stock at)",
    description="`writable=true` lists only the warehouses where the caller may receive, adjust, reserve "
                "and send stock from: a warehouse person's or key's own warehouses, every warehouse for others.",
)
def list_warehouses(
    session, caller: CurrentCaller, kind: Literal["central", "service_center", "repair_station"] | None = None,
    writable: Annotated[bool, Query(description="only where the caller may write")] = False,
    q: Search = None, limit: Limit = 50, after: TextCursor = None,
) -> WarehousePage:
    scope = access.scope_of(caller) if writable else None
    rows = warehouses.list_warehouses(session, kind=kind, after=after, limit=limit, scope=scope, q=q)
    rows, next_cursor = pagination.page(rows, limit, key=lambda w: w.code)
    return WarehousePage(items=[WarehouseRead.model_validate(w) for w in rows], next_cursor=next_cursor)


@stores.get("/warehouses/{code}", "getWarehouse", "A warehouse", raises=[errors.WarehouseNotFound],
            answer=examples.WAREHOUSE_CREATE)
def get_warehouse(session, code: str) -> WarehouseRead:
    return WarehouseRead.model_validate(warehouses.get(session, normalise_code(code)))


# Stock and the ledger

ledger = Operations(router, tags=["stock"])


def movement_read(movement) -> MovementRead:
    return MovementRead(
        id=movement.id, at=movement.created_at, kind=movement.kind, warehouse=movement.warehouse,
        part_number=movement.part_number, qty=movement.qty, reference=movement.reference,
        reason=movement.reason, reservation_id=movement.reservation_id,
    )


@ledger.get("/stock", "listStock", "Stock rows: on hand, reserved and available per warehouse and part")
def list_stock(
    session, clock: CurrentClock, part_number: CodeQuery = None, warehouse: CodeQuery = None,
    limit: Limit = 50, after: StockCursor = None,
) -> StockPage:
    rows = stock.list_stock(session, warehouse=warehouse, part_number=part_number, after=after, limit=limit,
                            now=clock.now())
    rows, next_cursor = pagination.page(rows, limit, key=lambda s: [s.warehouse, s.part_number])
    items = [StockRead(warehouse=s.warehouse, part_number=s.part_number, on_hand=s.on_hand,
                       reserved=s.reserved, available=s.available) for s in rows]
    return StockPage(items=items, next_cursor=next_cursor)


@ledger.get("/movements", "listMovements", "The stock ledger, oldest first (a warehouse caller's: its warehouses "
            "only)")
def list_movements(
    session, caller: CurrentCaller, part_number: CodeQuery = None, warehouse: CodeQuery = None,
    limit: Limit = 50, after: IdCursor = None,
) -> MovementPage:
    rows = stock.list_movements(session, warehouse=warehouse, part_number=part_number, after=after, limit=limit,
                                scope=access.scope_of(caller))
    rows, next_cursor = pagination.page(rows, limit, key=lambda m: m.id)
    return MovementPage(items=[movement_read(m) for m in rows], next_cursor=next_cursor)


@ledger.post("/receipts", "receiveStock", "Goods in at a warehouse", raises=STOCK_ERRORS, idempotent=True,
             body=examples.RECEIPT_CREATE, answer=examples.MOVEMENT)
def receive(session, receipt: ReceiptCreate, caller: CurrentCaller, clock: CurrentClock) -> MovementRead:
    return movement_read(stock.receive(session, caller=caller, receipt=receipt, now=clock.now()))


@ledger.post("/transfers", "transferStock", "Move stock from one warehouse to another",
             raises=[*STOCK_ERRORS, errors.InsufficientStock], idempotent=True, body=examples.TRANSFER_CREATE,
             answer=examples.TRANSFER)
def transfer(session, transfer_in: TransferCreate, caller: CurrentCaller, clock: CurrentClock) -> TransferRead:
    out_leg, in_leg = stock.transfer(session, caller=caller, transfer_in=transfer_in, now=clock.now())
    return TransferRead(transfer_out=movement_read(out_leg), transfer_in=movement_read(in_leg))


@ledger.post("/adjustments", "adjustStock", "Correct a count (never below what is reserved)",
             raises=[*STOCK_ERRORS, errors.InsufficientStock], idempotent=True, body=examples.ADJUSTMENT_CREATE,
             answer=examples.ADJUSTMENT)
def adjust(session, adjustment: AdjustmentCreate, caller: CurrentCaller, clock: CurrentClock) -> MovementRead:
    return movement_read(stock.adjust(session, caller=caller, adjustment=adjustment, now=clock.now()))


# Supply guarantee

@Operations(router, tags=["supply guarantee"]).get(
    "/supply-guarantee", "getSupplyGuarantee", "Guaranteed models and the parts below their minimum, most urgent "
    "first", answer=examples.SUPPLY_GUARANTEE)
def supply_guarantee(
    session, clock: CurrentClock, on: Annotated[IsoDate | None, Query(description="Default: today")] = None,
) -> SupplyGuaranteeRead:
    found = guarantee.report(session, on=on or clock.today())
    return SupplyGuaranteeRead(
        on=found.on,
        models=[GuaranteedModel(model_code=code, guaranteed_through=through) for code, through in found.models],
        shortfalls=[
            ShortfallRead(part_number=s.part_number, min_stock=s.min_stock, on_hand_total=s.on_hand_total,
                          short_by=s.short_by, models=list(s.models))
            for s in found.shortfalls
        ],
    )
