"""Invoices: read, filtered lists, pay and void (both final)."""

import pytest

from billing_support import OTHER_SERIAL, post_repair, repair_body
from helpers import assert_problem

pytestmark = pytest.mark.anyio


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
    response = await billing.post(f"/invoices/{number}/pay")
    assert response.status_code == 200
    paid = response.json()
    assert (paid["status"], paid["paid_at"], paid["voided_at"]) == ("paid", "2026-03-03T09:00:00Z", None)
    assert paid["total"] == "282.50"
    assert_problem(await billing.post(f"/invoices/{number}/pay"), 409, "invalid_invoice_state")
    assert_problem(await billing.post(f"/invoices/{number}/void"), 409, "invalid_invoice_state")
    assert (await billing.get(f"/invoices/{number}")).json() == paid


async def test_void_then_nothing_more(billing):
    number = (await issue(billing, "a"))["number"]
    voided = (await billing.post(f"/invoices/{number}/void")).json()
    assert (voided["status"], voided["paid_at"]) == ("void", None)
    assert voided["voided_at"] == "2026-03-02T09:00:00Z"
    assert_problem(await billing.post(f"/invoices/{number}/void"), 409, "invalid_invoice_state")
    assert_problem(await billing.post(f"/invoices/{number}/pay"), 409, "invalid_invoice_state")


async def test_pay_or_void_an_unknown_invoice_is_404(billing):
    assert_problem(await billing.post("/invoices/INV-2026-000042/pay"), 404, "invoice_not_found")
    assert_problem(await billing.post("/invoices/INV-2026-000042/void"), 404, "invoice_not_found")


async def test_a_replay_after_payment_still_answers_the_issued_bill(billing):
    bill = await issue(billing, "a")
    await billing.post(f"/invoices/{bill['number']}/pay")
    assert (await post_repair(billing, repair_body(), key="a")).json() == bill


async def test_invoices_are_filtered_by_unit_and_state_and_paged(billing):
    mine = [await issue(billing, f"k{i}") for i in range(3)]
    other = await issue(billing, "other", serial_number=OTHER_SERIAL)
    await billing.post(f"/invoices/{mine[0]['number']}/pay")
    await billing.post(f"/invoices/{mine[1]['number']}/void")

    def numbers(page):
        return [b["number"] for b in page["items"]]

    everything = (await billing.get("/invoices")).json()
    assert numbers(everything) == [b["number"] for b in [*mine, other]]
    by_unit = (await billing.get("/invoices", params={"serial_number": "ac-100002"})).json()
    assert numbers(by_unit) == [other["number"]]
    issued = (await billing.get("/invoices", params={"status": "issued"})).json()
    assert numbers(issued) == [mine[2]["number"], other["number"]]
    both = (await billing.get("/invoices", params={"status": "paid", "serial_number": "AC-100001"})).json()
    assert numbers(both) == [mine[0]["number"]]
    page = (await billing.get("/invoices", params={"limit": 3})).json()
    assert numbers(page) == numbers(everything)[:3]
    rest = (await billing.get("/invoices", params={"limit": 3, "cursor": page["next_cursor"]})).json()
    assert numbers(rest) == [other["number"]] and rest["next_cursor"] is None
    assert_problem(await billing.get("/invoices", params={"status": "pending"}), 422, "validation_error")


async def test_bills_still_being_made_are_not_invoices(billing, warranty):
    warranty.plan("post_claim", "down")
    assert (await post_repair(billing, repair_body())).status_code == 503
    assert (await billing.get("/invoices")).json() == {"items": [], "next_cursor": None}
