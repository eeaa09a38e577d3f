"""POST /repairs on the happy paths and the business refusals (warranty and inventory faked)."""

import re

import pytest

from billing_support import CERTIFICATE, COMPRESSOR, FILTER, OTHER_SERIAL, SERIAL, post_repair, repair_body
from helpers import assert_problem

pytestmark = pytest.mark.anyio

VALVE = ("VLV-9", "Expansion valve", 2, "85.00", "70.00")
FAN = ("FAN-3", "Fan motor", 1, "310.00", "265.50")


def lines(bill: dict) -> list[tuple]:
    return [(x["kind"], x["description"], x["qty"], x["unit_price"], x["amount"]) for x in bill["lines"]]


async def test_out_of_warranty_repair_is_billed_at_out_of_warranty_prices(billing, inventory, warranty):
    rid = inventory.add_reservation(COMPRESSOR, FILTER)
    response = await post_repair(billing, repair_body(reservation_ids=[rid]))
    assert response.status_code == 201, response.text
    bill = response.json()
    assert bill["number"] == "INV-2026-000001"
    assert bill["status"] == "issued"
    assert bill["claim"] == {"id": 1, "decision": "rejected",
                             "reasons": [{"code": "excluded_misuse", "message": "Excluded: excluded_misuse"}]}
    assert lines(bill) == [
        ("part", "CMP-100 Compressor", "1", "1000.00", "1000.00"),
        ("part", "FLT-2 Filter", "3", "12.00", "36.00"),
        ("labor", "Labour", "2.5", "80.00", "200.00"),
        ("callout", "Call-out", "1", "50.00", "50.00"),
    ]
    # 1286.00 x 0.13 = 167.18; list prices and full labour give the warranty cost.
    assert (bill["net"], bill["vat"], bill["total"]) == ("1286.00", "167.18", "1453.18")
    assert bill["warranty_cost"] == "1496.50"
    assert bill["currency"] == "CNY"
    assert bill["rates"] == {"version": 1, "labor_rate_per_hour": "80.00", "callout_fee": "50.00",
                             "vat_rate": "0.13", "currency": "CNY"}
    assert (bill["serial_number"], bill["performed_on"], bill["repair_reference"]) == (
        SERIAL, "2026-03-01", "REP-2026-0001")
    assert bill["contract_id"] is None
    assert bill["reservation_ids"] == [rid] and bill["unbilled_reservation_ids"] == []
    assert bill["issued_at"] == "2026-03-02T09:00:00Z"
    assert inventory.reservations[rid]["status"] == "consumed"
    claim = warranty.claims[0]
    assert re.fullmatch(r"bill-\d+-claim", claim["key"])
    assert (claim["failed_on"], claim["component"], claim["causes"]) == ("2026-03-01", "cooling_system",
                                                                         ["improper_use"])
    ((consumed, key),) = inventory.consumed
    assert consumed == rid and key == claim["key"].replace("claim", f"res-{rid}")


async def test_vat_is_rounded_half_up(billing, inventory):
    # net 12.50: VAT 1.625 rounds up to 1.63 (half-even would give 1.62)
    rid = inventory.add_reservation(("P-1", "Seal", 1, "20.00", "12.50"))
    response = await post_repair(billing, repair_body(reservation_ids=[rid], labor_hours="0", visits=0))
    bill = response.json()
    assert (bill["net"], bill["vat"], bill["total"]) == ("12.50", "1.63", "14.13")


async def test_approved_claim_charges_nothing_and_records_the_warranty_cost(billing, inventory):
    rid = inventory.add_reservation(COMPRESSOR, FILTER)
    response = await post_repair(billing, repair_body(causes=["quality_defect"], reservation_ids=[rid]))
    assert response.status_code == 201, response.text
    bill = response.json()
    assert bill["claim"]["decision"] == "approved" and bill["claim"]["reasons"] == []
    assert [x["kind"] for x in bill["lines"]] == ["part", "part", "labor", "callout"]
    assert all(x["unit_price"] == "0.00" and x["amount"] == "0.00" for x in bill["lines"])
    assert (bill["net"], bill["vat"], bill["total"]) == ("0.00", "0.00", "0.00")
    assert bill["warranty_cost"] == "1496.50"
    assert inventory.consumes_of(rid) == 1


