"""`aftersales import-parts`, `import-warehouses` and `import-stock` (cli/stock_import.py), run as a process
against the real platform: bad rows by their spreadsheet row with their reasons, the stock as the API
reads it, a second run (with the same key or another) that receives nothing twice, and a key limited to one
warehouse that cannot load another's stock."""

import csv
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from platform_support import ADMIN_KEY

pytestmark = pytest.mark.e2e
EXECUTABLE = shutil.which("aftersales", path=str(Path(sys.executable).parent)) or shutil.which("aftersales")

PARTS = """part_number,name,uom,list_price,out_of_warranty_price,min_stock
OS-FAN-1,室外风机,pcs,300.00,240.00,5
os-cmp-1,压缩机,pcs,"1,280.00",1100,
OS-BAD-1,贵的配件,pcs,100.00,120.00,
OS-BAD-2,没有价格,pcs,abc,1.00,
"""
WAREHOUSES = """code,name,kind,region
OS-W1,济南服务中心库,service_center,shandong
OS-W2,青岛维修站库,repair_station,shandong
OS-W9,仓库,depot,shandong
"""
STOCK = """part_number,warehouse,qty,reference
OS-FAN-1,OS-W1,10,
OS-CMP-1,OS-W1,4,
OS-NOPE,OS-W1,3,
OS-FAN-1,OS-NOWHERE,3,
OS-CMP-1,OS-W2,-2,

os-fan-1,os-w1,7,
OS-FAN-1,OS-W2,5,PO-GO-LIVE
OS-CMP-1,OS-W2,0,
"""


def aftersales(platform, *args: str, key: str | None = ADMIN_KEY):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERSALES_")}
    env["AFTERSALES_URL"] = platform.url
    if key is not None:
        env["AFTERSALES_API_KEY"] = key
    assert EXECUTABLE, "aftersales is not installed (pip install -e .)"
    return subprocess.run([EXECUTABLE, *args], env=env, capture_output=True, text=True, timeout=120)


def counts(done) -> list[str]:
    return done.stdout.split()


def bad_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def stock(platform, part: str) -> dict[str, int]:
    with platform.client() as admin:
        items = admin.get("/inventory/stock", params={"part_number": part}).json()["items"]
    return {row["warehouse"]: row["on_hand"] for row in items if row["on_hand"]}


def receipts(platform, warehouse: str) -> list[tuple]:
    with platform.client() as admin:
        items = admin.get("/inventory/movements", params={"warehouse": warehouse, "limit": 500}).json()["items"]
    return [(m["part_number"], m["qty"], m["reference"]) for m in items if m["kind"] == "receipt"]


