"""Billing's audit trail: rate card, company, contracts and every change of a bill, who and what."""

import pytest
from sqlalchemy import text

from billing_support import post_repair, repair_body
from helpers import TOKEN, asgi_client, assert_problem, internal_headers

pytestmark = pytest.mark.anyio
COMPANY = {"name": "海信售后", "address": "济南", "taxpayer_id": "91370100MA3C4XYZ1K", "bank": "工行",
           "account": "1602001209100123456", "phone": "0531-88886666"}


async def trail(billing_settings, clock, **query) -> list[dict]:
    from services.billing.main import create_app

    async with asgi_client(create_app(billing_settings, clock=clock, recover=False),
                           headers=internal_headers(role="manager", token=TOKEN)) as reader:
        response = await reader.get("/audit", params=query)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_each_change_leaves_one_entry_newest_first(billing, billing_settings, clock):
    await billing.put("/rates", json={"labor_rate_per_hour": "90.00", "callout_fee": "60.00", "vat_rate": "0.13"})
    await billing.put("/company", json=COMPANY)
    contract = (await billing.post("/contracts", json={
        "customer": "济南宾馆", "serial_numbers": ["AC-100001"], "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "includes_labor": False, "parts_discount_pct": "5"})).json()
    await billing.post(f"/contracts/{contract['id']}/cancel", json={"ends_on": "2026-06-30", "reason": "sold"})
    bill = (await post_repair(billing, repair_body())).json()
    await billing.put(f"/invoices/{bill['number']}/fapiao", json={"number": "12345678", "issued_on": "2026-03-02"})
    await billing.post(f"/invoices/{bill['number']}/pay", json={"method": "alipay", "reference": "ALI-1"})
    entries = await trail(billing_settings, clock)
    assert [e["action"] for e in entries] == [
        "bill.paid", "bill.fapiao_recorded", "bill.issued", "contract.cancelled", "contract.created",
        "company.updated", "rate_card.created"]
    assert all(e["service"] == "billing" and e["actor"] == {"kind": "key", "id": "test-key", "name": "billing"}
               for e in entries)
    paid, fapiao, issued = entries[:3]
    assert paid["object_id"] == fapiao["object_id"] == issued["object_id"] == bill["number"]
    assert paid["changes"] == {"status": ["issued", "paid"], "payment_method": [None, "alipay"],
                               "payment_reference": [None, "ALI-1"]}
    assert fapiao["changes"] == {"fapiao_number": [None, "12345678"], "fapiao_issued_on": [None, "2026-03-02"]}
    assert issued["changes"] == {"status": [None, "issued"], "total": [None, bill["total"]]}
    assert entries[3]["changes"]["ends_on"] == ["2026-12-31", "2026-06-30"]
    assert entries[5]["changes"]["name"] == [None, "海信售后"]
    assert entries[6]["changes"]["labor_rate_per_hour"] == [None, "90.00"]
    only_bill = await trail(billing_settings, clock, object_type="bill", object_id=bill["number"])
    assert len(only_bill) == 3


async def test_a_void_is_recorded_and_the_trail_cannot_be_edited(billing, billing_settings, clock, billing_db):
    bill = (await post_repair(billing, repair_body())).json()
    await billing.post(f"/invoices/{bill['number']}/void")
    [voided, _issued] = await trail(billing_settings, clock)
    assert (voided["action"], voided["changes"]) == ("bill.voided", {"status": ["issued", "void"]})
    with pytest.raises(Exception, match="append-only"), billing_db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entry"))


async def test_only_admin_and_manager_read_the_trail(billing):
    assert_problem(await billing.get("/audit"), 403, "forbidden")
