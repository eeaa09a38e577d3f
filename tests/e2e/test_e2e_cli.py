"""The `aftersales` command, installed with the project, run against the real platform."""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from platform_support import ADMIN_KEY

pytestmark = pytest.mark.e2e
EXECUTABLE = shutil.which("aftersales", path=str(Path(sys.executable).parent)) or shutil.which("aftersales")
HEADER = "serial_number,model_code,product_name,site_name,region,accepted_on,certificate_number\n"


def aftersales(platform, *args: str, key: str | None = ADMIN_KEY, cwd: Path | None = None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERSALES_")}
    env["AFTERSALES_URL"] = platform.url
    if key is not None:
        env["AFTERSALES_API_KEY"] = key
    assert EXECUTABLE, "aftersales is not installed (pip install -e .)"
    return subprocess.run([EXECUTABLE, *args], env=env, capture_output=True, text=True, timeout=120, cwd=cwd)


def test_import_sends_chunks_and_reports_bad_rows_by_their_row_in_the_file(platform, tmp_path):
    rows = [
        "CLI-000001,KFR-72LW,Cabinet AC,Qilu Mall,shandong,2024-05-17,WC-1",   # 1
        "CLI-000002,KFR-72LW,Cabinet AC,Qilu Mall,shandong,2024-02-30,",       # 2 bad date
        "CLI-000003,KFR-72LW,Cabinet AC,Qilu Mall,shandong,2024-05-17,",       # 3
        "CLI-000004,KFR-72LW,Cabinet AC,Qilu Mall,shandong,2024-05-17,",       # 4
        "CLI-000005,,Cabinet AC,Qilu Mall,shandong,2024-05-17,",               # 5 no model
        "cli-000001,KFR-72LW,Cabinet AC,Qilu Mall,shandong,2024-05-17,",       # 6 twice in the file
        "",                                                                     # a blank line is no row
        'CLI-000007,KFR-72LW,"Cabinet AC, 7.2 kW",济南市中心医院,shandong,2024-05-17,',  # 7
    ]
    source = tmp_path / "units.csv"
    source.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    done = aftersales(platform, "import", str(source), "--errors", str(bad), "--chunk-size", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["created:", "4", "skipped:", "0", "errors:", "3"]
    assert "7/7" in done.stderr  # the progress bar reached the end
    with bad.open(encoding="utf-8") as f:
        written = list(csv.DictReader(f))
    assert [(r["row"], r["serial_number"]) for r in written] == [
        ("2", "CLI-000002"), ("5", "CLI-000005"), ("6", "cli-000001")]
    assert written[2]["error_code"] == "duplicate_in_file" and "row 1" in written[2]["error_message"]
    assert all(r["error_code"] and r["error_message"] for r in written)
    assert written[0]["accepted_on"] == "2024-02-30"  # the row as it was, to correct and send again
    with platform.client() as admin:
        assert admin.get("/warranty/units/CLI-000007").json()["site"]["name"] == "济南市中心医院"
        assert admin.get("/warranty/units/CLI-000002").status_code == 404

    again = aftersales(platform, "import", str(source), "--chunk-size", "3")
    assert again.returncode == 0, again.stderr
    assert again.stdout.split() == ["created:", "0", "skipped:", "4", "errors:", "3"]
    assert "row 6: duplicate_in_file" in again.stderr


def test_a_file_the_platform_refuses_is_exit_1_with_the_problem_on_stderr(platform, tmp_path):
    source = tmp_path / "wrong.csv"
    source.write_text("serial,colour\nX-1,red\n", encoding="utf-8")
    done = aftersales(platform, "import", str(source))
    assert done.returncode == 1
    assert "unknown column 'colour'" in done.stderr and "invalid_import" in done.stderr
    assert done.stdout == ""


def test_coverage_as_a_table_and_as_json(platform, tmp_path):
    source = tmp_path / "one.csv"
    source.write_text(HEADER + "CLI-100001,KFR-72LW,Cabinet AC,Qilu Mall,shandong,2024-05-17,\n")
    assert aftersales(platform, "import", str(source)).returncode == 0
    done = aftersales(platform, "coverage", "cli-100001", "--on", "2025-07-01", "--json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["serial_number"] == "CLI-100001" and body["on"] == "2025-07-01"
    assert {c["component"] for c in body["components"]} >= {"unit", "cooling_system"}
    table = aftersales(platform, "coverage", "CLI-100001", "--on", "2025-07-01")
    assert table.returncode == 0 and table.stdout.splitlines()[0].split("\t")[:2] == ["component", "covered"]
    assert any(line.startswith("cooling_system\tyes\t") for line in table.stdout.splitlines())

    missing = aftersales(platform, "coverage", "NOPE-000001")
    assert missing.returncode == 1 and "unit_not_found" in missing.stderr
    assert aftersales(platform, "coverage", "CLI-100001", "--on", "2025-02-30").returncode == 2
    assert aftersales(platform, "coverage", "CLI-100001", key=None).returncode == 2
    after = aftersales(platform, "coverage", "CLI-100001", "--on", "2025-07-01", "--json", "--key", ADMIN_KEY,
                       key=None)
    assert after.returncode == 0 and json.loads(after.stdout) == body  # --key after the command too
    assert aftersales(platform, "coverage").returncode == 2


def test_keys_are_created_listed_and_revoked(platform):
    made = aftersales(platform, "keys", "create", "--role", "warehouse", "--name", "Jinan stores",
                      "--warehouse", "sc-01", "--warehouse", "SC-02")
    assert made.returncode == 0, made.stderr
    fields = dict(line.split(": ", 1) for line in made.stdout.splitlines())
    assert fields["role"] == "warehouse" and fields["warehouses"] == "SC-01, SC-02"
    assert "shown this once" in made.stderr
    with platform.client(fields["key"]) as holder:
        assert holder.get("/inventory/stock").status_code == 200

    listed = aftersales(platform, "keys", "list")
    assert listed.returncode == 0 and fields["id"] in listed.stdout and "Jinan stores" in listed.stdout
    assert fields["key"] not in listed.stdout

    # a station may not make keys: refused, exit 1, the problem on stderr
    station = aftersales(platform, "keys", "create", "--role", "station", "--name", "s")
    station_key = dict(line.split(": ", 1) for line in station.stdout.splitlines())["key"]
    refused = aftersales(platform, "keys", "create", "--role", "admin", "--name", "x", key=station_key)
    assert refused.returncode == 1 and "forbidden" in refused.stderr

    assert aftersales(platform, "keys", "revoke", fields["id"]).returncode == 0
    with platform.client(fields["key"]) as holder:
        assert holder.get("/inventory/stock").status_code == 401
    unknown = aftersales(platform, "keys", "revoke", "no-such-key")
    assert unknown.returncode == 1
    assert aftersales(platform, "keys", "create", "--name", "no role").returncode == 2
    bad_role = aftersales(platform, "keys", "create", "--role", "emperor", "--name", "x")
    assert bad_role.returncode == 1 and "role" in bad_role.stderr
