"""Billing's wire shapes: money and rates as decimal strings, never floats."""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
)

from services.billing.settlement_schemas import (
    ActorRead,
    CompanyRead,
    CustomerRead,
    FapiaoRead,
    PaymentRead,
    actor_of,
)
from shared.contracts import billing as contract
from shared.types import DecimalIn, IsoDate, Money, StrictModel, Text
from shared.wire import ClaimCertificate, Serial

REGION_PATTERN = re.compile(contract.REGION_PATTERN)
# The contract and its visits the desk reads are billing's contract (shared/contracts/billing.py); named here too.
decimal_text, RateText = contract.decimal_text, contract.RateText
CancellationRead, ContractRead, VisitRead = contract.CancellationRead, contract.ContractRead, contract.VisitRead



def _region(value: str) -> str:
    region = value.strip().lower()
    if not REGION_PATTERN.match(region):
        raise ValueError(f"a region is letters, digits, '-' and '_', {contract.REGION_MIN_CHARS} to "
                         f"{contract.REGION_MAX_CHARS} characters")
    return region


def _vat_rate(value: Decimal) -> Decimal:
    if value >= 1:
        raise ValueError('a VAT rate is a fraction below 1, like "0.13"')
    return value


def _percent(value: Decimal) -> Decimal:
    if value > contract.PERCENT_MAX or value.as_tuple().exponent < -2:
        raise ValueError("a percentage is 0 to 100 with at most two decimals")
    return value


def _hours(value: Decimal) -> Decimal:
    if value > contract.HOURS_MAX:
        raise ValueError(f"at most {contract.HOURS_MAX} hours")
    return value


Region = Annotated[str, Field(max_length=contract.REGION_MAX_LENGTH), AfterValidator(_region)]
VatRate = Annotated[DecimalIn, AfterValidator(_vat_rate)]
Percent = Annotated[DecimalIn, AfterValidator(_percent)]
Hours = Annotated[DecimalIn, AfterValidator(_hours)]
Currency = Annotated[str, Field(pattern=contract.CURRENCY_PATTERN, examples=["CNY"])]
Code = Annotated[str, Field(min_length=contract.CODE_MIN_LENGTH, max_length=contract.CODE_MAX_LENGTH)]
QtyText = Annotated[Decimal, PlainSerializer(decimal_text, return_type=str)]
ReservationId = Annotated[StrictInt, Field(gt=0, le=contract.ID_MAX)]
Visits = Annotated[StrictInt, Field(ge=contract.VISITS_MIN, le=contract.VISITS_MAX)]


class RateCardUpdate(StrictModel):
    labor_rate_per_hour: Money
    callout_fee: Money
    vat_rate: VatRate
    currency: Currency = "CNY"
    effective_from: AwareDatetime | None = Field(
        default=None, description="When the card takes effect (RFC 3339); default now; never in the past"
    )


class RateCardRead(BaseModel):
    version: int
    labor_rate_per_hour: Money
    callout_fee: Money
    vat_rate: RateText
    currency: str
    effective_from: datetime
    created_at: datetime

    @classmethod
    def of(cls, card) -> "RateCardRead":
        return cls(
            version=card.id, labor_rate_per_hour=card.labor_rate_per_hour, callout_fee=card.callout_fee,
            vat_rate=card.vat_rate, currency=card.currency, effective_from=card.effective_from,
            created_at=card.created_at,
        )


class RateCardPage(BaseModel):
    items: list[RateCardRead]
    next_cursor: str | None


class ContractCreate(StrictModel):
    customer: Text
    serial_numbers: Annotated[list[Serial], Field(min_length=contract.CONTRACT_SERIALS_MIN_ITEMS,
                                                           max_length=contract.CONTRACT_SERIALS_MAX_ITEMS)]
    starts_on: IsoDate
    ends_on: IsoDate
    includes_labor: StrictBool
    parts_discount_pct: Percent
    region: Region | None = None

    @field_validator("ends_on")
    @classmethod
    def _not_before_start(cls, ends_on: date, info) -> date:
        starts_on = info.data.get("starts_on")
        if starts_on is not None and ends_on < starts_on:
            raise ValueError("a contract cannot end before it starts")
        return ends_on




class ContractCancel(StrictModel):
    ends_on: IsoDate = Field(description="The contract's new last day, within its period")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=contract.CANCEL_REASON_MIN_LENGTH,
                                                 max_length=contract.CANCEL_REASON_MAX_LENGTH)]

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"ends_on": "2025-09-30", "reason": "Customer sold the building"}]})


class ContractPage(BaseModel):
    items: list[ContractRead]
    next_cursor: str | None



