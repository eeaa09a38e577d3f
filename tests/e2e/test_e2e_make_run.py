"""`make run` end to end: the launcher, the processes, and a unit from registration to claims."""

import signal
import subprocess
import sys
import time

import httpx
import pytest

from platform_support import ADMIN_KEY, ROOT, platform_env, port_open, wait_ready

pytestmark = pytest.mark.e2e


def test_make_run_serves_warranty_through_the_gateway_and_stops_on_sigterm(tmp_path):
    env = platform_env(tmp_path / "data")
    launcher = subprocess.Popen([sys.executable, "-m", "scripts.run"], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ports = [int(env[f"{n}_PORT"]) for n in ("GATEWAY", "WARRANTY", "INVENTORY", "BILLING")]
    try:
        gateway = f"http://127.0.0.1:{ports[0]}"
        wait_ready(gateway + "/readyz", process=launcher)
        assert (tmp_path / "data" / "warranty.sqlite3").exists()
        with httpx.Client(base_url=gateway, headers={"X-API-Key": ADMIN_KEY}, timeout=10) as admin:
            station_key = admin.post("/admin/api-keys", json={"role": "station", "name": "Station 7"}).json()["key"]
            unit = {"serial_number": "E2E-000001", "model_code": "KFR-72LW", "product_name": "Cabinet AC",
                    "site": {"name": "Jinan Hospital", "region": "shandong"}, "accepted_on": "2024-03-01",
                    "certificate": {"number": "C-1"}}
            assert admin.post("/warranty/units", json=unit).status_code == 201
        with httpx.Client(base_url=gateway, headers={"X-API-Key": station_key}, timeout=10) as station:
            claim = {"serial_number": "e2e-000001", "failed_on": "2025-07-01", "component": "cooling_system",
                     "causes": ["quality_defect"],
                     "certificate": {"number": "C-1", "product_name": "Cabinet AC", "model_code": "KFR-72LW",
                                     "serial_number": "E2E-000001"}}
            approved = station.post("/warranty/claims", json=claim)
            assert approved.status_code == 201 and approved.json()["decision"] == "approved"
            rejected = station.post("/warranty/claims", json={**claim, "causes": ["unstable_power_supply"],
                                                              "certificate": None})
            assert rejected.json()["decision"] == "rejected"
            assert [r["code"] for r in rejected.json()["reasons"]] == ["excluded_power_supply",
                                                                       "excluded_certificate"]
            history = station.get("/warranty/units/E2E-000001/history").json()["items"]
            assert [h["decision"] for h in history] == ["approved", "rejected"]
            assert station.post("/warranty/units", json=unit).json()["code"] == "forbidden"
            spec = station.get("/openapi.json").json()
            assert {"/warranty/claims", "/inventory/reservations", "/billing/repairs",
                    "/servicedesk/tickets"} <= set(spec["paths"])
        # Services refuse requests that did not come through the gateway.
        direct = httpx.get(f"http://127.0.0.1:{ports[1]}/units/E2E-000001", timeout=5)
        assert direct.status_code == 401 and direct.json()["code"] == "internal_token_required"
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            code = launcher.wait(timeout=20)
        except subprocess.TimeoutExpired:
            launcher.kill()
            raise
    assert code == 0
    deadline = time.monotonic() + 5
    while any(port_open(p) for p in ports) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(port_open(p) for p in ports)