def test_parts_warehouses_and_opening_stock_from_files_with_bad_rows_and_no_double_stock(platform, tmp_path):
    files = {name: tmp_path / f"{name}.csv" for name in ("parts", "warehouses", "stock")}
    for name, text in (("parts", PARTS), ("warehouses", WAREHOUSES), ("stock", STOCK)):
        files[name].write_text(text, encoding="utf-8")
    bad = tmp_path / "bad.csv"

    parts = aftersales(platform, "import-parts", str(files["parts"]), "--errors", str(bad), "--lang", "en")
    assert parts.returncode == 1, parts.stderr  # a row failed
    assert counts(parts) == ["created:", "2", "skipped:", "0", "errors:", "2"]
    written = bad_rows(bad)
    assert [(r["row"], r["part_number"], r["error_code"]) for r in written] == [
        ("4", "OS-BAD-1", "validation_error"), ("5", "OS-BAD-2", "invalid_price")]
    assert "out-of-warranty price 120.00 is above" in written[0]["error"] and "'abc'" in written[1]["error"]
    with platform.client() as admin:
        part = admin.get("/inventory/parts/OS-CMP-1").json()
    assert (part["list_price"], part["out_of_warranty_price"], part["min_stock"]) == ("1280.00", "1100.00", 0)
    again = aftersales(platform, "import-parts", str(files["parts"]), "--lang", "en")
    assert counts(again) == ["created:", "0", "skipped:", "2", "errors:", "2"] and again.returncode == 1
    assert "skipped: rows 2, 3" in again.stderr and "row 5: invalid_price:" in again.stderr

    warehouses = aftersales(platform, "import-warehouses", str(files["warehouses"]), "--lang", "zh")
    assert warehouses.returncode == 1 and counts(warehouses) == ["created:", "2", "skipped:", "0", "errors:", "1"]
    assert "第 4 行: validation_error: 内容不合要求:kind:" in warehouses.stderr

    # opening stock, the reasons in Chinese (AFTERSALES_LANG does what --lang does)
    done = aftersales(platform, "import-stock", str(files["stock"]), "--errors", str(bad), "--lang", "zh")
    assert done.returncode == 1, done.stderr
    assert counts(done) == ["created:", "3", "skipped:", "1", "errors:", "4"]
    assert "数量为 0,无需入库,跳过:第 10 行" in done.stderr
    written = bad_rows(bad)
    assert [(r["row"], r["part_number"], r["warehouse"], r["qty"], r["error_code"]) for r in written] == [
        ("4", "OS-NOPE", "OS-W1", "3", "part_not_found"),
        ("5", "OS-FAN-1", "OS-NOWHERE", "3", "warehouse_not_found"),
        ("6", "OS-CMP-1", "OS-W2", "-2", "invalid_qty"),
        ("8", "os-fan-1", "os-w1", "7", "duplicate_in_file"),  # the blank line is row 7, as in a spreadsheet
    ]
    assert written[0]["error"].startswith("没有配件 OS-NOPE") and "没有仓库 OS-NOWHERE" in written[1]["error"]
    assert "第 2 行" in written[3]["error"]
    assert stock(platform, "OS-FAN-1") == {"OS-W1": 10, "OS-W2": 5}
    assert stock(platform, "OS-CMP-1") == {"OS-W1": 4}
    assert sorted(receipts(platform, "OS-W1")) == [("OS-CMP-1", 4, "期初库存"), ("OS-FAN-1", 10, "期初库存")]
    assert receipts(platform, "OS-W2") == [("OS-FAN-1", 5, "PO-GO-LIVE")]

    # the same file again, as after an interruption: nothing received twice, and it says so
    again = aftersales(platform, "import-stock", str(files["stock"]), "--lang", "en")
    assert again.returncode == 1
    assert counts(again) == ["created:", "0", "skipped:", "4", "errors:", "4"]
    assert "already loaded (an earlier run, or there already), skipped: rows 2, 3, 9" in again.stderr
    assert "row 4: part_not_found: no part OS-NOPE" in again.stderr
    assert "row 8: duplicate_in_file: part OS-FAN-1 at warehouse OS-W1 is already on row 2" in again.stderr
    # ... and with another key (another idempotency scope, as days later): the ledger says what was done
    other = aftersales(platform, "keys", "create", "--role", "admin", "--name", "go-live 2")
    other_key = dict(line.split(": ", 1) for line in other.stdout.splitlines())["key"]
    third = aftersales(platform, "import-stock", str(files["stock"]), "--lang", "en", key=other_key)
    assert counts(third) == ["created:", "0", "skipped:", "4", "errors:", "4"]
    assert stock(platform, "OS-FAN-1") == {"OS-W1": 10, "OS-W2": 5}
    assert len(receipts(platform, "OS-W1")) == 2 and len(receipts(platform, "OS-W2")) == 1

    # the bad-rows file, corrected, imports as it is (its row, error_code and error columns are ignored)
    corrected = [r for r in bad_rows(bad) if r["error_code"] == "invalid_qty"]
    corrected[0]["qty"] = "2"
    with bad.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(corrected[0]))
        writer.writeheader()
        writer.writerows(corrected)
    fixed = aftersales(platform, "import-stock", str(bad), "--lang", "en")
    assert fixed.returncode == 0, fixed.stderr
    assert counts(fixed) == ["created:", "1", "skipped:", "0", "errors:", "0"]
    assert stock(platform, "OS-CMP-1") == {"OS-W1": 4, "OS-W2": 2}

    # another count for a part already received with that reference is not added: an adjustment corrects it
    recount = tmp_path / "recount.csv"
    recount.write_text("part_number,warehouse,qty\nOS-FAN-1,OS-W1,12\n", encoding="utf-8")
    refused = aftersales(platform, "import-stock", str(recount), "--lang", "en")
    assert refused.returncode == 1 and counts(refused) == ["created:", "0", "skipped:", "0", "errors:", "1"]
    assert "row 2: already_received: already received at OS-W1 with reference 期初库存: qty 10" in refused.stderr
    assert stock(platform, "OS-FAN-1") == {"OS-W1": 10, "OS-W2": 5}


