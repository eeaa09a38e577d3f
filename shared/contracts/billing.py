"""Billing's contract (api.md "Billing"): every wire limit, pattern and enum, declared once.

services/billing's schemas build their fields from these values; the web app's billing pages and the
console's rate card and company pages read them (the Jinja global `billing_contract`, the form handlers) so
that no page restates a limit. Changing a value here changes the API (its OpenAPI document) and every form
with it. The serial number is common's (shared/contracts/common.py), never restated. The answers the service
desk reads (a contract and its planned visits) are here too, as their wire models.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, PlainSerializer

from shared.contracts import common, values

# common's limits (ids, text, serials, parts, pages) are re-published as this contract's own: a caller reads
# every limit of the operation from one module.
from shared.contracts.common import *  # noqa: F403

# ---- the rate card ---------------------------------------------------------------------------------------

CURRENCY_PATTERN = r"^[A-Z]{3}$"
# A VAT rate is a fraction below 1 ("0.13"); the console types it as a percentage, at most this many characters.
VAT_PERCENT_MAX_CHARS = 8
# Money as the console types it (yuan, "1280.00"): shared.types.Money's 12 digits, a point and 2 decimals.
MONEY_MAX_CHARS = 16

# ---- service contracts -----------------------------------------------------------------------------------

CONTRACT_SERIALS_MIN_ITEMS, CONTRACT_SERIALS_MAX_ITEMS = 1, 500
PERCENT_MIN, PERCENT_MAX = 0, 100  # the parts discount, at most two decimals
REGION_MAX_LENGTH = 100  # as typed; once cleaned, REGION_PATTERN (common's region code, in lower case)
REGION_MIN_CHARS, REGION_MAX_CHARS = common.REGION_MIN_LENGTH, common.REGION_MAX_LENGTH
REGION_PATTERN = rf"^[a-z0-9_-]{{{REGION_MIN_CHARS},{REGION_MAX_CHARS}}}$"
CANCEL_REASON_MIN_LENGTH, CANCEL_REASON_MAX_LENGTH = 1, 1000
ContractStatus = Literal["active", "cancelled"]

# ---- a repair billed -------------------------------------------------------------------------------------

CODE_MIN_LENGTH, CODE_MAX_LENGTH = 1, 64  # a component, a cause
CAUSES_MAX_ITEMS = 20
RESERVATIONS_MAX_ITEMS = 50
HOURS_MIN, HOURS_MAX = 0, 1000  # labour hours
VISITS_MIN, VISITS_MAX = 0, 1000  # site visits charged
# A bill's number (INV-2026-000001, services/billing/domain/pricing.py) as it may stand in an address;
# the pages look nothing up for anything else.
BILL_NUMBER_MAX_LENGTH = 40
BILL_NUMBER_PATTERN = rf"^[A-Za-z0-9-]{{1,{BILL_NUMBER_MAX_LENGTH}}}$"
BillStatus = Literal["issued", "paid", "void"]
BILL_STATUSES = values(BillStatus)
LineKind = Literal["part", "labor", "callout"]
Decision = Literal["approved", "rejected"]

# ---- settling a bill -------------------------------------------------------------------------------------

PaymentMethod = Literal["cash", "bank_transfer", "wechat_pay", "alipay"]
PAYMENT_METHODS = values(PaymentMethod)
PAYMENT_REFERENCE_MIN_LENGTH, PAYMENT_REFERENCE_MAX_LENGTH = 1, 100
# A fapiao number: 8 digits on a paper or older electronic VAT invoice (its 10- or 12-digit code is a
# separate field), 20 digits on a fully digitalised e-invoice (数电发票).
FAPIAO_MAX_LENGTH = 40  # as typed
FAPIAO_PATTERN = r"^(\d{8}|\d{20})$"
# The form lets the clerk type the number with spaces, as printed (20 digits and 4 spaces at most).
FAPIAO_TYPED_PATTERN = "[0-9 ]{8,24}"
FAPIAO_TYPED_MAX_LENGTH = 24

# ---- the company on the bills ----------------------------------------------------------------------------

COMPANY_LINE_MIN_LENGTH, COMPANY_LINE_MAX_LENGTH = 1, 200  # name, bank
COMPANY_ADDRESS_MIN_LENGTH, COMPANY_ADDRESS_MAX_LENGTH = 1, 300
# 统一社会信用代码 (18 characters) or an older taxpayer number (15 to 20 characters).
TAXPAYER_ID_MAX_LENGTH = 40  # as typed
TAXPAYER_MIN_CHARS, TAXPAYER_MAX_CHARS = 15, 20
TAXPAYER_PATTERN = rf"^[0-9A-Z]{{{TAXPAYER_MIN_CHARS},{TAXPAYER_MAX_CHARS}}}$"
ACCOUNT_MAX_CHARS = 40  # a bank account: digits, spaces and '-', a digit at each end
ACCOUNT_PATTERN = rf"^[0-9][0-9 -]{{3,{ACCOUNT_MAX_CHARS - 2}}}[0-9]$"
# The company's phone: common's PHONE_MAX_LENGTH and PHONE_PATTERN, once trimmed (shared.wire.Phone).


# ---- the wire models other services read -----------------------------------------------------------------


def decimal_text(value: Decimal, places: int = 0) -> str:
    """A decimal without float noise: at least `places` decimals, more only when they carry digits."""
    text = value.normalize()
    if -text.as_tuple().exponent < places:
        text = value.quantize(Decimal(1).scaleb(-places))
    return format(text, "f")


RateText = Annotated[Decimal, PlainSerializer(lambda v: decimal_text(v, 2), return_type=str)]


class CancellationRead(BaseModel):
    at: datetime
    reason: str
    original_ends_on: date = Field(description="The last day agreed before the contract was ended early")


class ContractRead(BaseModel):
    id: int
    customer: str
    serial_numbers: list[str]
    starts_on: date
    ends_on: date
    includes_labor: bool
    parts_discount_pct: RateText
    region: str
    created_at: datetime
    status: ContractStatus = "active"
    cancellation: CancellationRead | None = None
    ended: bool = Field(False, description="Ended early (cancelled), or past its last day")

    @classmethod
    def of(cls, contract, serial_numbers: list[str], *, today: date | None = None) -> "ContractRead":
        cancellation = None
        if contract.cancelled_at is not None:
            cancellation = CancellationRead(at=contract.cancelled_at, reason=contract.cancel_reason or "",
                                            original_ends_on=contract.original_ends_on)
        return cls(
            id=contract.id, customer=contract.customer, serial_numbers=serial_numbers,
            starts_on=contract.starts_on, ends_on=contract.ends_on, includes_labor=contract.includes_labor,
            parts_discount_pct=contract.parts_discount_pct, region=contract.region,
            created_at=contract.created_at, status=contract.status or "active", cancellation=cancellation,
            ended=contract.status == "cancelled" or (today is not None and contract.ends_on < today),
        )


class VisitRead(BaseModel):
    date: date
    kind: Literal["inspection", "maintenance"]
    state: Literal["planned", "done", "missed"] = Field(
        "planned", description="missed: its day has passed without a record of the visit")
    rest_day: bool = Field(False, description="The day falls on a weekend")
    next_working_day: date | None = Field(None, description="On a rest day: the next working day, a suggestion")
