"""The README's screenshots of the web app: `.venv/bin/python tests/e2e/screenshots.py`.

Starts the platform on free ports with its data in a temporary folder, seeds it, walks each role's
main pages in headless Chromium at phone (390x844) and desk (1280x800) sizes, in Chinese and English,
and writes the pictures to docs/screenshots/.
"""

import base64
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]

from web_support import DESK, PHONE, SERIAL, make_driver, quit_driver, seed, sign_in  # noqa: E402

from platform_support import ADMIN_KEY, Platform  # noqa: E402

OUT = HERE.parents[1] / "docs" / "screenshots"


def prepare(platform: Platform, keys: dict) -> dict:
    with platform.client(keys["warehouse"]) as warehouse:
        reserved = warehouse.post("/inventory/reservations", json={
            "warehouse": "SC-JINAN", "reference": "RO-2026-0815",
            "lines": [{"part_number": "CMP-72", "qty": 1}, {"part_number": "FLT-100", "qty": 2}]}).json()
        billed = warehouse.post("/inventory/reservations", json={
            "warehouse": "SC-JINAN", "reference": "RO-2026-0816",
            "lines": [{"part_number": "CMP-72", "qty": 1}]}).json()
    with platform.client(keys["station"]) as station:
        claim = station.post("/warranty/claims", json={
            "serial_number": SERIAL, "failed_on": "2026-11-20", "component": "cooling_system",
            "causes": ["improper_use"], "certificate": None}).json()
        station.post(f"/warranty/units/{SERIAL}/service-records", json={
            "kind": "maintenance", "performed_on": "2026-06-01", "technician": "王磊",
            "notes": "清洗过滤网，检查冷媒压力"})
    with platform.client(keys["billing"]) as billing:
        bill = billing.post("/billing/repairs", json={
            "serial_number": SERIAL, "repair_reference": "RO-2026-0816", "performed_on": "2026-11-20",
            "component": "unit", "causes": ["improper_use"], "certificate": None,
            "reservation_ids": [billed["id"]], "labor_hours": "2", "visits": 1}).json()
        contract = billing.post("/billing/contracts", json={
            "customer": "济南市中心医院", "serial_numbers": [SERIAL], "starts_on": "2027-01-01",
            "ends_on": "2027-12-31", "includes_labor": True, "parts_discount_pct": "10"}).json()
    return {"reservation": reserved["id"], "claim": claim["id"], "bill": bill["number"], "contract": contract["id"]}


def shoot(platform: Platform, keys: dict, made: dict) -> list[Path]:
    url = platform.url
    shots = [
        # (file, role, size, lang, path)
        ("login-phone-zh", None, PHONE, "zh", "/app/login"),
        ("station-coverage-phone-zh", "station", PHONE, "zh", f"/app/station/units/{SERIAL}"),
        ("station-coverage-phone-en", "station", PHONE, "en", f"/app/station/units/{SERIAL}"),
        ("station-claim-form-phone-zh", "station", PHONE, "zh", f"/app/station/units/{SERIAL}/claim"),
        ("station-decision-phone-zh", "station", PHONE, "zh", f"/app/station/claims/{made['claim']}"),
        ("station-decision-desk-en", "station", DESK, "en", f"/app/station/claims/{made['claim']}"),
        ("station-history-phone-zh", "station", PHONE, "zh", f"/app/station/units/{SERIAL}/history"),
        ("warehouse-stock-desk-zh", "warehouse", DESK, "zh", "/app/warehouse?part_number=CMP-72"),
        ("warehouse-reservation-desk-en", "warehouse", DESK, "en",
         f"/app/warehouse/reservations/{made['reservation']}"),
        ("warehouse-reserve-phone-zh", "warehouse", PHONE, "zh", "/app/warehouse/reserve?part_number=CMP-72"),
        ("warehouse-guarantee-desk-zh", "warehouse", DESK, "zh", "/app/warehouse/guarantee"),
        ("billing-bill-desk-zh", "billing", DESK, "zh", f"/app/billing/invoices/{made['bill']}"),
        ("billing-bill-phone-en", "billing", PHONE, "en", f"/app/billing/invoices/{made['bill']}"),
        ("billing-print-desk-zh", "billing", DESK, "zh", f"/app/billing/invoices/{made['bill']}/print"),
        ("billing-repair-desk-zh", "billing", DESK, "zh", "/app/billing/repair?repair_reference=RO-2026-0815"),
        ("billing-contract-desk-zh", "billing", DESK, "zh", f"/app/billing/contracts/{made['contract']}"),
        ("admin-start-desk-en", "admin", DESK, "en", "/app/"),
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    drivers = {}
    try:
        for name, role, size, lang, path in shots:
            key = (role, size)
            if key not in drivers:
                drivers[key] = make_driver(size)
                if role is not None:
                    sign_in(drivers[key], url, keys[role] if role != "admin" else ADMIN_KEY)
            driver = drivers[key]
            driver.get(url + path + ("&" if "?" in path else "?") + f"lang={lang}")
            target = OUT / f"{name}.png"
            driver.save_screenshot(str(target))
            written.append(target)
            if name == "billing-print-desk-zh" and shutil.which("pdftoppm"):
                written.append(printed(driver, OUT / "billing-printed-a4-zh"))
    finally:
        for driver in drivers.values():
            quit_driver(driver)
    return written


def printed(driver, stem: Path) -> Path:
    """What the print button gives: the page printed by Chromium with the print stylesheet, page 1."""
    pdf = driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": False})
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "bill.pdf"
        source.write_bytes(base64.b64decode(pdf["data"]))
        subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", "-f", "1", str(source), str(stem)], check=True)
    return stem.with_suffix(".png")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="web-shots-") as data:
        platform = Platform(Path(data)).start()
        try:
            with platform.client() as admin:
                keys = seed(admin)
            made = prepare(platform, keys)
            for path in shoot(platform, keys, made):
                print(path.relative_to(OUT.parents[1]))
        finally:
            platform.close()


if __name__ == "__main__":
    main()
