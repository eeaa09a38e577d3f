from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.pricing import (
    ContractTerms,
    Line,
    PartUse,
    Rates,
    contract_covers,
    invoice_number,
    price_repair,
)

RATES = Rates(labor_rate_per_hour=D("80.00"), callout_fee=D("50.00"), vat_rate=D("0.13"))
COMPRESSOR = PartUse("CMP-100", "Compressor", 1, D("1200.00"), D("1000.00"))
FILTER = PartUse("FLT-2", "Filter", 3, D("15.50"), D("12.00"))


def bill(*, approved=False, parts=(COMPRESSOR, FILTER), hours="2.5", visits=1, rates=RATES, contract=None):
    return price_repair(
        approved=approved, parts=parts, labor_hours=D(hours), visits=visits, rates=rates, contract=contract
    )


def part_at(oow: str, qty: int = 1, list_price: str | None = None) -> PartUse:
    return PartUse("P-1", "Part", qty, D(list_price or oow), D(oow))


@pytest.mark.parametrize(
    "contract",
    [None, ContractTerms(includes_labor=True, parts_discount_pct=D("20")),
     ContractTerms(includes_labor=False, parts_discount_pct=D("0"))],
)
def test_approved_repair_charges_nothing_but_records_the_warranty_cost(contract):
    priced = bill(approved=True, contract=contract)
    assert [line.kind for line in priced.lines] == ["part", "part", "labor", "callout"]
    assert all(line.unit_price == 0 and line.amount == 0 for line in priced.lines)
    assert (priced.net, priced.vat, priced.total) == (D("0.00"), D("0.00"), D("0.00"))
    # 1200.00 + 3 x 15.50 + 2.5 h x 80.00 + 1 x 50.00, at list price and before VAT
    assert priced.warranty_cost == D("1496.50")


def test_rejected_repair_without_contract_charges_out_of_warranty_prices_labour_and_call_out():
    priced = bill()
    assert priced.lines == (
        Line("part", "CMP-100 Compressor", D(1), D("1000.00"), D("1000.00")),
        Line("part", "FLT-2 Filter", D(3), D("12.00"), D("36.00")),
        Line("labor", "Labour", D("2.5"), D("80.00"), D("200.00")),
        Line("callout", "Call-out", D(1), D("50.00"), D("50.00")),
    )
    assert priced.net == D("1286.00")
    assert priced.vat == D("167.18")
    assert priced.total == D("1453.18")
    assert priced.warranty_cost == D("1496.50")


@pytest.mark.parametrize(
    ("oow", "discount", "unit_price"),
    [
        ("1000.00", "10", "900.00"),
        ("10.05", "5", "9.55"),  # 9.5475
        ("0.25", "50", "0.13"),  # 0.125: half-up, where half-even would give 0.12
        ("1.05", "50", "0.53"),  # 0.525
        ("100.45", "50", "50.23"),  # 50.225
        ("12.50", "1", "12.38"),  # 12.375
        ("33.33", "33.33", "22.22"),  # 22.221...
        ("99.99", "0", "99.99"),
        ("99.99", "100", "0.00"),
    ],
)
def test_contract_discount_is_rounded_half_up_per_unit(oow, discount, unit_price):
    contract = ContractTerms(includes_labor=False, parts_discount_pct=D(discount))
    priced = bill(parts=[part_at(oow)], hours="0", visits=0, contract=contract)
    (line,) = priced.lines
    assert line.unit_price == D(unit_price)
    assert line.amount == D(unit_price)


@pytest.mark.parametrize(
    ("qty", "oow", "discount", "amount"),
    [
        (3, "0.25", "50", "0.39"),  # 3 x 0.13: the unit price is rounded first, then multiplied
        (7, "10.05", "5", "66.85"),
        (2, "1.05", "50", "1.06"),
    ],
)
def test_part_amount_is_quantity_times_the_rounded_unit_price(qty, oow, discount, amount):
    contract = ContractTerms(includes_labor=False, parts_discount_pct=D(discount))
    (line,) = bill(parts=[part_at(oow, qty)], hours="0", visits=0, contract=contract).lines
    assert line.amount == D(amount)


@pytest.mark.parametrize(
    ("rate", "hours", "amount"),
    [
        ("30.10", "0.25", "7.53"),  # 7.525
        ("80.10", "0.125", "10.01"),  # 10.0125
        ("50.10", "0.25", "12.53"),  # 12.525
        ("80.00", "1", "80.00"),
    ],
)
def test_labour_amount_is_rounded_half_up(rate, hours, amount):
    rates = Rates(labor_rate_per_hour=D(rate), callout_fee=D("50.00"), vat_rate=D("0.13"))
    (line,) = bill(parts=[], hours=hours, visits=0, rates=rates).lines
    assert (line.kind, line.unit_price, line.amount) == ("labor", D(rate), D(amount))


