"""What a finished repair costs the customer, and what it costs the manufacturer.

Every amount is rounded half-up to the fen per line and for the VAT, as the
spec asks, so a bill adds up exactly as printed.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared import money

PART = "part"
LABOR = "labor"
CALLOUT = "callout"

_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Rates:
    labor_rate_per_hour: Decimal
    callout_fee: Decimal
    vat_rate: Decimal
    currency: str = "CNY"


@dataclass(frozen=True, slots=True)
class PartUse:
    part_number: str
    name: str
    qty: int
    list_price: Decimal
    out_of_warranty_price: Decimal


@dataclass(frozen=True, slots=True)
class ContractTerms:
    includes_labor: bool
    parts_discount_pct: Decimal


@dataclass(frozen=True, slots=True)
class Line:
    kind: str
    description: str
    qty: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PricedBill:
    lines: tuple[Line, ...]
    net: Decimal
    vat: Decimal
    total: Decimal
    warranty_cost: Decimal


def _require_non_negative(name: str, value: Decimal | int) -> None:
    # NaN and infinities would slip through a plain `< 0` (or make it raise
    # InvalidOperation), and then poison every sum of the bill.
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{name} must be a finite number, got {value}")
    if value < 0:
        raise ValueError(f"{name} cannot be negative, got {value}")


def _require_money(name: str, value: Decimal) -> None:
    _require_non_negative(name, value)
    # A price below the fen would make a line's amount differ from qty x the unit
    # price printed beside it; such a price is a data error upstream, not ours to round.
    if money.quantize(value) != value:
        raise ValueError(f"{name} must be a whole number of fen, got {value}")


def _validate(parts: Sequence[PartUse], labor_hours: Decimal, visits: int, rates: Rates,
              contract: ContractTerms | None) -> None:
    _require_non_negative("labour hours", labor_hours)
    _require_non_negative("visits", visits)
    _require_money("labour rate", rates.labor_rate_per_hour)
    _require_money("call-out fee", rates.callout_fee)
    _require_non_negative("VAT rate", rates.vat_rate)
    for part in parts:
        _require_non_negative(f"quantity of {part.part_number}", part.qty)
        _require_money(f"list price of {part.part_number}", part.list_price)
        _require_money(f"out-of-warranty price of {part.part_number}", part.out_of_warranty_price)
    if contract is not None:
        _require_non_negative("parts discount", contract.parts_discount_pct)
        if contract.parts_discount_pct > _HUNDRED:
            raise ValueError(f"parts discount cannot exceed 100%, got {contract.parts_discount_pct}")


def _part_price(part: PartUse, contract: ContractTerms | None) -> Decimal:
    if contract is None:
        return money.quantize(part.out_of_warranty_price)
    return money.quantize(part.out_of_warranty_price * (1 - contract.parts_discount_pct / _HUNDRED))


def _line(kind: str, description: str, qty: Decimal, unit_price: Decimal) -> Line:
    return Line(kind, description, qty, unit_price, money.quantize(qty * unit_price))


def _free(kind: str, description: str, qty: Decimal) -> Line:
    return Line(kind, description, qty, money.ZERO, money.ZERO)


def warranty_cost(*, parts: Sequence[PartUse], labor_hours: Decimal, visits: int, rates: Rates) -> Decimal:
    """List prices, full labour and call-out, no contract, before VAT."""
    cost = sum((money.quantize(p.qty * p.list_price) for p in parts), money.ZERO)
    cost += money.quantize(labor_hours * rates.labor_rate_per_hour)
    cost += money.quantize(visits * rates.callout_fee)
    return money.quantize(cost)


def price_repair(
    *,
    approved: bool,
    parts: Sequence[PartUse],
    labor_hours: Decimal,
    visits: int,
    rates: Rates,
    contract: ContractTerms | None,
) -> PricedBill:
    _validate(parts, labor_hours, visits, rates, contract)
    labor_hours = Decimal(labor_hours)
    # A contract that includes labour waives the call-out fee too (spec, section 5).
    labor_waived = approved or (contract is not None and contract.includes_labor)

    # Approved repairs still list every line, at 0, so the customer sees what was done.
    lines: list[Line] = []
    for part in parts:
        description = f"{part.part_number} {part.name}"
        if approved:
            lines.append(_free(PART, description, Decimal(part.qty)))
        else:
            lines.append(_line(PART, description, Decimal(part.qty), _part_price(part, contract)))
    if labor_hours > 0:
        if labor_waived:
            lines.append(_free(LABOR, "Labour", labor_hours))
        else:
            lines.append(_line(LABOR, "Labour", labor_hours, money.quantize(rates.labor_rate_per_hour)))
    if visits > 0:
        if labor_waived:
            lines.append(_free(CALLOUT, "Call-out", Decimal(visits)))
        else:
            lines.append(_line(CALLOUT, "Call-out", Decimal(visits), money.quantize(rates.callout_fee)))

    net = money.quantize(sum((line.amount for line in lines), money.ZERO))
    vat = money.quantize(net * rates.vat_rate)
    return PricedBill(
        lines=tuple(lines),
        net=net,
        vat=vat,
        total=money.quantize(net + vat),
        warranty_cost=warranty_cost(parts=parts, labor_hours=labor_hours, visits=visits, rates=rates),
    )


def contract_covers(
    *, starts_on: date, ends_on: date, serial_numbers: Collection[str], serial_number: str, on: date
) -> bool:
    if ends_on < starts_on:
        raise ValueError(f"contract ends on {ends_on} before it starts on {starts_on}")
    if not starts_on <= on <= ends_on:
        return False
    # Serials are stored upper-case but typed by hand on site: compare as the archive does.
    wanted = serial_number.strip().upper()
    return any(s.strip().upper() == wanted for s in serial_numbers)


def invoice_number(year: int, sequence: int) -> str:
    if not 1 <= year <= 9999:
        raise ValueError(f"year {year} is not 1-9999")
    if not 1 <= sequence <= 999_999:
        raise ValueError(f"invoice sequence {sequence} is not 1-999999")
    return f"INV-{year:04d}-{sequence:06d}"
