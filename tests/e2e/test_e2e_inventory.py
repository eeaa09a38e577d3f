"""Inventory end to end: the never-oversell promise through the real gateway."""

import asyncio

import httpx
import pytest

from platform_support import ADMIN_KEY

pytestmark = pytest.mark.e2e


def test_120_simultaneous_reservations_against_25_in_stock_through_the_gateway(platform):
    with platform.client() as admin:
        warehouse_key = admin.post("/admin/api-keys", json={
            "role": "warehouse", "name": "SC-RUSH desk", "warehouses": ["SC-RUSH"]}).json()["key"]
        assert admin.post("/inventory/parts", json={
            "part_number": "FAN-RUSH", "name": "Fan motor", "uom": "pcs", "list_price": "300.00",
            "out_of_warranty_price": "240.00"}).status_code == 201
        warehouse = {"code": "SC-RUSH", "name": "Rush centre", "kind": "service_center", "region": "shandong"}
        assert admin.post("/inventory/warehouses", json=warehouse).status_code == 201
        assert admin.post("/inventory/receipts", json={
            "warehouse": "SC-RUSH", "part_number": "FAN-RUSH", "qty": 25, "reference": "PO-RUSH"}).status_code == 201

    async def rush() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=120)
        async with httpx.AsyncClient(base_url=platform.url, headers={"X-API-Key": warehouse_key},
                                     timeout=60, limits=limits) as client:
            return await asyncio.gather(*(
                client.post("/inventory/reservations", json={
                    "warehouse": "SC-RUSH", "reference": f"R-{i}", "lines": [{"part_number": "FAN-RUSH", "qty": 1}]})
                for i in range(120)))

    responses = asyncio.run(rush())
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 25 and statuses.count(409) == 95, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"insufficient_stock"}
    with httpx.Client(base_url=platform.url, headers={"X-API-Key": ADMIN_KEY}) as admin:
        [row] = admin.get("/inventory/stock", params={"part_number": "FAN-RUSH"}).json()["items"]
        assert (row["on_hand"], row["reserved"], row["available"]) == (25, 25, 0)
        other = admin.post("/admin/api-keys", json={"role": "warehouse", "name": "x", "warehouses": ["SC-OTHER"]})
    with httpx.Client(base_url=platform.url, headers={"X-API-Key": other.json()["key"]}) as stranger:
        refused = stranger.post("/inventory/receipts", json={
            "warehouse": "SC-RUSH", "part_number": "FAN-RUSH", "qty": 1, "reference": "PO-X"})
        assert refused.status_code == 403 and refused.json()["code"] == "warehouse_forbidden"


def test_scope_loaners_audit_and_figures_through_the_gateway(platform):
    with platform.client() as admin:
        for code, region in (("SC-E2E-A", "shandong"), ("SC-E2E-B", "harbin")):
            assert admin.post("/inventory/warehouses", json={"code": code, "name": code, "kind": "service_center",
                                                             "region": region}).status_code == 201
        assert admin.post("/inventory/parts", json={
            "part_number": "LN-E2E", "name": "Loaner wall unit", "uom": "set", "list_price": "3000.00",
            "out_of_warranty_price": "3000.00", "loaner_class": "split_wall_3.5kW"}).status_code == 201
        for code in ("SC-E2E-A", "SC-E2E-B"):
            assert admin.post("/inventory/receipts", json={"warehouse": code, "part_number": "LN-E2E", "qty": 2,
                                                           "reference": "PO-E2E"}).status_code == 201
        key = admin.post("/admin/api-keys", json={"role": "warehouse", "name": "Harbin desk",
                                                  "warehouses": ["SC-E2E-B"]}).json()["key"]
    with httpx.Client(base_url=platform.url, headers={"X-API-Key": key}) as harbin:
        send = {"from_warehouse": "SC-E2E-B", "to_warehouse": "SC-E2E-A", "part_number": "LN-E2E", "qty": 1,
                "reference": "TR-E2E"}
        assert harbin.post("/inventory/transfers", json=send).status_code == 201  # out of its own: any target
        pull = {**send, "from_warehouse": "SC-E2E-A", "to_warehouse": "SC-E2E-B"}
        refused = harbin.post("/inventory/transfers", json=pull)
        assert refused.status_code == 403 and refused.json()["warehouse"] == "SC-E2E-A"
        writable = harbin.get("/inventory/warehouses", params={"writable": "true"}).json()["items"]
        assert [w["code"] for w in writable] == ["SC-E2E-B"]
        loaners = harbin.get("/inventory/loaners", params={"class": "split_wall_3.5kW", "region": "shandong"})
        assert [(r["warehouse"], r["available"]) for r in loaners.json()["items"]][:2] == [
            ("SC-E2E-A", 3), ("SC-E2E-B", 1)]
        assert harbin.get("/inventory/audit").status_code == 403
    with platform.client() as admin:
        moved = admin.get("/inventory/audit", params={"object_type": "movement", "actor": "Harbin desk"}).json()
        assert [e["action"] for e in moved["items"]] == ["transfer_in", "transfer_out"]
        figures = admin.get("/inventory/reports/parts", params={"group_by": "warehouse"})
        assert figures.status_code == 200 and figures.json()["group_by"] == "warehouse"
