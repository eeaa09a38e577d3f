"""Metrics end to end: two gateway worker processes, every figure added up across them."""

from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from platform_support import ADMIN_KEY, Platform

pytestmark = pytest.mark.e2e
SERIAL = "METR-000001"
CERTIFICATE = {"number": "M-1", "product_name": "Cabinet AC", "model_code": "KFR-72LW", "serial_number": SERIAL}


@pytest.fixture(scope="module")
def two_gateways(tmp_path_factory):
    platform = Platform(tmp_path_factory.mktemp("metrics-platform"))
    platform.env["GATEWAY_WORKERS"] = "2"
    platform.env["RATE_LIMIT_PER_SECOND"] = "0"
    platform.start()
    try:
        yield platform
    finally:
        platform.close()


def scrape(platform: Platform, key: str) -> dict[tuple, float]:
    # A new connection each time: either worker may answer, and both must give the same sums.
    response = httpx.get(platform.url + "/metrics", headers={"X-API-Key": key}, timeout=30)
    assert response.status_code == 200, response.text
    types = [line.split()[2] for line in response.text.splitlines() if line.startswith("# TYPE ")]
    assert len(types) == len(set(types)), "a family described twice"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def serving_workers(platform: Platform) -> int:
    # prometheus_client writes one counter file per process once that process has counted something.
    return len(list((Path(platform.env["DATA_DIR"]) / "metrics" / "gateway").glob("counter_*.db")))


def test_counts_add_up_across_two_gateway_workers(two_gateways):
    platform = two_gateways
    with platform.client() as admin:
        key = admin.post("/admin/api-keys", json={"role": "metrics", "name": "prometheus"}).json()["key"]
        unit = {"serial_number": SERIAL, "model_code": "KFR-72LW", "product_name": "Cabinet AC",
                "site": {"name": "Qilu Mall", "region": "shandong"}, "accepted_on": "2024-03-01",
                "certificate": {"number": "M-1"}}
        assert admin.post("/warranty/units", json=unit).status_code == 201
        claim = {"serial_number": SERIAL, "failed_on": "2025-07-01", "component": "cooling_system",
                 "causes": ["quality_defect"], "certificate": CERTIFICATE}
        assert admin.post("/warranty/claims", json=claim).json()["decision"] == "approved"
        assert admin.post("/warranty/claims", json={**claim, "causes": ["improper_use"]}).json()["decision"] \
            == "rejected"
        assert admin.post("/inventory/parts", json={
            "part_number": "CMP-9", "name": "压缩机", "uom": "pcs", "list_price": "100.00",
            "out_of_warranty_price": "90.00"}).status_code == 201
        assert admin.post("/inventory/warehouses", json={
            "code": "SC-9", "name": "Jinan", "kind": "service_center", "region": "shandong"}).status_code == 201
        assert admin.post("/inventory/receipts", json={
            "warehouse": "SC-9", "part_number": "CMP-9", "qty": 2, "reference": "PO-9"}).status_code == 201
        lines = [{"part_number": "CMP-9", "qty": 1}]
        made = admin.post("/inventory/reservations", json={"warehouse": "SC-9", "reference": "R-1", "lines": lines})
        assert made.status_code == 201
        refused = admin.post("/inventory/reservations",
                             json={"warehouse": "SC-9", "reference": "R-2", "lines": [{**lines[0], "qty": 5}]})
        assert refused.status_code == 409
        bill = admin.post("/billing/repairs", headers={"Idempotency-Key": "metrics-1"}, json={
            "serial_number": SERIAL, "repair_reference": "R-1", "performed_on": "2025-07-02",
            "component": "cooling_system", "causes": ["improper_use"], "certificate": CERTIFICATE,
            "reservation_ids": [made.json()["id"]], "labor_hours": "1", "visits": 1})
        assert bill.status_code == 201, bill.text

    before = scrape(platform, key)
    route = dict(service="warranty", method="GET", route="/warranty/units/{serial}", status="200")
    sent = 0
    while sent < 40 or (serving_workers(platform) < 2 and sent < 400):
        # New connections, so that the kernel hands them to both workers.
        response = httpx.get(f"{platform.url}/warranty/units/{SERIAL}", headers={"X-API-Key": ADMIN_KEY})
        assert response.status_code == 200
        assert "x-route-template" not in response.headers
        sent += 1
    assert serving_workers(platform) == 2
    sums = [scrape(platform, key) for _ in range(6)]
    for after in sums:
        counted = value(after, "aftersales_gateway_requests_total", **route) \
            - value(before, "aftersales_gateway_requests_total", **route)
        assert counted == sent
        # the service saw the same requests, under its own template
        assert value(after, "aftersales_http_requests_total", service="warranty", method="GET",
                     route="/units/{serial}", status="200") >= sent
        assert value(after, "aftersales_worker_processes", service="gateway") == 2
        assert value(after, "aftersales_warranty_claims_total", decision="approved", service="warranty") == 1
        # the second claim and the bill's own claim were rejected
        assert value(after, "aftersales_warranty_claims_total", decision="rejected", service="warranty") == 2
        assert value(after, "aftersales_inventory_reservations_total", outcome="made", service="inventory") == 1
        assert value(after, "aftersales_inventory_reservations_total", outcome="refused", service="inventory") == 1
        assert value(after, "aftersales_billing_bills_issued_total", service="billing") == 1
        for name in ("warranty", "inventory", "billing"):
            assert value(after, "aftersales_service_up", service=name) == 1
    # no raw path ever becomes a label
    assert not [k for k in sums[0] if SERIAL in str(k)]