@pytest.mark.parametrize(
    ("net", "vat"),
    [
        ("0.50", "0.07"),  # 0.065
        ("12.50", "1.63"),  # 1.625
        ("100.50", "13.07"),  # 13.065
        ("100.00", "13.00"),
        ("0.01", "0.00"),  # 0.0013
        ("0.04", "0.01"),  # 0.0052
    ],
)
def test_vat_is_rounded_half_up_on_the_net(net, vat):
    priced = bill(parts=[part_at(net)], hours="0", visits=0)
    assert priced.net == D(net)
    assert priced.vat == D(vat)
    assert priced.total == D(net) + D(vat)


def test_contract_including_labour_waives_labour_and_call_out_but_still_lists_them():
    contract = ContractTerms(includes_labor=True, parts_discount_pct=D("10"))
    priced = bill(contract=contract, visits=2)
    assert priced.lines == (
        Line("part", "CMP-100 Compressor", D(1), D("900.00"), D("900.00")),
        Line("part", "FLT-2 Filter", D(3), D("10.80"), D("32.40")),
        Line("labor", "Labour", D("2.5"), D("0.00"), D("0.00")),
        Line("callout", "Call-out", D(2), D("0.00"), D("0.00")),
    )
    assert (priced.net, priced.vat, priced.total) == (D("932.40"), D("121.21"), D("1053.61"))
    # The manufacturer's cost ignores the contract: full labour and both call-outs.
    assert priced.warranty_cost == D("1546.50")


def test_contract_without_labour_discounts_parts_only():
    contract = ContractTerms(includes_labor=False, parts_discount_pct=D("10"))
    labour, callout = bill(contract=contract, visits=2).lines[2:]
    assert (labour.amount, callout.unit_price, callout.amount) == (D("200.00"), D("50.00"), D("100.00"))


@pytest.mark.parametrize(
    ("hours", "visits", "kinds"),
    [
        ("0", 1, ["part", "part", "callout"]),
        ("2.5", 0, ["part", "part", "labor"]),
        ("0", 0, ["part", "part"]),
        ("0.00", 0, ["part", "part"]),
    ],
)
def test_zero_labour_hours_or_visits_add_no_line(hours, visits, kinds):
    assert [line.kind for line in bill(hours=hours, visits=visits).lines] == kinds


def test_repair_with_nothing_used_is_an_empty_bill():
    priced = bill(parts=[], hours="0", visits=0)
    assert priced.lines == ()
    assert (priced.net, priced.vat, priced.total, priced.warranty_cost) == (D("0.00"),) * 4


def test_several_parts_keep_their_order_and_are_summed():
    parts = [part_at("10.00", 2), PartUse("ZZ-9", "Valve", 1, D("5.00"), D("4.50")), part_at("0.10", 10)]
    priced = bill(parts=parts, hours="0", visits=0)
    assert [line.description for line in priced.lines] == ["P-1 Part", "ZZ-9 Valve", "P-1 Part"]
    assert [line.amount for line in priced.lines] == [D("20.00"), D("4.50"), D("1.00")]
    assert priced.net == D("25.50")


def test_part_with_zero_quantity_is_listed_at_zero():
    (line,) = bill(parts=[part_at("10.00", 0)], hours="0", visits=0).lines
    assert (line.qty, line.amount) == (D(0), D("0.00"))


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"hours": "-0.5"}, id="negative-hours"),
        pytest.param({"hours": "NaN"}, id="nan-hours"),
        pytest.param({"hours": "Infinity"}, id="infinite-hours"),
        pytest.param({"visits": -1}, id="negative-visits"),
        pytest.param({"parts": [part_at("10.00", -1)]}, id="negative-quantity"),
        pytest.param({"parts": [part_at("-1.00")]}, id="negative-out-of-warranty-price"),
        pytest.param({"parts": [part_at("1.00", list_price="-1.00")]}, id="negative-list-price"),
        pytest.param({"parts": [part_at("1.005")]}, id="price-below-the-fen"),
        pytest.param({"contract": ContractTerms(False, D("-0.01"))}, id="negative-discount"),
        pytest.param({"contract": ContractTerms(False, D("100.01"))}, id="discount-above-100"),
        pytest.param({"rates": Rates(D("-80.00"), D("50.00"), D("0.13"))}, id="negative-labour-rate"),
        pytest.param({"rates": Rates(D("80.00"), D("-50.00"), D("0.13"))}, id="negative-call-out-fee"),
        pytest.param({"rates": Rates(D("80.00"), D("50.00"), D("-0.13"))}, id="negative-vat-rate"),
        pytest.param({"rates": Rates(D("80.001"), D("50.00"), D("0.13"))}, id="rate-below-the-fen"),
    ],
)
def test_invalid_inputs_are_refused(kwargs):
    with pytest.raises(ValueError):
        bill(**kwargs)


