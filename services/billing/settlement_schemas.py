"""The wire shapes of settling a bill (payment, fapiao), the company on the bills and the month-end
figures: money as decimal strings, never floats."""

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared.types import IsoDate, Money, StrictModel

# 统一社会信用代码 (18 characters) or an older taxpayer number (15 to 20 characters).
TAXPAYER_PATTERN = re.compile(r"^[0-9A-Z]{15,20}$")
# A fapiao number: 8 digits on a paper or older electronic VAT invoice (its 10- or 12-digit code is a
# separate field), 20 digits on a fully digitalised e-invoice (数电发票).
FAPIAO_PATTERN = re.compile(r"^(\d{8}|\d{20})$")
PaymentMethod = Literal["cash", "bank_transfer", "wechat_pay", "alipay"]


def _taxpayer_id(value: str) -> str:
    code = value.strip().upper()
    if not TAXPAYER_PATTERN.match(code):
        raise ValueError("a taxpayer id is 15 to 20 letters and digits (the unified social credit code has 18)")
    return code


def _fapiao(value: str) -> str:
    number = value.strip()
    if not FAPIAO_PATTERN.match(number):
        raise ValueError("a fapiao number is 8 digits (paper or older e-invoice) or 20 digits (数电发票)")
    return number


Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CompanyUpdate(StrictModel):
    name: Line
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    taxpayer_id: Annotated[str, Field(max_length=40), AfterValidator(_taxpayer_id)]
    bank: Line
    account: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9][0-9 -]{3,38}[0-9]$")]
    phone: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9+][0-9 ()+-]{2,38}$")]

    def fields(self) -> dict:
        return self.model_dump()


class CompanyRead(BaseModel):
    version: int
    name: str
    address: str
    taxpayer_id: str
    bank: str
    account: str
    phone: str
    created_at: datetime

    @classmethod
    def of(cls, company) -> "CompanyRead":
        return cls(version=company.id, name=company.name, address=company.address,
                   taxpayer_id=company.taxpayer_id, bank=company.bank, account=company.account,
                   phone=company.phone, created_at=company.created_at)


class ActorRead(BaseModel):
    kind: str
    id: str
    name: str


class CustomerRead(BaseModel):
    name: str
    address: str | None


class PaymentRead(BaseModel):
    method: PaymentMethod | None = Field(description="None on a bill that charged nothing (settled when issued)")
    reference: str | None
    taken_by: ActorRead | None


class FapiaoRead(BaseModel):
    number: str
    issued_on: date
    recorded_at: datetime


class PaymentIn(StrictModel):
    method: PaymentMethod
    reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"method": "wechat_pay", "reference": "4200001234202611280012345678"}]})


class FapiaoIn(StrictModel):
    number: Annotated[str, Field(max_length=40), AfterValidator(_fapiao)]
    issued_on: IsoDate

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"number": "26372000000012345678", "issued_on": "2026-11-28"}]})


def actor_of(value) -> ActorRead | None:
    return ActorRead(**value) if isinstance(value, dict) else None


class BillingReportRow(BaseModel):
    key: str = Field(description="The month, YYYY-MM (China Standard Time)")
    name: str = Field(description="The month as a reader names it")
    issued: int = Field(description="Bills issued in the month")
    paid: int = Field(description="Of those, paid now")
    voided: int = Field(description="Of those, void now")
    net: Money = Field(description="Net of the month's bills that stand (a void bill adds nothing)")
    vat: Money
    total: Money


class BillingReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    group_by: Literal["month"]
    rows: list[BillingReportRow]
