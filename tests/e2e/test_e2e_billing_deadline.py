"""The 10 s bill case, replayed: inventory hung (SIGSTOP) while a bill is made, through the real
gateway and real processes. Billing, not the gateway, reports it, before the gateway's timeout;
when inventory wakes nothing was consumed and no bill issued; a retry completes it exactly once.

Needs the deadline mechanism end to end: the gateway sends X-Request-Deadline, billing waits
less than it, and inventory refuses work that arrives after its own deadline."""

import signal
import sqlite3
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from gateway.config import GatewaySettings

# Until the gateway sends X-Request-Deadline (issue 8, wired by another branch), billing cannot know
# the gateway's budget and the gateway answers first: then these tests must fail, and say why.
ROOT = Path(__file__).parents[2]
GATEWAY_SENDS_DEADLINE = any("deadline" in f.read_text() for f in (ROOT / "gateway").glob("*.py"))
needs_gateway_deadline = pytest.mark.xfail(not GATEWAY_SENDS_DEADLINE, strict=True,
                                           reason="the gateway does not send X-Request-Deadline yet")
pytestmark = pytest.mark.e2e

GATEWAY_TIMEOUT = GatewaySettings().gateway_timeout_seconds
SERIAL = "HANG-000001"
PART = "CMP-HANG"
WAREHOUSE = "SC-HANG"


@pytest.fixture(scope="module")
def keys(platform):
    with platform.client() as admin:
        keys = {role: admin.post("/admin/api-keys", json={"role": role, "name": f"hang {role}"}).json()["key"]
                for role in ("billing", "warehouse")}
        unit = {"serial_number": SERIAL, "model_code": "KFR-72LW", "product_name": "Cabinet AC",
                "site": {"name": "Quancheng Square", "region": "shandong"}, "accepted_on": "2024-03-01",
                "certificate": {"number": "C-H"}}
        assert admin.post("/warranty/units", json=unit).status_code == 201
        part = {"part_number": PART, "name": "Compressor", "uom": "pcs", "list_price": "1200.00",
                "out_of_warranty_price": "960.00"}
        assert admin.post("/inventory/parts", json=part).status_code == 201
        warehouse = {"code": WAREHOUSE, "name": "Hang test centre", "kind": "service_center", "region": "shandong"}
        assert admin.post("/inventory/warehouses", json=warehouse).status_code == 201
        receipt = {"warehouse": WAREHOUSE, "part_number": PART, "qty": 10, "reference": "PO-H"}
        assert admin.post("/inventory/receipts", json=receipt).status_code == 201
    return keys


def reserve(platform, keys) -> int:
    with platform.client(keys["warehouse"]) as warehouse:
        response = warehouse.post("/inventory/reservations", json={
            "warehouse": WAREHOUSE, "reference": f"R-{uuid.uuid4().hex[:6]}",
            "lines": [{"part_number": PART, "qty": 1}]})
        assert response.status_code == 201, response.text
        return response.json()["id"]


def repair(reservation_id: int, reference: str) -> dict:
    return {"serial_number": SERIAL, "repair_reference": reference, "performed_on": "2025-07-01",
            "component": "cooling_system", "causes": ["improper_use"],
            "certificate": {"number": "C-H", "product_name": "Cabinet AC", "model_code": "KFR-72LW",
                            "serial_number": SERIAL},
            "reservation_ids": [reservation_id], "labor_hours": "2", "visits": 1}


def stock(admin: httpx.Client) -> tuple[int, int]:
    [row] = admin.get("/inventory/stock", params={"part_number": PART, "warehouse": WAREHOUSE}).json()["items"]
    return row["on_hand"], row["reserved"]


def issues(admin: httpx.Client) -> int:
    movements = admin.get("/inventory/movements", params={"part_number": PART, "warehouse": WAREHOUSE,
                                                          "limit": 500})
    return sum(1 for m in movements.json()["items"] if m["kind"] == "issue")


def post_with_inventory_hung(platform, billing: httpx.Client, body: dict, headers: dict) -> tuple[httpx.Response,
                                                                                                   float]:
    inventory = platform.processes["inventory"]
    inventory.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        response = billing.post("/billing/repairs", json=body, headers=headers, timeout=3 * GATEWAY_TIMEOUT)
        took = time.monotonic() - started
        # Inventory stays hung a while after the answer: whatever billing left behind must not run now.
        time.sleep(1.0)
    finally:
        inventory.send_signal(signal.SIGCONT)
    # Let inventory work through what was sent to it while it was stopped.
    with httpx.Client(timeout=30.0) as direct:
        assert direct.get(f"http://127.0.0.1:{platform.port('inventory')}/readyz").status_code == 200
    time.sleep(1.0)
    return response, took


def bill_state(platform, reference: str) -> str:
    """The state of the bill being made, read from billing's own database (SQLite under DATA_DIR)."""
    with sqlite3.connect(Path(platform.env["DATA_DIR"]) / "billing.sqlite3") as db:
        [(state,)] = db.execute("SELECT status FROM bill WHERE repair_reference = ?", (reference,)).fetchall()
    return state


