"""Billing end to end: real gateway, warranty, inventory and billing processes."""

import uuid

import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shop(platform):
    """A unit in warranty, a part in stock at a service centre, and keys for each desk."""
    with platform.client() as admin:
        keys = {role: admin.post("/admin/api-keys", json={"role": role, "name": f"e2e {role}"}).json()["key"]
                for role in ("billing", "warehouse")}
        unit = {"serial_number": "BILL-000001", "model_code": "KFR-72LW", "product_name": "Cabinet AC",
                "site": {"name": "Qilu Mall", "region": "shandong"}, "accepted_on": "2024-03-01",
                "certificate": {"number": "C-9"}}
        assert admin.post("/warranty/units", json=unit).status_code == 201
        part = {"part_number": "CMP-01", "name": "Compressor", "uom": "pcs", "list_price": "1200.00",
                "out_of_warranty_price": "960.00"}
        assert admin.post("/inventory/parts", json=part).status_code == 201
        warehouse = {"code": "SC-01", "name": "Jinan service centre", "kind": "service_center", "region": "shandong"}
        assert admin.post("/inventory/warehouses", json=warehouse).status_code == 201
        receipt = {"warehouse": "SC-01", "part_number": "CMP-01", "qty": 20, "reference": "PO-1"}
        assert admin.post("/inventory/receipts", json=receipt).status_code == 201
    return keys


def reserve(platform, shop, qty=1) -> int:
    with platform.client(shop["warehouse"]) as warehouse:
        response = warehouse.post("/inventory/reservations", json={
            "warehouse": "SC-01", "reference": f"R-{uuid.uuid4().hex[:6]}",
            "lines": [{"part_number": "CMP-01", "qty": qty}]})
        assert response.status_code == 201, response.text
        return response.json()["id"]


def repair(reservation_id: int, causes=("improper_use",), **changes) -> dict:
    body = {"serial_number": "BILL-000001", "repair_reference": f"RR-{reservation_id}", "performed_on": "2025-07-01",
            "component": "cooling_system", "causes": list(causes),
            "certificate": {"number": "C-9", "product_name": "Cabinet AC", "model_code": "KFR-72LW",
                            "serial_number": "BILL-000001"},
            "reservation_ids": [reservation_id], "labor_hours": "2", "visits": 1}
    body.update(changes)
    return body


def stock(platform) -> dict:
    with platform.client() as admin:
        [row] = admin.get("/inventory/stock", params={"part_number": "CMP-01", "warehouse": "SC-01"}).json()["items"]
        return row


def test_out_of_warranty_bill_is_priced_consumes_parts_and_is_paid(platform, shop):
    reservation = reserve(platform, shop)
    before = stock(platform)
    with platform.client(shop["billing"]) as billing:
        response = billing.post("/billing/repairs", json=repair(reservation), headers={"Idempotency-Key": "e2e-1"})
        assert response.status_code == 201, response.text
        bill = response.json()
        assert bill["claim"]["decision"] == "rejected" and bill["status"] == "issued"
        assert [(line["kind"], line["amount"]) for line in bill["lines"]] == [
            ("part", "960.00"), ("labor", "160.00"), ("callout", "50.00")]
        assert (bill["net"], bill["vat"], bill["total"], bill["warranty_cost"]) == (
            "1170.00", "152.10", "1322.10", "1410.00")
        assert bill["number"].startswith("INV-") and bill["currency"] == "CNY"
        again = billing.post("/billing/repairs", json=repair(reservation), headers={"Idempotency-Key": "e2e-1"})
        assert again.status_code == 201 and again.json() == bill
        paid = billing.post(f"/billing/invoices/{bill['number']}/pay", json={"method": "cash"})
        assert paid.status_code == 200 and paid.json()["status"] == "paid"
        assert paid.json()["payment"]["method"] == "cash"
    after = stock(platform)
    assert after["on_hand"] == before["on_hand"] - 1 and after["reserved"] == before["reserved"] - 1
    with platform.client() as admin:
        assert admin.get(f"/inventory/reservations/{reservation}").json()["status"] == "consumed"
        history = admin.get("/warranty/units/BILL-000001/history").json()["items"]
        assert bill["claim"]["id"] in [h["claim_id"] for h in history]


