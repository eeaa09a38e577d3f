"""Invoices: read, filtered lists (newest first), pay with a method and void (both final), the fapiao."""

import pytest

from shared import identity
from shared.context import Caller

from billing_support import CERTIFICATE, OTHER_SERIAL, post_repair, repair_body
from helpers import TOKEN, asgi_client, assert_problem

pytestmark = pytest.mark.anyio
CASH = {"method": "cash"}


async def issue(billing, key: str, **changes) -> dict:
    response = await post_repair(billing, repair_body(**changes), key=key)
    assert response.status_code == 201, response.text
    return response.json()


async def test_invoice_is_read_by_number(billing):
    bill = await issue(billing, "a")
    assert (await billing.get(f"/invoices/{bill['number']}")).json() == bill
    assert (await billing.get(f"/invoices/{bill['number'].lower()}")).json() == bill
    assert_problem(await billing.get("/invoices/INV-2026-999999"), 404, "invoice_not_found")


async def test_pay_then_nothing_more(billing, clock):
    number = (await issue(billing, "a"))["number"]
    clock.advance(days=1)
    response = await billing.post(f"/invoices/{number}/pay", json={"method": "wechat_pay", "reference": " WX-42 "})
    assert response.status_code == 200
    paid = response.json()
    assert (paid["status"], paid["paid_at"], paid["voided_at"]) == ("paid", "2026-03-03T09:00:00Z", None)
    assert paid["total"] == "282.50"
    assert paid["payment"] == {"method": "wechat_pay", "reference": "WX-42",
                               "taken_by": {"kind": "key", "id": "test-key", "name": "billing"}}
    assert_problem(await billing.post(f"/invoices/{number}/pay", json=CASH), 409, "invalid_invoice_state")
    assert_problem(await billing.post(f"/invoices/{number}/void"), 409, "invalid_invoice_state")
    assert (await billing.get(f"/invoices/{number}")).json() == paid


async def test_void_then_nothing_more(billing):
    number = (await issue(billing, "a"))["number"]
    voided = (await billing.post(f"/invoices/{number}/void")).json()
    assert (voided["status"], voided["paid_at"]) == ("void", None)
    assert voided["voided_at"] == "2026-03-02T09:00:00Z"
    assert_problem(await billing.post(f"/invoices/{number}/void"), 409, "invalid_invoice_state")
    assert_problem(await billing.post(f"/invoices/{number}/pay", json=CASH), 409, "invalid_invoice_state")


async def test_pay_or_void_an_unknown_invoice_is_404(billing):
    assert_problem(await billing.post("/invoices/INV-2026-000042/pay", json=CASH), 404, "invoice_not_found")
    assert_problem(await billing.post("/invoices/INV-2026-000042/void"), 404, "invoice_not_found")


async def test_a_replay_after_payment_still_answers_the_issued_bill(billing):
    bill = await issue(billing, "a")
    await billing.post(f"/invoices/{bill['number']}/pay", json=CASH)
    assert (await post_repair(billing, repair_body(), key="a")).json() == bill


async def test_invoices_are_filtered_by_unit_and_state_and_paged(billing):
    mine = [await issue(billing, f"k{i}") for i in range(3)]
    other = await issue(billing, "other", serial_number=OTHER_SERIAL)
    await billing.post(f"/invoices/{mine[0]['number']}/pay", json=CASH)
    await billing.post(f"/invoices/{mine[1]['number']}/void")

    def numbers(page):
        return [b["number"] for b in page["items"]]

    everything = (await billing.get("/invoices")).json()
    assert numbers(everything) == [b["number"] for b in [other, *reversed(mine)]]  # newest first
    by_unit = (await billing.get("/invoices", params={"serial_number": "ac-100002"})).json()
    assert numbers(by_unit) == [other["number"]]
    issued = (await billing.get("/invoices", params={"status": "issued"})).json()
    assert numbers(issued) == [other["number"], mine[2]["number"]]
    both = (await billing.get("/invoices", params={"status": "paid", "serial_number": "AC-100001"})).json()
    assert numbers(both) == [mine[0]["number"]]
    page = (await billing.get("/invoices", params={"limit": 3})).json()
    assert numbers(page) == numbers(everything)[:3]
    rest = (await billing.get("/invoices", params={"limit": 3, "cursor": page["next_cursor"]})).json()
    assert numbers(rest) == [mine[0]["number"]] and rest["next_cursor"] is None
    assert_problem(await billing.get("/invoices", params={"status": "pending"}), 422, "validation_error")