@pytest.mark.parametrize("approved", [True, False])
def test_invalid_inputs_are_refused_even_when_approved(approved):
    with pytest.raises(ValueError):
        bill(approved=approved, visits=-1)


CONTRACT = {"starts_on": date(2025, 1, 1), "ends_on": date(2025, 12, 31), "serial_numbers": ["AC-123456"]}


@pytest.mark.parametrize(
    ("serial_number", "on", "covered"),
    [
        ("AC-123456", date(2025, 6, 1), True),
        ("AC-123456", date(2025, 1, 1), True),
        ("AC-123456", date(2025, 12, 31), True),
        ("AC-123456", date(2024, 12, 31), False),
        ("AC-123456", date(2026, 1, 1), False),
        ("  ac-123456 ", date(2025, 6, 1), True),
        ("AC-654321", date(2025, 6, 1), False),
    ],
)
def test_contract_covers_listed_units_on_every_day_of_its_period(serial_number, on, covered):
    assert contract_covers(**CONTRACT, serial_number=serial_number, on=on) is covered


def test_contract_listing_serials_in_another_case_still_covers_them():
    contract = {**CONTRACT, "serial_numbers": {" ac-123456", "BX-000001"}}
    assert contract_covers(**contract, serial_number="AC-123456", on=date(2025, 6, 1))


def test_contract_with_no_units_covers_nothing():
    contract = {**CONTRACT, "serial_numbers": []}
    assert not contract_covers(**contract, serial_number="AC-123456", on=date(2025, 6, 1))


def test_contract_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        contract_covers(**{**CONTRACT, "ends_on": date(2024, 12, 31)}, serial_number="AC-123456",
                        on=date(2025, 1, 1))


@pytest.mark.parametrize(
    ("year", "sequence", "number"),
    [(2026, 1, "INV-2026-000001"), (2025, 42, "INV-2025-000042"), (2026, 999_999, "INV-2026-999999")],
)
def test_invoice_number_is_year_and_six_digit_sequence(year, sequence, number):
    assert invoice_number(year, sequence) == number


@pytest.mark.parametrize(
    ("year", "sequence"), [(2026, 0), (2026, -1), (2026, 1_000_000), (0, 1), (10_000, 1)]
)
def test_invoice_number_out_of_range_is_refused(year, sequence):
    with pytest.raises(ValueError):
        invoice_number(year, sequence)


money = st.decimals(min_value=0, max_value=100_000, places=2)


@st.composite
def part_uses(draw):
    list_price = draw(money)
    oow = draw(st.decimals(min_value=0, max_value=list_price, places=2))
    part_number = draw(st.sampled_from(["CMP-100", "FLT-2", "VLV-9"]))
    return PartUse(part_number, "Part", draw(st.integers(0, 50)), list_price, oow)


repairs = st.fixed_dictionaries(
    {
        "parts": st.lists(part_uses(), max_size=6),
        "labor_hours": st.decimals(min_value=0, max_value=100, places=3),
        "visits": st.integers(0, 5),
        "rates": st.builds(Rates, money, money, st.decimals(min_value=0, max_value=D("0.3"), places=4)),
        "contract": st.none() | st.builds(ContractTerms, st.booleans(),
                                          st.decimals(min_value=0, max_value=100, places=2)),
    }
)


def _two_places(value: D) -> bool:
    return value.as_tuple().exponent == -2


@given(repair=repairs, approved=st.booleans())
def test_bill_adds_up_in_whole_fen(repair, approved):
    priced = price_repair(approved=approved, **repair)
    assert priced.total == priced.net + priced.vat
    assert priced.net == sum((line.amount for line in priced.lines), D("0.00"))
    assert priced.net >= 0 and priced.vat >= 0
    amounts = [priced.net, priced.vat, priced.total, priced.warranty_cost]
    amounts += [v for line in priced.lines for v in (line.unit_price, line.amount)]
    assert all(_two_places(v) for v in amounts)


@given(repair=repairs)
def test_approved_bill_totals_zero(repair):
    priced = price_repair(approved=True, **repair)
    assert priced.total == priced.net == priced.vat == 0
    assert all(line.amount == 0 for line in priced.lines)


@given(repair=repairs, approved=st.booleans())
def test_warranty_cost_ignores_approval_and_contract(repair, approved):
    priced = price_repair(approved=approved, **repair)
    assert priced.warranty_cost == price_repair(approved=True, **{**repair, "contract": None}).warranty_cost


@given(repair=repairs)
def test_rejected_net_never_exceeds_the_warranty_cost(repair):
    # Out-of-warranty prices are never above list, and a contract only takes away.
    priced = price_repair(approved=False, **repair)
    assert priced.net <= priced.warranty_cost
