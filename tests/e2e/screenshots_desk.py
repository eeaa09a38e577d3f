"""The README's screenshots of the service desk's pages: `.venv/bin/python tests/e2e/screenshots_desk.py`.

Like tests/e2e/screenshots.py (which it leaves alone): starts the platform on free ports with its data in a
temporary folder, seeds it, takes a few reports at different ages, and writes the board, the report form and a
station's ticket at phone (390x844) and desk (1280x800) sizes, in Chinese and English, to docs/screenshots/.
"""

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]

from desk_support import organisation  # noqa: E402
from web_support import DESK, PHONE, SERIAL, make_driver, person, quit_driver, seed, sign_in  # noqa: E402

from platform_support import Platform  # noqa: E402

OUT = HERE.parents[1] / "docs" / "screenshots"


def ago(minutes: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def prepare(platform: Platform, keys: dict) -> dict:
    with platform.client() as admin:
        org = organisation(admin, tag="JN07")
        for role in ("desk",):
            keys[role] = person(admin, role, key=admin.post("/admin/api-keys", json={
                "role": role, "name": f"web {role}"}).json()["key"])
    caller = {"name": "李娜", "phone": "0531-8888 0001"}
    with platform.client(keys["desk"]) as desk:
        def report(**body):
            made = desk.post("/servicedesk/tickets", json={"caller": caller, **body})
            assert made.status_code == 201, made.text
            return made.json()

        report(serial_number=SERIAL, description="室外机停机，病房不制冷", level=2, reported_at=ago(14))
        report(site_address="济南市市中区经十路 88 号 国际会展中心", description="空调漏水", level=1,
               reported_at=ago(9))
        onsite = report(serial_number="KFR35-000009", description="制热效果差", level=1, reported_at=ago(50))
        dispatched = desk.post(f"/servicedesk/tickets/{onsite['id']}/dispatch",
                               json={"technician_id": org.technician_id, "station": org.station, "at": ago(45)})
        assert dispatched.status_code == 200, dispatched.text
        report(caller={"name": "张伟"}, description="遥控器无反应", channel="wechat")
    return {"onsite": onsite["id"]}


def shoot(platform: Platform, keys: dict, made: dict) -> list[Path]:
    shots = [
        ("desk-board-desk-zh", "desk", DESK, "zh", "/app/desk"),
        ("desk-board-desk-en", "desk", DESK, "en", "/app/desk"),
        ("desk-board-phone-zh", "desk", PHONE, "zh", "/app/desk"),
        ("desk-board-phone-en", "desk", PHONE, "en", "/app/desk"),
        ("desk-report-desk-zh", "desk", DESK, "zh", f"/app/desk/report?serial={SERIAL}"),
        ("desk-report-desk-en", "desk", DESK, "en", f"/app/desk/report?serial={SERIAL}"),
        ("desk-report-phone-zh", "desk", PHONE, "zh", f"/app/desk/report?serial={SERIAL}"),
        ("desk-report-phone-en", "desk", PHONE, "en", f"/app/desk/report?serial={SERIAL}"),
        ("station-ticket-phone-zh", "station", PHONE, "zh", f"/app/station/tickets/{made['onsite']}"),
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    written, drivers = [], {}
    try:
        for name, role, size, lang, path in shots:
            if (role, size) not in drivers:
                drivers[(role, size)] = make_driver(size)
                sign_in(drivers[(role, size)], platform.url, keys[role])
            driver = drivers[(role, size)]
            driver.get(platform.url + path + ("&" if "?" in path else "?") + f"lang={lang}")
            target = OUT / f"{name}.png"
            driver.save_screenshot(str(target))
            written.append(target)
    finally:
        for driver in drivers.values():
            quit_driver(driver)
    return written


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