def test_in_warranty_bill_is_free_and_records_the_warranty_cost(platform, shop):
    reservation = reserve(platform, shop)
    with platform.client(shop["billing"]) as billing:
        bill = billing.post("/billing/repairs", json=repair(reservation, causes=["quality_defect"]),
                            headers={"Idempotency-Key": "e2e-2"}).json()
    assert bill["claim"]["decision"] == "approved" and bill["status"] == "paid"  # nothing to pay: settled
    assert (bill["net"], bill["vat"], bill["total"], bill["warranty_cost"]) == ("0.00", "0.00", "0.00", "1410.00")
    assert all(line["amount"] == "0.00" for line in bill["lines"])


def test_contract_bill_applies_discount_and_waives_labour_and_callout(platform, shop):
    with platform.client(shop["billing"]) as billing:
        contract = billing.post("/billing/contracts", json={
            "customer": "Qilu Mall", "serial_numbers": ["BILL-000001"], "starts_on": "2025-01-01",
            "ends_on": "2025-12-31", "includes_labor": True, "parts_discount_pct": "10"})
        assert contract.status_code == 201, contract.text
        visits = billing.get(f"/billing/contracts/{contract.json()['id']}/visits").json()
        assert [(v["date"], v["kind"]) for v in visits] == [
            ("2025-01-15", "inspection"), ("2025-03-15", "inspection"), ("2025-06-01", "maintenance"),
            ("2025-08-01", "inspection"), ("2025-11-15", "maintenance")]
        reservation = reserve(platform, shop)
        bill = billing.post("/billing/repairs", json=repair(reservation), headers={"Idempotency-Key": "e2e-3"}).json()
    assert [(line["kind"], line["amount"]) for line in bill["lines"]] == [
        ("part", "864.00"), ("labor", "0.00"), ("callout", "0.00")]
    assert (bill["net"], bill["vat"], bill["total"]) == ("864.00", "112.32", "976.32")


def test_inventory_down_during_a_bill_issues_nothing_and_a_retry_completes_it(platform, shop):
    reservation = reserve(platform, shop)
    body = repair(reservation, repair_reference="RR-FAULT")
    with platform.client(shop["billing"]) as billing:
        invoices_before = billing.get("/billing/invoices", params={"serial_number": "BILL-000001"}).json()["items"]
        platform.stop_service("inventory")
        try:
            failed = billing.post("/billing/repairs", json=body, headers={"Idempotency-Key": "e2e-fault"})
            assert failed.status_code in (503, 504), failed.text
            assert failed.json()["code"] in ("upstream_unavailable", "upstream_timeout")
            assert failed.headers["retry-after"]
            invoices = billing.get("/billing/invoices", params={"serial_number": "BILL-000001"}).json()["items"]
            assert invoices == invoices_before
        finally:
            platform.start_service("inventory")
        with platform.client() as admin:
            assert admin.get(f"/inventory/reservations/{reservation}").json()["status"] == "active"
        done = billing.post("/billing/repairs", json=body, headers={"Idempotency-Key": "e2e-fault"})
        assert done.status_code == 201, done.text
        again = billing.post("/billing/repairs", json=body, headers={"Idempotency-Key": "e2e-fault"})
        assert again.json()["number"] == done.json()["number"]
        invoices = billing.get("/billing/invoices", params={"serial_number": "BILL-000001"}).json()["items"]
        assert len(invoices) == len(invoices_before) + 1
    with platform.client() as admin:
        assert admin.get(f"/inventory/reservations/{reservation}").json()["status"] == "consumed"


def test_a_void_bill_is_reissued_with_the_same_parts_and_stock_is_unchanged_by_the_reissue(platform, shop):
    reservation = reserve(platform, shop)
    body = repair(reservation, repair_reference="RR-REISSUE")
    with platform.client(shop["billing"]) as billing:
        first = billing.post("/billing/repairs", json=body, headers={"Idempotency-Key": "e2e-r1"}).json()
        assert billing.post(f"/billing/invoices/{first['number']}/void").json()["status"] == "void"
        before = stock(platform)
        second = billing.post("/billing/repairs", json={**body, "labor_hours": "1"},
                              headers={"Idempotency-Key": "e2e-r2"})
        assert second.status_code == 201, second.text
        assert second.json()["replaces"] == first["number"]
        assert second.json()["reservation_ids"] == [reservation]
        assert stock(platform) == before  # taken over, not consumed again
        assert billing.get(f"/billing/invoices/{first['number']}").json()["replaced_by"] == second.json()["number"]
        year = first["issued_at"][:4]
        figures = billing.get("/billing/reports/billing", params={"from": f"{year}-01-01", "to": f"{year}-12-31"})
        assert figures.status_code == 200, figures.text
        assert sum(row["voided"] for row in figures.json()["rows"]) >= 1
