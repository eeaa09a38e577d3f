"""The wire shapes of settling a bill (payment, fapiao), the company on the bills and the month-end
figures: money as decimal strings, never floats."""

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared.contracts import billing as contract
from shared.types import IsoDate, Money, StrictModel
from shared.wire import Phone

TAXPAYER_PATTERN = re.compile(contract.TAXPAYER_PATTERN)
FAPIAO_PATTERN = re.compile(contract.FAPIAO_PATTERN)
PaymentMethod = contract.PaymentMethod


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


Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=contract.COMPANY_LINE_MIN_LENGTH,
                                        max_length=contract.COMPANY_LINE_MAX_LENGTH)]


class CompanyUpdate(StrictModel):
    name: Line
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=contract.COMPANY_ADDRESS_MIN_LENGTH,
                                                       max_length=contract.COMPANY_ADDRESS_MAX_LENGTH)]
    taxpayer_id: Annotated[str, Field(max_length=contract.TAXPAYER_ID_MAX_LENGTH), AfterValidator(_taxpayer_id)]
    bank: Line
    account: Annotated[str, StringConstraints(strip_whitespace=True, pattern=contract.ACCOUNT_PATTERN)]
    phone: Phone

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
    reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=contract.PAYMENT_REFERENCE_MIN_LENGTH,
                                                   max_length=contract.PAYMENT_REFERENCE_MAX_LENGTH)] | None = None

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"method": "wechat_pay", "reference": "4200001234202611280012345678"}]})


class FapiaoIn(StrictModel):
    number: Annotated[str, Field(max_length=contract.FAPIAO_MAX_LENGTH), AfterValidator(_fapiao)]
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
