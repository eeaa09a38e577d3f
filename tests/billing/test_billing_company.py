"""GET/PUT /company: the company on every bill, in dated versions; an issued bill keeps the one it had."""

import pytest

from billing_support import post_repair, repair_body
from helpers import assert_problem

pytestmark = pytest.mark.anyio

COMPANY = {
    "name": "山东海信空调售后服务有限公司", "address": "济南市历下区经十路 100 号",
    "taxpayer_id": "91370100ma3c4xyz1k", "bank": "中国工商银行济南分行", "account": "1602 0012 0910 0123 456",
    "phone": "0531-88886666",
}


async def test_no_company_yet_is_a_404(billing):
    assert_problem(await billing.get("/company"), 404, "company_not_found")


async def test_each_change_is_a_new_version_read_back(billing, clock):
    first = await billing.put("/company", json=COMPANY)
    assert first.status_code == 200, first.text
    version = first.json()["version"]
    assert first.json() == {**COMPANY, "taxpayer_id": "91370100MA3C4XYZ1K", "version": version,
                            "created_at": "2026-03-02T09:00:00Z"}
    clock.advance(days=1)
    second = (await billing.put("/company", json={**COMPANY, "phone": "0531-80000000"})).json()
    assert (second["version"], second["phone"]) == (version + 1, "0531-80000000")
    assert (await billing.get("/company")).json() == second


async def test_an_issued_bill_keeps_the_company_it_was_issued_under(billing):
    version = (await billing.put("/company", json=COMPANY)).json()["version"]
    bill = (await post_repair(billing, repair_body())).json()
    assert bill["company"]["name"] == COMPANY["name"] and bill["company"]["version"] == version
    await billing.put("/company", json={**COMPANY, "name": "新名称有限公司"})
    assert (await billing.get(f"/invoices/{bill['number']}")).json()["company"]["name"] == COMPANY["name"]


async def test_a_bill_issued_before_any_company_names_none(billing):
    bill = (await post_repair(billing, repair_body())).json()
    assert bill["company"] is None


@pytest.mark.parametrize(("change", "field"), [
    ({"name": "  "}, "name"),
    ({"taxpayer_id": "9137-0100"}, "taxpayer_id"),
    ({"taxpayer_id": "91370100MA3C4XYZ1K12345"}, "taxpayer_id"),
    ({"account": "abc"}, "account"),
    ({"phone": "call me"}, "phone"),
    ({"fax": "1"}, "fax"),
])
async def test_a_wrong_company_is_422_and_changes_nothing(billing, change, field):
    response = await billing.put("/company", json={**COMPANY, **change})
    problem = assert_problem(response, 422, "validation_error")
    assert field in [e["field"] for e in problem["errors"]]
    assert_problem(await billing.get("/company"), 404, "company_not_found")


async def test_a_missing_field_is_422(billing):
    body = dict(COMPANY)
    del body["bank"]
    assert_problem(await billing.put("/company", json=body), 422, "validation_error")


@pytest.mark.parametrize(("role", "method", "allowed"), [
    ("admin", "PUT", True), ("billing", "PUT", False), ("billing", "GET", True), ("admin", "GET", True),
    ("station", "GET", False),
])
def test_only_an_admin_sets_the_company_at_the_gateway(role, method, allowed):
    from gateway import rules

    assert rules.allowed(role, method, "/billing/company") is allowed
