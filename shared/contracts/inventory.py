"""Inventory's contract (api.md "Inventory"): every wire limit and enum, declared once.

services/inventory's schemas, models and catalogue rules build from these values; the web app's warehouse
and catalogue pages read them (the Jinja global `inventory_contract`, the form handlers) so that no page
restates a limit. Changing a value here changes the API (its OpenAPI document) and every form with it.
The answer billing reads (a reservation, as read and as consumed) is here too, as its wire model.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.contracts import values
from shared.contracts.common import PAGE_SIZE_MAX, QTY_MAX, QTY_MIN, TEXT_MAX_LENGTH, TEXT_MIN_LENGTH
from shared.types import Money

__all__ = [  # what comes from common, re-published as inventory's own
    "PAGE_SIZE_MAX", "QTY_MAX", "QTY_MIN", "TEXT_MAX_LENGTH", "TEXT_MIN_LENGTH",
]

# PostgreSQL refuses NUL in text: every free text of inventory's wire says so in its pattern.
NO_NUL_PATTERN = r"^[^\x00]*$"

# A part number, a model code, a warehouse code: trimmed, upper-cased, then this (1 to 40 characters).
CODE_MIN_LENGTH, CODE_MAX_LENGTH = 1, 40
CODE_PATTERN = rf"^[A-Z0-9][A-Z0-9._/-]{{0,{CODE_MAX_LENGTH - 1}}}$"

# A loaner class: the type, '_', the capacity in kW (split_wall_3.5kW).
LOANER_CLASS_PATTERN = r"^[a-z][a-z0-9_]{0,40}_\d{1,3}(\.\d{1,2})?kW$"
LOANER_CLASS_MAX_LENGTH = 60  # as typed in `GET /loaners?class=`; once trimmed, LOANER_CLASS_PATTERN

# ---- the catalogue --------------------------------------------------------------------------------------

PRICE_MAX = "9999999999.99"  # a part's price, yuan (a decimal string on the wire)
# A price as the console types it ("1280.00"): shared.types.Money's 12 digits, a point and 2 decimals, and a slip.
PRICE_MAX_CHARS = 16
MIN_STOCK_MIN, MIN_STOCK_MAX = 0, 1_000_000_000
UOM_MIN_LENGTH, UOM_MAX_LENGTH = 1, 16
BOM_MAX_LINES = 1000
PartStatus = Literal["active", "retired"]
PART_STATUSES = values(PartStatus)

# ---- warehouses ------------------------------------------------------------------------------------------

WarehouseKind = Literal["central", "service_center", "repair_station"]
WAREHOUSE_KINDS = values(WarehouseKind)
REGION_MIN_LENGTH, REGION_MAX_LENGTH = 1, 64

# ---- stock movements and reservations --------------------------------------------------------------------

REFERENCE_MIN_LENGTH, REFERENCE_MAX_LENGTH = TEXT_MIN_LENGTH, TEXT_MAX_LENGTH  # a receipt's, a reservation's
DELTA_MIN, DELTA_MAX = -QTY_MAX, QTY_MAX  # an adjustment, never zero
CONSUMED_QTY_MIN, CONSUMED_QTY_MAX = 0, QTY_MAX  # a reserved line used: none of it, up to all
RESERVATION_MAX_LINES = 200
TTL_SECONDS_MAX = 366 * 86_400  # a reservation's life, more than 0 seconds
MovementKind = Literal["receipt", "issue", "transfer_out", "transfer_in", "adjustment"]
MOVEMENT_KINDS = values(MovementKind)
ReservationStatus = Literal["active", "consumed", "released", "expired"]
RESERVATION_STATUSES = values(ReservationStatus)


# ---- the wire models other services read -----------------------------------------------------------------


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ReservationLineRead(ReadModel):
    part_number: str
    name: str
    uom: str
    qty: int
    consumed_qty: int
    list_price: Money
    out_of_warranty_price: Money


class ReservationRead(ReadModel):
    id: int
    warehouse: str
    reference: str
    status: ReservationStatus
    created_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    lines: list[ReservationLineRead]
