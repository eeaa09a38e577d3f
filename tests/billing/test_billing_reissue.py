"""Void and reissue (红冲): a void bill leaves its parts consumed and its repair billable again; the new
bill for the same repair takes the consumed reservations over (no second consume) and points back."""

import httpx
import pytest

from billing_support import COMPRESSOR, FILTER, SERIAL, post_repair, repair_body
from helpers import assert_problem

pytestmark = pytest.mark.anyio


async def billed(billing, body, key):
    response = await post_repair(billing, body, key=key)
    assert response.status_code == 201, response.text
    return response.json()


async def test_void_then_reissue_with_the_same_parts_consumes_nothing_more(billing, inventory, warranty):
    rids = [inventory.add_reservation(COMPRESSOR), inventory.add_reservation(FILTER)]
    first = await billed(billing, repair_body(reservation_ids=rids), "first")
    assert len(inventory.consumed) == 2
    stock_after_first = [dict(r) for r in inventory.reservations.values()]
    await billing.post(f"/invoices/{first['number']}/void")

    # Corrected: one more hour of labour. Same repair, same reservations, a new submission.
    second = await billed(billing, repair_body(reservation_ids=rids, labor_hours="3.5"), "second")
    assert len(inventory.consumed) == 2  # taken over, not consumed again
    assert [dict(r) for r in inventory.reservations.values()] == stock_after_first
    assert second["replaces"] == first["number"] and second["replaced_by"] is None
    assert second["reservation_ids"] == rids and second["unbilled_reservation_ids"] == []
    assert [x["description"] for x in second["lines"] if x["kind"] == "part"] == ["CMP-100 Compressor",
                                                                                 "FLT-2 Filter"]
    assert second["net"] != first["net"]  # the corrected labour
    assert len(warranty.claims) == 2  # the repair was adjudicated again, as billed again

    void = (await billing.get(f"/invoices/{first['number']}")).json()
    assert (void["status"], void["replaced_by"], void["replaces"]) == ("void", second["number"], None)
    assert void["reservation_ids"] == rids and void["lines"] == first["lines"]  # the void bill is unchanged
    listed = (await billing.get("/invoices", params={"repair_reference": "REP-2026-0001"})).json()["items"]
    assert [b["number"] for b in listed] == [second["number"], first["number"]]


async def test_a_second_void_and_reissue_points_to_the_latest(billing, inventory):
    rid = inventory.add_reservation(COMPRESSOR)
    body = repair_body(reservation_ids=[rid])
    first = await billed(billing, body, "1")
    await billing.post(f"/invoices/{first['number']}/void")
    second = await billed(billing, body, "2")
    await billing.post(f"/invoices/{second['number']}/void")
    third = await billed(billing, body, "3")
    assert (third["replaces"], inventory.consumes_of(rid)) == (second["number"], 1)
    assert (await billing.get(f"/invoices/{second['number']}")).json()["replaced_by"] == third["number"]


async def test_a_reissue_without_parts_still_points_back(billing):
    first = await billed(billing, repair_body(), "1")
    await billing.post(f"/invoices/{first['number']}/void")
    second = await billed(billing, repair_body(visits=2), "2")
    assert second["replaces"] == first["number"]


async def test_the_parts_of_a_void_bill_go_to_no_other_repair(billing, inventory):
    rid = inventory.add_reservation(COMPRESSOR)
    first = await billed(billing, repair_body(reservation_ids=[rid]), "1")
    await billing.post(f"/invoices/{first['number']}/void")
    other = await post_repair(billing, repair_body(reservation_ids=[rid], repair_reference="REP-OTHER"), key="2")
    assert_problem(other, 409, "reservation_not_active")
    assert inventory.consumes_of(rid) == 1


async def test_the_parts_of_a_bill_that_stands_are_not_taken(billing, inventory):
    rid = inventory.add_reservation(COMPRESSOR)
    await billed(billing, repair_body(reservation_ids=[rid]), "1")
    assert_problem(await post_repair(billing, repair_body(reservation_ids=[rid]), key="2"), 409,
                   "reservation_not_active")


async def test_a_refused_reissue_gives_the_parts_back_to_the_void_bill(billing, inventory, warranty):
    rid = inventory.add_reservation(COMPRESSOR)
    first = await billed(billing, repair_body(reservation_ids=[rid]), "1")
    await billing.post(f"/invoices/{first['number']}/void")
    refused = await post_repair(billing, repair_body(reservation_ids=[rid], causes=["lightning"]), key="2")
    assert_problem(refused, 422, "validation_error")  # warranty knows no such cause
    second = await billed(billing, repair_body(reservation_ids=[rid]), "3")
    assert second["replaces"] == first["number"] and inventory.consumes_of(rid) == 1


async def test_the_bill_is_made_out_to_the_site_or_the_contract_customer_and_keeps_it(billing, warranty):
    warranty.units[SERIAL]["site"] = {"name": "济南市中心医院", "address": "解放路 105 号", "region": "shandong"}
    bill = await billed(billing, repair_body(), "site")
    assert bill["customer"] == {"name": "济南市中心医院", "address": "解放路 105 号"}
    warranty.units[SERIAL]["site"]["name"] = "Renamed"
    assert (await billing.get(f"/invoices/{bill['number']}")).json()["customer"]["name"] == "济南市中心医院"
    await billing.post("/contracts", json={
        "customer": "济南宾馆集团", "serial_numbers": [SERIAL], "starts_on": "2026-01-01",
        "ends_on": "2026-12-31", "includes_labor": False, "parts_discount_pct": "0"})
    under_contract = await billed(billing, repair_body(repair_reference="REP-2"), "contract")
    assert under_contract["customer"] == {"name": "济南宾馆集团", "address": "解放路 105 号"}


async def test_a_claim_answered_without_the_site_has_the_unit_read_for_it(billing, warranty, monkeypatch):
    """A decision stored before warranty's answer named the site (an Idempotency-Key's replay) has none:
    the unit is then read, and the bill is made out to its site all the same."""
    warranty.units[SERIAL]["site"] = {"name": "济南市中心医院", "address": "解放路 105 号", "region": "shandong"}
    answered = warranty.post_claim

    def without_site(request):
        response = answered(request)
        body = response.json()
        del body["site"]
        return httpx.Response(response.status_code, json=body)

    monkeypatch.setattr(warranty, "post_claim", without_site)
    asked: list[str] = []
    warranty.observers.append(asked.append)
    bill = await billed(billing, repair_body(), "old-claim")
    assert bill["customer"] == {"name": "济南市中心医院", "address": "解放路 105 号"}
    assert asked == ["post_claim", "get_unit"]