async def test_bills_still_being_made_are_not_invoices(billing, warranty):
    warranty.plan("post_claim", "down")
    assert (await post_repair(billing, repair_body())).status_code == 503
    assert (await billing.get("/invoices")).json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("body", [
    {}, {"method": "card"}, {"method": "cash", "reference": ""}, {"method": "cash", "extra": 1},
    {"method": "cash", "reference": "x" * 101},
])
async def test_a_payment_names_its_method_from_the_list(billing, body):
    number = (await issue(billing, "a"))["number"]
    assert_problem(await billing.post(f"/invoices/{number}/pay", json=body), 422, "validation_error")
    assert (await billing.get(f"/invoices/{number}")).json()["status"] == "issued"


async def test_the_payment_records_the_person_who_took_it(billing_settings, billing, clock):
    from services.billing.main import create_app

    number = (await issue(billing, "a"))["number"]
    signed = identity.headers(TOKEN, Caller(role="billing", key_id="user:7", kind="user", name="王会计"),
                              request_id="pay-1", deadline_ms="")
    person = {name.decode(): value.decode() for name, value in signed}
    async with asgi_client(create_app(billing_settings, clock=clock, recover=False), headers=person) as desk:
        paid = (await desk.post(f"/invoices/{number}/pay", json={"method": "bank_transfer"})).json()
    assert paid["payment"] == {"method": "bank_transfer", "reference": None,
                               "taken_by": {"kind": "user", "id": "user:7", "name": "王会计"}}


async def test_a_bill_that_charges_nothing_is_paid_when_issued_and_may_still_be_voided(billing):
    # Covered by warranty: no cause excludes it and the certificate was shown.
    bill = await issue(billing, "free", causes=["quality_defect"], certificate=CERTIFICATE)
    assert bill["total"] == "0.00" and bill["claim"]["decision"] == "approved"
    assert (bill["status"], bill["paid_at"]) == ("paid", bill["issued_at"])
    assert bill["payment"] == {"method": None, "reference": None, "taken_by": None}
    listed = (await billing.get("/invoices", params={"status": "issued"})).json()["items"]
    assert listed == []  # never "unpaid"
    assert_problem(await billing.post(f"/invoices/{bill['number']}/pay", json=CASH), 409, "invalid_invoice_state")
    voided = (await billing.post(f"/invoices/{bill['number']}/void")).json()
    assert voided["status"] == "void"


async def test_a_paid_bill_that_charged_money_cannot_be_voided(billing):
    number = (await issue(billing, "a"))["number"]
    await billing.post(f"/invoices/{number}/pay", json=CASH)
    assert_problem(await billing.post(f"/invoices/{number}/void"), 409, "invalid_invoice_state")


@pytest.mark.parametrize("number", ["12345678", "26372000000012345678"])
async def test_the_fapiao_is_recorded_and_may_be_corrected(billing, clock, number):
    bill = await issue(billing, "a")
    clock.advance(days=1)
    response = await billing.put(f"/invoices/{bill['number']}/fapiao", json={"number": number,
                                                                             "issued_on": "2026-03-03"})
    assert response.status_code == 200, response.text
    assert response.json()["fapiao"] == {"number": number, "issued_on": "2026-03-03",
                                         "recorded_at": "2026-03-03T09:00:00Z"}
    again = await billing.put(f"/invoices/{bill['number']}/fapiao", json={"number": "87654321",
                                                                          "issued_on": "2026-03-02"})
    assert again.json()["fapiao"]["number"] == "87654321"
    assert again.json()["status"] == "issued"  # recording the fapiao settles nothing


@pytest.mark.parametrize(("body", "field"), [
    ({"number": "1234567", "issued_on": "2026-03-02"}, "number"),
    ({"number": "123456789", "issued_on": "2026-03-02"}, "number"),
    ({"number": "1234567890123456789", "issued_on": "2026-03-02"}, "number"),
    ({"number": "1234567a", "issued_on": "2026-03-02"}, "number"),
    ({"number": "12345678", "issued_on": "2026-03-03"}, "issued_on"),  # tomorrow
    ({"number": "12345678", "issued_on": "2026-03-01"}, "issued_on"),  # before the bill
    ({"number": "12345678"}, "issued_on"),
])
async def test_a_fapiao_number_is_8_or_20_digits_dated_within_reason(billing, body, field):
    bill = await issue(billing, "a")
    problem = assert_problem(await billing.put(f"/invoices/{bill['number']}/fapiao", json=body), 422,
                             "validation_error")
    assert field in [e["field"] for e in problem["errors"]]


async def test_a_void_bill_takes_no_fapiao(billing):
    bill = await issue(billing, "a")
    await billing.post(f"/invoices/{bill['number']}/void")
    response = await billing.put(f"/invoices/{bill['number']}/fapiao", json={"number": "12345678",
                                                                             "issued_on": "2026-03-02"})
    assert_problem(response, 409, "invalid_invoice_state")
    assert_problem(await billing.put("/invoices/INV-2026-000042/fapiao",
                                     json={"number": "12345678", "issued_on": "2026-03-02"}),
                   404, "invoice_not_found")
