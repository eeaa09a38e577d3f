"""Wire shapes of the inventory API: strict in, plain out."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, Strict, model_validator

from services.inventory.domain import catalog
from services.inventory.models import MOVEMENT_KINDS, WAREHOUSE_KINDS
from shared import types
from shared.contracts import inventory as contract
from shared.types import IsoDate, Qty, StrictModel


def _code(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    code = catalog.normalise_code(value)
    if not catalog.is_valid_code(code):
        raise ValueError(f"must be {contract.CODE_MIN_LENGTH}-{contract.CODE_MAX_LENGTH} letters, digits or . _ / - "
                         "(starting with a letter or digit)")
    return code


def _refuse_nulls(*names: str):
    # PATCH: a field left out is kept; a field sent as null would blank a required value.
    def check(cls, data: object) -> object:
        if isinstance(data, dict):
            for name in names:
                if name in data and data[name] is None:
                    raise ValueError(f"{name} cannot be null")
        return data

    return model_validator(mode="before")(classmethod(check))


def _loaner_class(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    problem = catalog.loaner_class_problem(value.strip())
    if problem:
        raise ValueError(problem)
    return value.strip()


def _region(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


# PostgreSQL refuses NUL in text, so it is refused here, as a 422 naming the field.
NO_NUL = contract.NO_NUL_PATTERN
Text = Annotated[str, Field(min_length=contract.TEXT_MIN_LENGTH, max_length=contract.TEXT_MAX_LENGTH,
                             pattern=NO_NUL)]
Code = Annotated[str, BeforeValidator(_code)]
LoanerClass = Annotated[str, BeforeValidator(_loaner_class),
                        Field(description="type and capacity band", examples=["split_wall_3.5kW"])]
Price = Annotated[types.Money, Field(le=Decimal(contract.PRICE_MAX))]
MinStock = Annotated[int, Strict(), Field(ge=contract.MIN_STOCK_MIN, le=contract.MIN_STOCK_MAX)]
Uom = Annotated[str, Field(min_length=contract.UOM_MIN_LENGTH, max_length=contract.UOM_MAX_LENGTH, pattern=NO_NUL)]
Region = Annotated[str, BeforeValidator(_region),
                   Field(min_length=contract.REGION_MIN_LENGTH, max_length=contract.REGION_MAX_LENGTH, pattern=NO_NUL)]
Delta = Annotated[int, Strict(), Field(ge=contract.DELTA_MIN, le=contract.DELTA_MAX)]
ConsumedQty = Annotated[int, Strict(), Field(ge=contract.CONSUMED_QTY_MIN, le=contract.CONSUMED_QTY_MAX)]
TtlSeconds = Annotated[int, Strict(), Field(gt=0, le=contract.TTL_SECONDS_MAX)]
PartStatus = contract.PartStatus
# The reservation billing reads is inventory's contract (shared/contracts/inventory.py); named here as well.
ReadModel, ReservationLineRead, ReservationRead = contract.ReadModel, contract.ReservationLineRead, \
    contract.ReservationRead



class PartCreate(StrictModel):
    part_number: Code
    name: Text
    uom: Uom
    list_price: Price
    out_of_warranty_price: Price
    min_stock: MinStock = 0
    status: PartStatus = "active"
    loaner_class: LoanerClass | None = Field(default=None, description="set: the part is a loaner unit of this class")

    @model_validator(mode="after")
    def _prices(self) -> "PartCreate":
        problem = catalog.price_problem(self.list_price, self.out_of_warranty_price)
        if problem:
            raise ValueError(problem)
        return self


class PartUpdate(StrictModel):
    name: Text | None = None
    uom: Uom | None = None
    list_price: Price | None = None
    out_of_warranty_price: Price | None = None
    min_stock: MinStock | None = None
    status: PartStatus | None = None
    loaner_class: LoanerClass | None = Field(default=None, description="null: no longer a loaner unit")

    refuse_nulls = _refuse_nulls("name", "uom", "list_price", "out_of_warranty_price", "min_stock", "status")


class PartRead(ReadModel):
    part_number: str
    name: str
    uom: str
    list_price: types.Money
    out_of_warranty_price: types.Money
    min_stock: int
    status: PartStatus
    loaner_class: str | None = Field(default=None, description="set when the part is a loaner unit of this class")


class PartPage(ReadModel):
    items: list[PartRead]
    next_cursor: str | None


class ModelCreate(StrictModel):
    model_code: Code
    name: Text
    discontinued_on: IsoDate | None = None
    loaner_class: LoanerClass | None = Field(default=None, description="the class a loaner for this model must be of")


class ModelUpdate(StrictModel):
    name: Text | None = None
    discontinued_on: IsoDate | None = None
    loaner_class: LoanerClass | None = None

    refuse_nulls = _refuse_nulls("name")


class BomLineIn(StrictModel):
    part_number: Code
    qty_per_unit: Qty


def _distinct_parts(lines: list) -> list:
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if line.part_number in seen:
            raise ValueError(f"lines.{index}: part {line.part_number} is listed twice")
        seen.add(line.part_number)
    return lines


BillIn = Annotated[list[BomLineIn], Field(max_length=contract.BOM_MAX_LINES), AfterValidator(_distinct_parts)]


class BomLineRead(ReadModel):
    part_number: str
    qty_per_unit: int


class ModelRead(ReadModel):
    model_code: str
    name: str
    discontinued_on: date | None
    guaranteed_through: date | None = Field(description="null while the model is in production")
    loaner_class: str | None = Field(default=None, description="the class a loaner for this model must be of")


class ModelDetail(ModelRead):
    parts: list[BomLineRead]


class ModelPage(ReadModel):
    items: list[ModelRead]
    next_cursor: str | None


class WarehouseCreate(StrictModel):
    code: Code
    name: Text
    kind: Literal[WAREHOUSE_KINDS]
    region: Region


class WarehouseRead(ReadModel):
    code: str
    name: str
    kind: str
    region: str


class WarehousePage(ReadModel):
    items: list[WarehouseRead]
    next_cursor: str | None


class StockRead(ReadModel):
    warehouse: str
    part_number: str
    on_hand: int
    reserved: int
    available: int


class StockPage(ReadModel):
    items: list[StockRead]
    next_cursor: str | None


class ReceiptCreate(StrictModel):
    warehouse: Code
    part_number: Code
    qty: Qty
    reference: Text


class TransferCreate(StrictModel):
    from_warehouse: Code
    to_warehouse: Code
    part_number: Code
    qty: Qty
    reference: Text

    @model_validator(mode="after")
    def _two_places(self) -> "TransferCreate":
        if self.from_warehouse == self.to_warehouse:
            raise ValueError("from_warehouse and to_warehouse must differ")
        return self


class AdjustmentCreate(StrictModel):
    warehouse: Code
    part_number: Code
    delta: Delta
    reason: Text
    reference: Text | None = None

    @model_validator(mode="after")
    def _not_zero(self) -> "AdjustmentCreate":
        if self.delta == 0:
            raise ValueError("delta must not be zero")
        return self


class MovementRead(ReadModel):
    id: int
    at: datetime
    kind: Literal[MOVEMENT_KINDS]
    warehouse: str
    part_number: str
    qty: int = Field(description="signed: + into the warehouse, - out of it")
    reference: str | None
    reason: str | None
    reservation_id: int | None


class TransferRead(ReadModel):
    transfer_out: MovementRead
    transfer_in: MovementRead


class MovementPage(ReadModel):
    items: list[MovementRead]
    next_cursor: str | None


class LineIn(StrictModel):
    part_number: Code
    qty: Qty


class ReservationCreate(StrictModel):
    warehouse: Code
    reference: Text
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=contract.RESERVATION_MAX_LINES),
                     AfterValidator(_distinct_parts)]
    ttl_seconds: TtlSeconds | None = Field(default=None, description="default 259200 (72 hours)")


class ConsumeLineIn(StrictModel):
    part_number: Code
    qty: ConsumedQty


class ConsumeIn(StrictModel):
    lines: Annotated[list[ConsumeLineIn], Field(max_length=contract.RESERVATION_MAX_LINES)] | None = Field(
        default=None, description="what was used; reserved parts left out go back; omit to use everything"
    )




class GuaranteedModel(ReadModel):
    model_code: str
    guaranteed_through: date | None


class ShortfallRead(ReadModel):
    part_number: str
    min_stock: int
    on_hand_total: int
    short_by: int
    models: list[str]


class SupplyGuaranteeRead(ReadModel):
    on: date
    models: list[GuaranteedModel]
    shortfalls: list[ShortfallRead]


class ReservationPage(ReadModel):
    items: list[ReservationRead]
    next_cursor: str | None


class LoanerRead(ReadModel):
    warehouse: str
    warehouse_name: str
    kind: str
    region: str
    same_region: bool = Field(description="the warehouse is in the region asked about")
    part_number: str
    name: str
    available: int


class LoanerPage(ReadModel):
    """Loaner units of a class in stock, nearest first."""

    loaner_class: str
    region: str | None
    items: list[LoanerRead]
