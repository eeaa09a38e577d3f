"""The restore drill against the real processes: `aftersales backup` while clients register units
through the gateway, restored into a fresh DATA_DIR, holds every unit whose 201 came back before the
backup started; `aftersales restore` into the running platform's DATA_DIR refuses and changes nothing."""

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def aftersales(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env.update({"DATA_DIR": str(data_dir), "COLUMNS": "200"})
    return subprocess.run([sys.executable, "-m", "cli.main", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_a_backup_of_the_running_platform_holds_every_acknowledged_unit(platform, tmp_path):
    data_dir = Path(platform.env["DATA_DIR"])
    acknowledged: list[str] = []
    stopping = threading.Event()

    def register() -> None:
        with platform.client() as http:
            n = 0
            while not stopping.is_set():
                n += 1
                serial = f"BK-{os.getpid()}-{n:05d}"
                response = http.post("/warranty/units", json={
                    "serial_number": serial, "model_code": "KFR-72LW", "product_name": "Cabinet air conditioner",
                    "site": {"name": "Jinan Hospital", "address": "1 Jingshi Rd"}, "project_code": "PRJ-BK",
                    "accepted_on": "2024-03-01", "certificate": {"number": "CERT-1"}})
                if response.status_code == 201:
                    acknowledged.append(serial)

    writer = threading.Thread(target=register, daemon=True)
    writer.start()
    while len(acknowledged) < 20:
        time.sleep(0.05)
    before = list(acknowledged)
    taken = aftersales(data_dir, "backup", str(tmp_path / "backup"))
    time.sleep(0.3)
    stopping.set()
    writer.join(30)
    assert taken.returncode == 0, taken.stderr

    refused = aftersales(data_dir, "restore", str(tmp_path / "backup"))
    assert refused.returncode == 1 and "running" in refused.stderr
    assert not list(data_dir.glob("before-restore-*"))

    fresh = tmp_path / "fresh"
    assert aftersales(fresh, "restore", str(tmp_path / "backup")).returncode == 0
    connection = sqlite3.connect(fresh / "warranty.sqlite3")
    found = {row[0] for row in connection.execute("SELECT serial_number FROM unit WHERE project_code = 'PRJ-BK'")}
    connection.close()
    assert set(before) <= found  # every write acknowledged before the backup started
    assert found <= set(acknowledged)  # and nothing that was not written (every request was answered by now)
