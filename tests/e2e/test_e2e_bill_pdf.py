"""Through the real gateway: a bill's PDF, reservations by reference, a contract ended early."""

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
SERIAL = "PDF-000001"


@pytest.fixture(scope="module")
def keys(platform):
    with platform.client() as admin:
        made = {role: admin.post("/admin/api-keys", json={"role": role, "name": f"pdf {role}"}).json()["key"]
                for role in ("billing", "warehouse", "station")}
        assert admin.post("/warranty/units", json={
            "serial_number": SERIAL, "model_code": "KFR-72LW", "product_name": "柜式空调 Cabinet AC",
            "site": {"name": "济南西站", "region": "shandong"}, "accepted_on": "2024-03-01"}).status_code == 201
        assert admin.post("/inventory/parts", json={
            "part_number": "CMP-PDF", "name": "压缩机 7.2 kW", "uom": "pcs", "list_price": "1280.00",
            "out_of_warranty_price": "1090.00"}).status_code == 201
        assert admin.post("/inventory/warehouses", json={
            "code": "SC-PDF", "name": "Jinan", "kind": "service_center", "region": "shandong"}).status_code == 201
        assert admin.post("/inventory/receipts", json={
            "warehouse": "SC-PDF", "part_number": "CMP-PDF", "qty": 5, "reference": "PO-PDF"}).status_code == 201
    return made


def test_a_repair_is_billed_from_its_reservations_and_printed(platform, keys, tmp_path):
    with platform.client(keys["warehouse"]) as warehouse:
        made = warehouse.post("/inventory/reservations", json={
            "warehouse": "SC-PDF", "reference": "RO-PDF-1", "lines": [{"part_number": "CMP-PDF", "qty": 1}]})
        assert made.status_code == 201
    with platform.client(keys["station"]) as station:
        found = station.get("/inventory/reservations", params={"reference": "RO-PDF-1", "status": "active"})
        assert found.status_code == 200
        assert [r["id"] for r in found.json()["items"]] == [made.json()["id"]]
    with platform.client(keys["billing"]) as billing:
        bill = billing.post("/billing/repairs", headers={"Idempotency-Key": "pdf-1"}, json={
            "serial_number": SERIAL, "repair_reference": "RO-PDF-1", "performed_on": "2025-07-01",
            "component": "cooling_system", "causes": ["improper_use"], "certificate": None,
            "reservation_ids": [made.json()["id"]], "labor_hours": "2", "visits": 1}).json()
        assert bill["total"] == "1469.00"
        response = billing.get(f"/billing/invoices/{bill['number']}.pdf")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert billing.get(f"/billing/invoices/{bill['number']}").json()["number"] == bill["number"]
        missing = billing.get("/billing/invoices/INV-1999-000001.pdf")
        assert missing.status_code == 404 and missing.json()["code"] == "invoice_not_found"
    with platform.client(keys["station"]) as station:
        assert station.get(f"/billing/invoices/{bill['number']}.pdf").status_code == 403
    if shutil.which("pdftotext"):
        (tmp_path / "bill.pdf").write_bytes(response.content)
        text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "bill.pdf"), "-"], capture_output=True,
                              check=True).stdout.decode()
        for expected in (bill["number"], SERIAL, "KFR-72LW", "RO-PDF-1", "CMP-PDF", "1,090.00", "CNY 1,469.00"):
            assert expected in text, expected


def test_a_contract_is_ended_early_through_the_gateway(platform, keys):
    with platform.client(keys["billing"]) as billing:
        contract = billing.post("/billing/contracts", json={
            "customer": "济南西站", "serial_numbers": [SERIAL], "starts_on": "2025-01-01", "ends_on": "2025-12-31",
            "includes_labor": True, "parts_discount_pct": "10"}).json()
        cancelled = billing.post(f"/billing/contracts/{contract['id']}/cancel",
                                 json={"ends_on": "2025-06-01", "reason": "客户搬迁"})
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled" and cancelled.json()["ends_on"] == "2025-06-01"
        visits = billing.get(f"/billing/contracts/{contract['id']}/visits").json()
        assert max(v["date"] for v in visits) <= "2025-06-01"
        again = billing.post(f"/billing/contracts/{contract['id']}/cancel",
                             json={"ends_on": "2025-05-01", "reason": "again"})
        assert again.status_code == 409 and again.json()["code"] == "invalid_contract_state"


COMPANY = {"name": "山东海信空调售后服务有限公司", "address": "济南市历下区经十路 100 号",
           "taxpayer_id": "91370100MA3C4XYZ1K", "bank": "中国工商银行济南分行", "account": "1602001209100123456",
           "phone": "0531-88886666"}


def pdf_text(pdf: bytes, tmp_path) -> str:
    (tmp_path / "signed.pdf").write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(tmp_path / "signed.pdf"), "-"], capture_output=True,
                          check=True).stdout.decode()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) absent")
def test_the_bill_a_customer_signs_names_company_and_customer_and_links_the_bill_it_replaces(platform, keys, tmp_path):
    with platform.client() as admin:
        assert admin.put("/billing/company", json=COMPANY).status_code == 200
    with platform.client(keys["billing"]) as billing:
        assert billing.put("/billing/company", json=COMPANY).status_code == 403  # only an admin sets it
    with platform.client(keys["warehouse"]) as warehouse:
        made = warehouse.post("/inventory/reservations", json={
            "warehouse": "SC-PDF", "reference": "RO-PDF-2", "lines": [{"part_number": "CMP-PDF", "qty": 1}]})
        assert made.status_code == 201, made.text
    body = {"serial_number": SERIAL, "repair_reference": "RO-PDF-2", "performed_on": "2025-07-01",
            "component": "cooling_system", "causes": ["improper_use"], "certificate": None,
            "reservation_ids": [made.json()["id"]], "labor_hours": "2", "visits": 1}
    with platform.client(keys["billing"]) as billing:
        first = billing.post("/billing/repairs", json=body, headers={"Idempotency-Key": "pdf-2a"}).json()
        billing.post(f"/billing/invoices/{first['number']}/void")
        second = billing.post("/billing/repairs", json=body, headers={"Idempotency-Key": "pdf-2b"}).json()
        assert second["replaces"] == first["number"]
        text = pdf_text(billing.get(f"/billing/invoices/{second['number']}.pdf").content, tmp_path)
    for expected in ("91370100MA3C4XYZ1K", "0531-88886666", "Customer", "Technician's signature",
                     "Customer's signature", "Company seal", f"Replaces void bill {first['number']}"):
        assert expected in text, expected
    # Chinese reads back from an embedded face, or through poppler-data's CMaps for the fallback CID font.
    from shared import pdf

    if pdf._face() is not None or Path("/usr/share/poppler/cMap/Adobe-GB1").is_dir():
        for expected in ("山东海信空调售后服务有限公司", "济南西站", "维修技师签字", "客户签字", "公司盖章"):
            assert expected in text, expected