def invoices_of(billing: httpx.Client, reference: str) -> list[dict]:
    response = billing.get("/billing/invoices", params={"repair_reference": reference})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def assert_reported_by_billing_in_time(response: httpx.Response, took: float) -> dict:
    assert response.status_code in (503, 504), response.text
    problem = response.json()
    assert problem["code"] == {503: "upstream_unavailable", 504: "upstream_timeout"}[response.status_code]
    assert int(response.headers["retry-after"]) > 0
    # The hop that waited on inventory reports it, before the gateway would have given up.
    assert "inventory" in problem["detail"], problem
    assert took < GATEWAY_TIMEOUT, took
    return problem


@needs_gateway_deadline
def test_inventory_hung_while_a_bill_is_made_issues_nothing_and_the_same_key_completes_it_once(platform, keys):
    reservation = reserve(platform, keys)
    reference = "RR-HANG-KEY"
    body = repair(reservation, reference)
    with platform.client() as admin, platform.client(keys["billing"]) as billing:
        before, issued_before = stock(admin), issues(admin)
        failed, took = post_with_inventory_hung(platform, billing, body, {"Idempotency-Key": "hang-1"})
        assert_reported_by_billing_in_time(failed, took)

        assert invoices_of(billing, reference) == []
        assert admin.get(f"/inventory/reservations/{reservation}").json()["status"] == "active"
        assert stock(admin) == before  # nothing consumed
        assert issues(admin) == issued_before  # no part issued at inventory

        done = billing.post("/billing/repairs", json=body, headers={"Idempotency-Key": "hang-1"})
        assert done.status_code == 201, done.text
        again = billing.post("/billing/repairs", json=body, headers={"Idempotency-Key": "hang-1"})
        assert again.status_code == 201 and again.json() == done.json()
        assert [b["number"] for b in invoices_of(billing, reference)] == [done.json()["number"]]
        assert admin.get(f"/inventory/reservations/{reservation}").json()["status"] == "consumed"
        assert stock(admin) == (before[0] - 1, before[1] - 1) and issues(admin) == issued_before + 1


@needs_gateway_deadline
def test_inventory_hung_without_a_key_answers_the_key_that_completes_the_same_bill(platform, keys):
    reservation = reserve(platform, keys)
    reference = "RR-HANG-NOKEY"
    body = repair(reservation, reference)
    with platform.client() as admin, platform.client(keys["billing"]) as billing:
        before = stock(admin)
        failed, took = post_with_inventory_hung(platform, billing, body, {})
        key = assert_reported_by_billing_in_time(failed, took)["idempotency_key"]

        assert invoices_of(billing, reference) == []
        assert admin.get(f"/inventory/reservations/{reservation}").json()["status"] == "active"
        assert stock(admin) == before

        done = billing.post("/billing/repairs", json=body, headers={"Idempotency-Key": key})
        assert done.status_code == 201, done.text
        assert [b["number"] for b in invoices_of(billing, reference)] == [done.json()["number"]]
        assert stock(admin) == (before[0] - 1, before[1] - 1)


@needs_gateway_deadline
def test_inventory_hung_on_the_consume_does_not_consume_it_when_it_wakes(platform, keys):
    """The reported case: inventory wakes after the client was told 504, with the consume waiting."""
    reservation = reserve(platform, keys)
    reference = "RR-HANG-CONSUME"
    body = repair(reservation, reference)
    warranty, inventory = platform.processes["warranty"], platform.processes["inventory"]
    with platform.client() as admin, platform.client(keys["billing"]) as billing:
        before, issued_before = stock(admin), issues(admin)
        # Hold the bill at its claim (warranty stopped) after the reservations were read, then stop
        # inventory and let the claim through: the next call billing makes is the consume, into a hung inventory.
        warranty.send_signal(signal.SIGSTOP)
        try:
            with ThreadPoolExecutor(1) as pool:
                started = time.monotonic()
                answer = pool.submit(billing.post, "/billing/repairs", json=body,
                                     headers={"Idempotency-Key": "hang-consume"}, timeout=3 * GATEWAY_TIMEOUT)
                time.sleep(2.0)
                inventory.send_signal(signal.SIGSTOP)
                warranty.send_signal(signal.SIGCONT)
                failed = answer.result()
                took = time.monotonic() - started
                time.sleep(1.0)
        finally:
            warranty.send_signal(signal.SIGCONT)
            inventory.send_signal(signal.SIGCONT)
        with httpx.Client(timeout=30.0) as direct:
            assert direct.get(f"http://127.0.0.1:{platform.port('inventory')}/readyz").status_code == 200
        time.sleep(1.0)  # inventory works through the consume that waited for it, past its deadline

        assert_reported_by_billing_in_time(failed, took)
        # The claim was decided before inventory hung: the call that hung was the consume. The bill's plan is
        # recorded with its first consume, so it reads begun.
        assert bill_state(platform, reference) == "begun"
        assert invoices_of(billing, reference) == []
        assert admin.get(f"/inventory/reservations/{reservation}").json()["status"] == "active"
        assert stock(admin) == before and issues(admin) == issued_before

        done = billing.post("/billing/repairs", json=body, headers={"Idempotency-Key": "hang-consume"})
        assert done.status_code == 201, done.text
        assert done.json()["claim"]["decision"] == "rejected"
        assert [b["number"] for b in invoices_of(billing, reference)] == [done.json()["number"]]
        assert stock(admin) == (before[0] - 1, before[1] - 1) and issues(admin) == issued_before + 1