async def make_contract(billing, *, includes_labor: bool, discount: str, serials=(SERIAL,),
                        starts_on="2026-01-01", ends_on="2026-12-31") -> dict:
    response = await billing.post("/contracts", json={
        "customer": "Jinan Hotel", "serial_numbers": list(serials), "starts_on": starts_on,
        "ends_on": ends_on, "includes_labor": includes_labor, "parts_discount_pct": discount,
    })
    assert response.status_code == 201, response.text
    return response.json()


async def test_contract_with_labour_discounts_parts_and_waives_labour_and_call_out(billing, inventory):
    contract = await make_contract(billing, includes_labor=True, discount="10")
    rid = inventory.add_reservation(COMPRESSOR, FILTER)
    bill = (await post_repair(billing, repair_body(reservation_ids=[rid], visits=2))).json()
    assert bill["contract_id"] == contract["id"]
    assert lines(bill) == [
        ("part", "CMP-100 Compressor", "1", "900.00", "900.00"),
        ("part", "FLT-2 Filter", "3", "10.80", "32.40"),
        ("labor", "Labour", "2.5", "0.00", "0.00"),
        ("callout", "Call-out", "2", "0.00", "0.00"),
    ]
    assert (bill["net"], bill["vat"], bill["total"]) == ("932.40", "121.21", "1053.61")
    assert bill["warranty_cost"] == "1546.50"


async def test_contract_without_labour_discounts_parts_only(billing, inventory):
    await make_contract(billing, includes_labor=False, discount="12.5")
    rid = inventory.add_reservation(FAN)
    bill = (await post_repair(billing, repair_body(reservation_ids=[rid], labor_hours="1", visits=1))).json()
    # 265.50 less 12.5 % = 232.3125 -> 232.31
    assert lines(bill) == [
        ("part", "FAN-3 Fan motor", "1", "232.31", "232.31"),
        ("labor", "Labour", "1", "80.00", "80.00"),
        ("callout", "Call-out", "1", "50.00", "50.00"),
    ]
    assert (bill["net"], bill["vat"], bill["total"]) == ("362.31", "47.10", "409.41")


async def test_contract_outside_its_period_or_for_another_unit_does_not_apply(billing, inventory):
    await make_contract(billing, includes_labor=True, discount="50", starts_on="2026-03-02")
    await make_contract(billing, includes_labor=True, discount="50", serials=(OTHER_SERIAL,))
    bill = (await post_repair(billing, repair_body(labor_hours="1", visits=1))).json()
    assert bill["contract_id"] is None
    assert bill["net"] == "130.00"


async def test_several_reservations_with_several_lines_are_all_billed_and_consumed(billing, inventory):
    first = inventory.add_reservation(COMPRESSOR, FILTER)
    second = inventory.add_reservation(VALVE, FAN)
    response = await post_repair(billing, repair_body(reservation_ids=[first, second], labor_hours="3.25",
                                                      visits=2))
    assert response.status_code == 201, response.text
    bill = response.json()
    assert lines(bill) == [
        ("part", "CMP-100 Compressor", "1", "1000.00", "1000.00"),
        ("part", "FLT-2 Filter", "3", "12.00", "36.00"),
        ("part", "VLV-9 Expansion valve", "2", "70.00", "140.00"),
        ("part", "FAN-3 Fan motor", "1", "265.50", "265.50"),
        ("labor", "Labour", "3.25", "80.00", "260.00"),
        ("callout", "Call-out", "2", "50.00", "100.00"),
    ]
    assert (bill["net"], bill["vat"], bill["total"]) == ("1801.50", "234.20", "2035.70")
    # 1200 + 46.50 + 170 + 310 + 260 + 100
    assert bill["warranty_cost"] == "2086.50"
    assert bill["reservation_ids"] == [first, second]
    assert inventory.consumes_of(first) == inventory.consumes_of(second) == 1


async def test_repair_without_parts_bills_labour_and_call_out(billing, inventory):
    bill = (await post_repair(billing, repair_body(labor_hours="0.25", visits=1))).json()
    assert lines(bill) == [("labor", "Labour", "0.25", "80.00", "20.00"),
                           ("callout", "Call-out", "1", "50.00", "50.00")]
    assert inventory.calls == []


