"""GET /reports/billing: the month-end figures, counted by hand from a few bills."""

from datetime import UTC, datetime

import pytest

from billing_support import CERTIFICATE, COMPRESSOR, post_repair, repair_body
from helpers import assert_problem

pytestmark = pytest.mark.anyio
ZERO = {"issued": 0, "paid": 0, "voided": 0, "net": "0.00", "vat": "0.00", "total": "0.00"}


async def bill_on(billing, clock, at: datetime, key: str, **changes) -> dict:
    clock.set(at)
    body = repair_body(repair_reference=f"REP-{key}", performed_on=at.date().isoformat(), **changes)
    response = await post_repair(billing, body, key=key)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def month_of_bills(billing, clock, inventory):
    # A: 2.5 h labour 200.00 + call-out 50.00 = 250.00, VAT 32.50, 282.50 (paid)
    a = await bill_on(billing, clock, datetime(2026, 1, 5, 9, tzinfo=UTC), "a")
    await billing.post(f"/invoices/{a['number']}/pay", json={"method": "cash"})
    # B: + the compressor at 1000.00 = 1412.50, voided: it adds nothing
    rid = inventory.add_reservation(COMPRESSOR)
    b = await bill_on(billing, clock, datetime(2026, 1, 20, 9, tzinfo=UTC), "b", reservation_ids=[rid])
    assert b["total"] == "1412.50"
    await billing.post(f"/invoices/{b['number']}/void")
    # C: 282.50 issued at 01:00 on 1 February in China (still 31 January in UTC): February's
    await bill_on(billing, clock, datetime(2026, 1, 31, 17, tzinfo=UTC), "c")
    # D: covered by warranty, 0.00: paid as it is issued
    d = await bill_on(billing, clock, datetime(2026, 2, 10, 9, tzinfo=UTC), "d", causes=["quality_defect"],
                      certificate=CERTIFICATE)
    assert (d["total"], d["status"]) == ("0.00", "paid")
    clock.set(datetime(2026, 4, 1, 9, tzinfo=UTC))


async def report(billing, **query) -> dict:
    response = await billing.get("/reports/billing", params=query)
    assert response.status_code == 200, response.text
    return response.json()


async def test_bills_by_month_as_counted_by_hand(billing, month_of_bills):
    figures = await report(billing, **{"from": "2026-01-01", "to": "2026-03-31", "group_by": "month"})
    assert figures == {"from": "2026-01-01", "to": "2026-03-31", "group_by": "month", "rows": [
        {"key": "2026-01", "name": "2026年1月", "issued": 2, "paid": 1, "voided": 1, "net": "250.00",
         "vat": "32.50", "total": "282.50"},
        {"key": "2026-02", "name": "2026年2月", "issued": 2, "paid": 1, "voided": 0, "net": "250.00",
         "vat": "32.50", "total": "282.50"},
        {"key": "2026-03", "name": "2026年3月", **ZERO},
    ]}


async def test_a_period_counts_the_days_it_names_in_china_standard_time(billing, month_of_bills):
    february = await report(billing, **{"from": "2026-02-01", "to": "2026-02-28"})
    assert february["rows"] == [{"key": "2026-02", "name": "2026年2月", "issued": 2, "paid": 1, "voided": 0,
                                 "net": "250.00", "vat": "32.50", "total": "282.50"}]
    late_january = await report(billing, **{"from": "2026-01-15", "to": "2026-01-31"})
    assert late_january["rows"] == [{"key": "2026-01", "name": "2026年1月", "issued": 1, "paid": 0,
                                     "voided": 1, "net": "0.00", "vat": "0.00", "total": "0.00"}]


async def test_an_empty_period_has_its_months_with_zeros(billing, month_of_bills):
    figures = await report(billing, **{"from": "2025-06-01", "to": "2025-07-15"})
    assert figures["rows"] == [{"key": "2025-06", "name": "2025年6月", **ZERO},
                               {"key": "2025-07", "name": "2025年7月", **ZERO}]


async def test_a_month_with_no_bill_at_all(billing):
    figures = await report(billing, **{"from": "2026-03-01", "to": "2026-03-01"})
    assert figures["rows"] == [{"key": "2026-03", "name": "2026年3月", **ZERO}]


@pytest.mark.parametrize("query", [
    {"from": "2026-02-01", "to": "2026-01-31"},
    {"to": "2026-01-31"},
    {"from": "2026-01-01", "to": "2026-02-30"},
    {"from": "2026-01-01", "to": "2026-01-31", "group_by": "station"},
    {"from": "2000-01-01", "to": "2026-01-31"},
])
async def test_a_period_that_cannot_be_is_422(billing, query):
    assert_problem(await billing.get("/reports/billing", params=query), 422, "validation_error")