def test_a_key_limited_to_one_warehouse_cannot_load_another_warehouses_stock(platform, tmp_path):
    with platform.client() as admin:
        assert admin.post("/inventory/parts", json={
            "part_number": "OS-FLT-1", "name": "Filter", "uom": "pcs", "list_price": "20.00",
            "out_of_warranty_price": "15.00"}).status_code == 201
        for code in ("OS-W3", "OS-W4"):
            assert admin.post("/inventory/warehouses", json={
                "code": code, "name": code, "kind": "repair_station", "region": "shandong"}).status_code == 201
    made = aftersales(platform, "keys", "create", "--role", "warehouse", "--name", "OS-W3 stores",
                      "--warehouse", "OS-W3")
    warehouse_key = dict(line.split(": ", 1) for line in made.stdout.splitlines())["key"]
    source = tmp_path / "stock.csv"
    source.write_text("part_number,warehouse,qty\nOS-FLT-1,OS-W3,6\nOS-FLT-1,OS-W4,9\n", encoding="utf-8")

    done = aftersales(platform, "import-stock", str(source), "--lang", "en", key=warehouse_key)
    assert done.returncode == 1
    assert counts(done) == ["created:", "1", "skipped:", "0", "errors:", "1"]
    assert "row 3: warehouse_forbidden: this key may not receive stock at warehouse OS-W4" in done.stderr
    assert stock(platform, "OS-FLT-1") == {"OS-W3": 6}
    assert receipts(platform, "OS-W4") == []
    again = aftersales(platform, "import-stock", str(source), "--lang", "en", key=warehouse_key)
    assert counts(again) == ["created:", "0", "skipped:", "1", "errors:", "1"]
    assert stock(platform, "OS-FLT-1") == {"OS-W3": 6}

    # parts are the admin's: the run stops at the first row, nothing made, exit 1 with the problem
    parts = tmp_path / "parts.csv"
    parts.write_text("part_number,name,uom,list_price,out_of_warranty_price\nOS-X-1,x,pcs,1.00,1.00\n",
                     encoding="utf-8")
    stopped = aftersales(platform, "import-parts", str(parts), "--lang", "en", key=warehouse_key)
    assert stopped.returncode == 1 and "forbidden" in stopped.stderr and "stopped at row 2" in stopped.stderr
    with platform.client() as admin:
        assert admin.get("/inventory/parts/OS-X-1").status_code == 404


def test_a_file_with_unknown_or_missing_columns_is_bad_usage_and_nothing_is_sent(platform, tmp_path):
    source = tmp_path / "stock.csv"
    source.write_text("part,warehouse,quantity\nOS-FAN-1,OS-W1,1\n", encoding="utf-8")
    done = aftersales(platform, "import-stock", str(source))
    assert done.returncode == 2
    assert "unknown columns: part, quantity" in done.stderr and "missing columns: part_number, qty" in done.stderr
    assert aftersales(platform, "import-warehouses", str(source), "--lang", "fr").returncode == 2
    assert aftersales(platform, "import-parts", str(tmp_path / "none.csv")).returncode == 2


def test_a_run_killed_part_way_and_run_again_receives_each_row_once(platform, tmp_path):
    count = 150
    parts = tmp_path / "parts.csv"
    parts.write_text("part_number,name,uom,list_price,out_of_warranty_price\n" + "".join(
        f"OS-INT-{i:03d},Part {i},pcs,10.00,8.00\n" for i in range(count)), encoding="utf-8")
    assert aftersales(platform, "import-parts", str(parts)).returncode == 0
    with platform.client() as admin:
        assert admin.post("/inventory/warehouses", json={
            "code": "OS-W5", "name": "OS-W5", "kind": "central", "region": "shandong"}).status_code == 201
    source = tmp_path / "stock.csv"
    source.write_text("part_number,warehouse,qty\n" + "".join(
        f"OS-INT-{i:03d},OS-W5,{i + 1}\n" for i in range(count)), encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERSALES_")}
    env.update({"AFTERSALES_URL": platform.url, "AFTERSALES_API_KEY": ADMIN_KEY})
    running = subprocess.Popen([EXECUTABLE, "import-stock", str(source)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not receipts(platform, "OS-W5") and time.monotonic() < deadline and running.poll() is None:
            time.sleep(0.05)
        running.kill()  # part-way (or just done, on a fast machine: the second run then skips every row)
    finally:
        running.wait(timeout=30)
    before = len(receipts(platform, "OS-W5"))
    assert before >= 1

    again = aftersales(platform, "import-stock", str(source), "--lang", "en")
    assert again.returncode == 0, again.stderr
    created, skipped = int(counts(again)[1]), int(counts(again)[3])
    assert created + skipped == count and skipped >= before
    done = receipts(platform, "OS-W5")
    assert sorted(done) == sorted((f"OS-INT-{i:03d}", i + 1, "期初库存") for i in range(count))
    with platform.client() as admin:
        rows = admin.get("/inventory/stock", params={"warehouse": "OS-W5", "limit": 500}).json()["items"]
    assert {r["part_number"]: r["on_hand"] for r in rows} == {f"OS-INT-{i:03d}": i + 1 for i in range(count)}