@pytest.mark.parametrize("status", ["consumed", "released", "expired"])
async def test_reservation_not_active_is_409_and_nothing_is_claimed_or_consumed(billing, inventory, warranty,
                                                                               status):
    good = inventory.add_reservation(COMPRESSOR)
    bad = inventory.add_reservation(FILTER, status=status)
    response = await post_repair(billing, repair_body(reservation_ids=[good, bad]))
    assert_problem(response, 409, "reservation_not_active")
    assert inventory.consumed == [] and warranty.claims == []
    assert (await billing.get("/invoices")).json()["items"] == []
    # The bill stopped and let its reservations go: the good one can be billed on its own.
    response = await post_repair(billing, repair_body(reservation_ids=[good]), key="repair-2")
    assert response.status_code == 201 and response.json()["number"] == "INV-2026-000001"


async def test_unknown_reservation_is_404(billing, inventory):
    response = await post_repair(billing, repair_body(reservation_ids=[999]))
    assert_problem(response, 404, "reservation_not_found")


async def test_unknown_unit_is_404_and_nothing_is_consumed(billing, inventory):
    rid = inventory.add_reservation(COMPRESSOR)
    response = await post_repair(billing, repair_body(serial_number="XX-999999", reservation_ids=[rid]))
    assert_problem(response, 404, "unit_not_found")
    assert inventory.consumed == []
    response = await post_repair(billing, repair_body(reservation_ids=[rid]), key="repair-2")
    assert response.status_code == 201


async def test_unknown_cause_refused_by_warranty_is_422_with_its_field_errors(billing):
    response = await post_repair(billing, repair_body(causes=["gremlins"]))
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == [{"field": "causes.0", "message": "unknown code"}]


@pytest.mark.parametrize(
    "change",
    [
        {"labor_hours": 2.5},
        {"labor_hours": "-1"},
        {"visits": "1"},
        {"visits": True},
        {"reservation_ids": ["101"]},
        {"reservation_ids": [101, 101]},
        {"serial_number": "bad serial!"},
        {"performed_on": "01/03/2026"},
        {"performed_on": "2026-03-03"},
        {"certificate": {**CERTIFICATE, "colour": "red"}},
        {"discount": "10"},
    ],
)
async def test_invalid_repair_is_422(billing, warranty, change):
    response = await post_repair(billing, repair_body(**change))
    assert_problem(response, 422, "validation_error")
    assert warranty.claims == []


async def test_same_key_and_body_replays_the_same_bill(billing, inventory, warranty):
    rid = inventory.add_reservation(COMPRESSOR)
    first = await post_repair(billing, repair_body(reservation_ids=[rid]))
    again = await post_repair(billing, repair_body(reservation_ids=[rid]))
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(warranty.claims) == 1 and inventory.consumes_of(rid) == 1


async def test_same_key_with_another_body_is_422(billing):
    assert (await post_repair(billing, repair_body())).status_code == 201
    response = await post_repair(billing, repair_body(visits=2))
    assert_problem(response, 422, "idempotency_key_reused")


async def test_repairs_without_a_key_make_one_bill_each(billing):
    first = await post_repair(billing, repair_body(), key=None)
    second = await post_repair(billing, repair_body(), key=None)
    assert [first.json()["number"], second.json()["number"]] == ["INV-2026-000001", "INV-2026-000002"]


async def test_reservation_on_an_issued_bill_cannot_be_billed_again(billing, inventory, warranty):
    rid = inventory.add_reservation(COMPRESSOR)
    first = await post_repair(billing, repair_body(reservation_ids=[rid]))
    response = await post_repair(billing, repair_body(reservation_ids=[rid]), key="repair-2")
    body = assert_problem(response, 409, "reservation_not_active")
    assert first.json()["number"] in body["detail"]
    assert len(warranty.claims) == 1


async def test_rate_change_after_a_bill_leaves_the_issued_bill_unchanged(billing, clock):
    first = (await post_repair(billing, repair_body())).json()
    response = await billing.put("/rates", json={"labor_rate_per_hour": "120.00", "callout_fee": "80.00",
                                                 "vat_rate": "0.06", "currency": "CNY"})
    assert response.status_code == 200, response.text
    clock.advance(minutes=1)
    second = (await post_repair(billing, repair_body(), key="repair-2")).json()
    assert second["rates"] == {"version": response.json()["version"], "labor_rate_per_hour": "120.00",
                               "callout_fee": "80.00",
                               "vat_rate": "0.06", "currency": "CNY"}
    assert (second["net"], second["vat"], second["total"]) == ("380.00", "22.80", "402.80")
    assert (await billing.get(f"/invoices/{first['number']}")).json() == first
    assert first["rates"]["version"] == 1 and first["total"] == "282.50"