class CertificateIn(ClaimCertificate):  # billing's name for it on the wire
    pass


class RepairCreate(StrictModel):
    serial_number: Serial
    repair_reference: Text
    performed_on: IsoDate
    component: Code
    causes: Annotated[list[Code], Field(max_length=contract.CAUSES_MAX_ITEMS)]
    certificate: CertificateIn | None = None
    reservation_ids: Annotated[list[ReservationId], Field(max_length=contract.RESERVATIONS_MAX_ITEMS)] = []
    labor_hours: Hours
    visits: Visits

    @field_validator("reservation_ids")
    @classmethod
    def _distinct(cls, ids: list[int]) -> list[int]:
        if len(set(ids)) != len(ids):
            raise ValueError("a reservation is listed once")
        return ids


class ReasonRead(BaseModel):
    code: str
    message: str


class ClaimRead(BaseModel):
    id: int
    decision: contract.Decision
    reasons: list[ReasonRead]


class LineRead(BaseModel):
    kind: contract.LineKind
    description: str
    qty: QtyText
    unit_price: Money
    amount: Money


class RatesUsed(BaseModel):
    version: int
    labor_rate_per_hour: Money
    callout_fee: Money
    vat_rate: RateText
    currency: str


class BillRead(BaseModel):
    number: str
    status: contract.BillStatus
    serial_number: str
    repair_reference: str
    performed_on: date
    component: str
    causes: list[str]
    claim: ClaimRead
    contract_id: int | None
    reservation_ids: list[int]
    unbilled_reservation_ids: list[int] = Field(
        description="Reservations inventory would no longer issue once the bill had begun consuming parts"
    )
    labor_hours: QtyText
    visits: int
    lines: list[LineRead]
    net: Money
    vat: Money
    total: Money
    warranty_cost: Money
    currency: str
    rates: RatesUsed
    issued_at: datetime
    paid_at: datetime | None
    voided_at: datetime | None
    customer: CustomerRead | None = None
    company: CompanyRead | None = Field(None, description="The company as it stood when the bill was issued")
    issued_by: ActorRead | None = None
    payment: PaymentRead | None = None
    voided_by: ActorRead | None = None
    fapiao: FapiaoRead | None = None
    replaces: str | None = Field(None, description="The void bill of the same repair this one replaces")
    replaced_by: str | None = Field(None, description="The bill that replaces this void one")

    @classmethod
    def of(cls, bill, lines, links, company=None) -> "BillRead":
        lost = [k.reservation_id for k in links if k.state == "lost"]
        return cls(
            number=bill.number, status=bill.status, serial_number=bill.serial_number,
            repair_reference=bill.repair_reference, performed_on=bill.performed_on, component=bill.component,
            causes=bill.causes,
            claim=ClaimRead(id=bill.claim_id, decision=bill.claim_decision, reasons=bill.claim_reasons or []),
            contract_id=bill.contract_id,
            # What the bill was asked for, less what inventory would no longer issue: the same as its
            # consumed links, and still right once a replacing bill has taken those links over.
            reservation_ids=[rid for rid in bill.reservation_ids if rid not in lost],
            unbilled_reservation_ids=lost,
            labor_hours=bill.labor_hours, visits=bill.visits,
            lines=[LineRead(kind=x.kind, description=x.description, qty=x.qty, unit_price=x.unit_price,
                            amount=x.amount) for x in lines],
            net=bill.net, vat=bill.vat, total=bill.total, warranty_cost=bill.warranty_cost,
            currency=bill.currency,
            rates=RatesUsed(version=bill.rate_card_version, labor_rate_per_hour=bill.labor_rate_per_hour,
                            callout_fee=bill.callout_fee, vat_rate=bill.vat_rate, currency=bill.currency),
            issued_at=bill.issued_at, paid_at=bill.paid_at, voided_at=bill.voided_at,
            customer=CustomerRead(name=bill.customer_name, address=bill.customer_address)
            if bill.customer_name else None,
            company=CompanyRead.of(company) if company is not None else None,
            issued_by=actor_of(bill.issued_by),
            payment=PaymentRead(method=bill.payment_method, reference=bill.payment_reference,
                                taken_by=actor_of(bill.paid_by)) if bill.paid_at is not None else None,
            voided_by=actor_of(bill.voided_by),
            fapiao=FapiaoRead(number=bill.fapiao_number, issued_on=bill.fapiao_issued_on,
                              recorded_at=bill.fapiao_recorded_at) if bill.fapiao_number else None,
            replaces=bill.replaces, replaced_by=bill.replaced_by,
        )


class BillPage(BaseModel):
    items: list[BillRead]
    next_cursor: str | None
