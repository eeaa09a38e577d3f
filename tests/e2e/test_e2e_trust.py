"""The trust boundary end to end, tried as an attacker would: the real gateway and services.

Each test replays a defect of issue 8 as it was found against `make run`: a path that became a
header line (CRLF smuggling of `x-caller-role: admin`), a second request smuggled onto a pooled
connection, HEAD that hung, serials with `%20`/`%2F`, ids past the integer range, identity
headers forged or doubled straight at a service, and a service woken late from SIGSTOP.
"""

import os
import signal
import socket
import time
import uuid

import httpx
import pytest

from shared import context, identity

from platform_support import ADMIN_KEY, Platform

pytestmark = pytest.mark.e2e
TOKEN = "e2e-internal-token"


def raw_exchange(port: int, request: bytes, timeout: float = 15.0) -> tuple[int, dict, bytes]:
    """Send bytes exactly as written (no client normalises the target) and read one answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, headers, body


def assert_problem_response(status: int, headers: dict, allowed: tuple[int, ...]) -> None:
    assert status in allowed, status
    assert headers["content-type"].startswith("application/problem+json"), headers


@pytest.fixture(scope="module")
def site(platform):
    """Two warehouses, a part, a unit, and a warehouse key limited to SC-01."""
    with platform.client() as admin:
        for code in ("TR-01", "TR-02"):
            response = admin.post("/inventory/warehouses", json={
                "code": code, "name": f"Trust {code}", "kind": "service_center", "region": "shandong"})
            assert response.status_code in (201, 409), response.text
        response = admin.post("/inventory/parts", json={
            "part_number": "TR-P1", "name": "Fan motor", "uom": "pcs", "list_price": "100.00",
            "out_of_warranty_price": "90.00"})
        assert response.status_code in (201, 409), response.text
        response = admin.post("/warranty/units", json={
            "serial_number": "TRUST-000001", "model_code": "KFR-72LW", "product_name": "Cabinet AC",
            "site": {"name": "Qilu Mall", "region": "shandong"}, "accepted_on": "2024-03-01",
            "certificate": {"number": "C-1"}})
        assert response.status_code in (201, 409), response.text
        key = admin.post("/admin/api-keys", json={"role": "warehouse", "name": "TR-01 only",
                                                  "warehouses": ["TR-01"]}).json()["key"]
    return {"key": key}


def on_hand(platform, warehouse: str) -> int:
    with platform.client() as admin:
        items = admin.get("/inventory/stock", params={"part_number": "TR-P1", "warehouse": warehouse}).json()["items"]
        return items[0]["on_hand"] if items else 0


def test_crlf_in_the_path_cannot_make_a_warehouse_key_admin(platform, site):
    before = on_hand(platform, "TR-02")
    body = b'{"warehouse": "TR-02", "part_number": "TR-P1", "qty": 5, "reference": "SMUGGLED"}'
    for injected in ("x-caller-role:%20admin", "x-caller-warehouses:%20TR-02", "x-caller-key-id:%20someone"):
        target = f"/inventory/receipts%20HTTP/1.1%0D%0A{injected}%0D%0Ax:%20".encode()
        request = (b"POST " + target + b" HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + site["key"].encode()
                   + b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
                   + b"\r\nConnection: close\r\n\r\n" + body)
        status, headers, _answer = raw_exchange(platform.port("gateway"), request)
        assert_problem_response(status, headers, (400, 403, 404, 422))
    # and the honest request at the other warehouse is still forbidden
    with httpx.Client(base_url=platform.url, headers={"X-API-Key": site["key"]}) as warehouse:
        response = warehouse.post("/inventory/receipts", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 403 and response.json()["code"] == "warehouse_forbidden"
    assert on_hand(platform, "TR-02") == before


def test_a_smuggled_request_never_answers_the_next_caller(platform, site):
    smuggle = ("/warranty/units/NOPE%20HTTP/1.1%0D%0AHost:%20x%0D%0AContent-Length:%200%0D%0A%0D%0A"
               "GET%20/policy%20HTTP/1.1%0D%0Ax:%20")
    with httpx.Client(base_url=platform.url, headers={"X-API-Key": ADMIN_KEY}, timeout=15) as client:
        for _ in range(3):
            answer = client.get(smuggle)
            assert answer.status_code in (400, 404, 422)
            assert answer.headers["content-type"].startswith("application/problem+json")
            for _ in range(5):  # every later answer on the pooled connections is its own
                unit = client.get("/warranty/units/TRUST-000001")
                assert unit.status_code == 200, unit.text
                assert unit.json()["serial_number"] == "TRUST-000001"


def test_head_answers_at_once_wherever_get_does(platform, site):
    with httpx.Client(base_url=platform.url, headers={"X-API-Key": ADMIN_KEY}, timeout=15) as client:
        for path in ("/warranty/units/TRUST-000001", "/inventory/stock", "/billing/rates", "/healthz",
                     "/admin/api-keys", "/warranty/units/NOPE"):
            started = time.monotonic()
            head = client.head(path)
            get = client.get(path)
            assert time.monotonic() - started < 3.0, path
            assert head.status_code == get.status_code, path
            assert head.content == b"", path
            assert head.headers.get("content-length") == get.headers.get("content-length"), path


@pytest.mark.parametrize("serial", ["AB%20CD-123", "AB%2FCD-123", "AB%3FCD-123", "AB%0D%0ACD-123", "AB%00CD"])
def test_a_serial_that_carries_an_encoded_character_is_a_problem_from_warranty(platform, site, serial):
    with httpx.Client(base_url=platform.url, headers={"X-API-Key": ADMIN_KEY}, timeout=15) as client:
        for suffix in ("", "/coverage?on=2025-07-01&component=cooling_system", "/history"):
            response = client.get(f"/warranty/units/{serial}{suffix}")
            assert response.status_code in (404, 422), (serial, suffix, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert "x-caller-role" not in response.text


def test_a_raw_control_character_in_the_target_is_a_400_problem(platform):
    request = b"GET /warranty/units/A\x01B HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + ADMIN_KEY.encode() + b"\r\n\r\n"
    status, headers, body = raw_exchange(platform.port("gateway"), request)
    assert_problem_response(status, headers, (400,))
    assert b'"code":"invalid_request_target"' in body


@pytest.mark.parametrize("path", [
    "/warranty/claims/1213118108129271352731956674560", "/warranty/claims/-1", "/warranty/claims/abc",
    "/inventory/reservations/99999999999999999999", "/inventory/reservations/0",
    "/billing/contracts/2147483648", "/billing/contracts/-5/visits",
])
def test_an_id_that_cannot_exist_is_404_or_422(platform, path):
    with platform.client() as admin:
        response = admin.get(path)
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def signed_headers(caller: context.Caller, deadline_ms: str = "") -> list[tuple[str, str]]:
    return [(k.decode(), v.decode()) for k, v in
            identity.headers(TOKEN, caller, request_id=uuid.uuid4().hex, deadline_ms=deadline_ms)]


def test_identity_headers_forged_or_doubled_straight_at_a_service_are_refused(platform, site):
    """Even someone who has the internal token cannot claim a role without the signature."""
    receipt = {"warehouse": "TR-02", "part_number": "TR-P1", "qty": 1, "reference": "DIRECT"}
    before = on_hand(platform, "TR-02")
    limited = context.Caller(role="warehouse", key_id="k", warehouses=frozenset({"TR-01"}))
    url = f"http://127.0.0.1:{platform.port('inventory')}/receipts"
    attempts = [
        ([("X-Internal-Token", TOKEN), ("X-Caller-Role", "admin")], 401, "invalid_caller_signature"),
        ([*signed_headers(limited), ("X-Caller-Role", "admin")], 400, "duplicate_identity_header"),
        ([("X-Caller-Warehouses", "TR-02"), *signed_headers(limited)], 400, "duplicate_identity_header"),
        ([(k, "TR-02" if k == "x-caller-warehouses" else v) for k, v in signed_headers(limited)], 401,
         "invalid_caller_signature"),
        ([(k, "wrong" if k == "x-internal-token" else v) for k, v in signed_headers(limited)], 401,
         "internal_token_required"),
    ]
    for headers, status, code in attempts:
        response = httpx.post(url, json=receipt, headers=headers, timeout=10)
        assert response.status_code == status, response.text
        assert response.json()["code"] == code
    honest = httpx.post(url, json=receipt, headers=signed_headers(limited), timeout=10)
    assert honest.status_code == 403 and honest.json()["code"] == "warehouse_forbidden"
    assert on_hand(platform, "TR-02") == before


@pytest.fixture(scope="module")
def quick_platform(tmp_path_factory):
    """A platform whose gateway gives up after 2 s, to replay a hung service quickly."""
    running = Platform(tmp_path_factory.mktemp("quick"))
    running.env["GATEWAY_TIMEOUT_SECONDS"] = "2"
    running.start()
    try:
        yield running
    finally:
        running.close()


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs SIGSTOP")
def test_a_service_woken_after_the_deadline_does_nothing(quick_platform):
    platform = quick_platform
    with platform.client() as admin:
        assert admin.post("/inventory/warehouses", json={
            "code": "HG-01", "name": "Hung", "kind": "service_center", "region": "shandong"}).status_code == 201
        assert admin.post("/inventory/parts", json={
            "part_number": "HG-P1", "name": "Valve", "uom": "pcs", "list_price": "10.00",
            "out_of_warranty_price": "9.00"}).status_code == 201
    inventory = platform.processes["inventory"]
    os.kill(inventory.pid, signal.SIGSTOP)
    try:
        with platform.client() as admin:
            started = time.monotonic()
            response = admin.post("/inventory/receipts", json={
                "warehouse": "HG-01", "part_number": "HG-P1", "qty": 7, "reference": "LATE"})
            elapsed = time.monotonic() - started
        assert response.status_code == 504, response.text
        assert response.json()["code"] == "upstream_timeout" and response.headers["retry-after"]
        assert elapsed < 5
    finally:
        os.kill(inventory.pid, signal.SIGCONT)
    time.sleep(1.0)  # inventory now reads the request the gateway gave up on
    with platform.client() as admin:
        stock = admin.get("/inventory/stock", params={"part_number": "HG-P1", "warehouse": "HG-01"}).json()["items"]
        movements = admin.get("/inventory/movements", params={"part_number": "HG-P1"}).json()["items"]
    assert [row["on_hand"] for row in stock] in ([], [0])
    assert movements == []


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs SIGSTOP")
def test_a_bill_with_inventory_hung_is_reported_by_billing_and_nothing_is_done_late(quick_platform):
    """Deadlines nest: billing gives up on inventory before the gateway gives up on billing,
    the late inventory refuses what it reads after waking, and a retry with the key bills once."""
    platform = quick_platform
    with platform.client() as admin:
        assert admin.post("/warranty/units", json={
            "serial_number": "HUNG-000001", "model_code": "KFR-72LW", "product_name": "Cabinet AC",
            "site": {"name": "Qilu Mall", "region": "shandong"}, "accepted_on": "2024-03-01",
            "certificate": {"number": "C-9"}}).status_code == 201
        assert admin.post("/inventory/warehouses", json={
            "code": "HG-02", "name": "Hung 2", "kind": "service_center", "region": "shandong"}).status_code == 201
        assert admin.post("/inventory/parts", json={
            "part_number": "HG-P2", "name": "Compressor", "uom": "pcs", "list_price": "100.00",
            "out_of_warranty_price": "90.00"}).status_code == 201
        assert admin.post("/inventory/receipts", json={
            "warehouse": "HG-02", "part_number": "HG-P2", "qty": 3, "reference": "PO-H"}).status_code == 201
        reservation = admin.post("/inventory/reservations", json={
            "warehouse": "HG-02", "reference": "RO-HUNG", "lines": [{"part_number": "HG-P2", "qty": 1}]}).json()["id"]
    repair = {"serial_number": "HUNG-000001", "repair_reference": "RO-HUNG", "performed_on": "2025-07-01",
              "component": "cooling_system", "causes": ["improper_use"], "certificate": None,
              "reservation_ids": [reservation], "labor_hours": "1", "visits": 1}
    key = {"Idempotency-Key": "hung-bill-1"}
    inventory = platform.processes["inventory"]
    os.kill(inventory.pid, signal.SIGSTOP)
    try:
        with platform.client() as admin:
            started = time.monotonic()
            response = admin.post("/billing/repairs", json=repair, headers=key)
            elapsed = time.monotonic() - started
    finally:
        os.kill(inventory.pid, signal.SIGCONT)
    assert response.status_code in (503, 504), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"]
    if elapsed < 1.9:  # answered by billing, the hop that waited, before the gateway's 2 s
        assert "inventory" in response.json()["detail"], response.text
    time.sleep(1.0)  # inventory reads whatever billing sent it while it was stopped
    with platform.client() as admin:
        assert admin.get(f"/inventory/reservations/{reservation}").json()["status"] == "active"
        assert admin.get("/billing/invoices", params={"serial_number": "HUNG-000001"}).json()["items"] == []
        first = admin.post("/billing/repairs", json=repair, headers=key)
        assert first.status_code == 201, first.text
        again = admin.post("/billing/repairs", json=repair, headers=key)
        assert again.status_code == 201 and again.json()["number"] == first.json()["number"]
        assert admin.get(f"/inventory/reservations/{reservation}").json()["status"] == "consumed"
        movements = admin.get("/inventory/movements", params={"part_number": "HG-P2"}).json()["items"]
        assert sorted(m["kind"] for m in movements) == ["issue", "receipt"]
