"""The admin console in a real browser (headless Chromium) on a phone-size window (390 px): an admin registers
a part, then a model and its bill of parts picked from the list, enters a year's working calendar (pasted
dates and one picked), and imports a CSV file with one bad row, watching the progress, and downloads the bad
rows with their reason; and sets up a service centre, a repair station with its group robot and a technician
with their skills. Every page fits the phone (no sideways scrolling) and every control is at least
44 px tall.

The gateway and the four services run for real (uvicorn, their own databases); see
tests/gateway/console_support.py."""

import csv
import sys
import tempfile
import time
from pathlib import Path

import pytest
from test_e2e_web import by_id, css, open_browser, wait_for_path
from web_support import PHONE, chromium_available, person, sign_in, wait_replaced

from shared.clock import FixedClock

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gateway"))
from console_support import NOW, Services, gateway_settings  # noqa: E402

from gateway_support import ADMIN, LiveServer  # noqa: E402

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium and /usr/bin/chromedriver"),
]
PAGE_WIDTH = "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];"
# What a finger presses, seen on the page, less than 44 px tall (a checkbox counts by its label).
SMALL_TARGETS = """
return Array.from(document.querySelectorAll(
    '.top a, .top button, .sub-nav a, main a, main button, main input, main select, main textarea, main summary'))
  .filter(e => e.type !== 'hidden' && e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
  .filter(e => !(e.type === 'checkbox' && e.closest('label')
                 && e.closest('label').getBoundingClientRect().height >= 44))
  .filter(e => e.getBoundingClientRect().height < 44)
  .map(e => e.outerHTML.slice(0, 100));
"""
ROWS = 1500  # two chunks of the page's 1000 rows


@pytest.fixture(scope="module")
def clock():
    return FixedClock(NOW)


@pytest.fixture(scope="module")
def live(database_factory, clock):
    from gateway.main import create_app

    with Services(database_factory, clock) as services:
        settings = gateway_settings(database_factory("gateway"), services.urls())
        with LiveServer(create_app(settings, clock=clock), lifespan="on") as gateway:
            yield gateway


@pytest.fixture
def phone(request):
    yield from open_browser(request, PHONE)


def fits_the_phone(driver) -> None:
    scroll_width, client_width = driver.execute_script(PAGE_WIDTH)
    assert scroll_width <= client_width, f"{driver.current_url} scrolls sideways on a phone"
    assert driver.execute_script(SMALL_TARGETS) == [], driver.current_url


def fill(driver, element_id: str, text: str) -> None:
    field = by_id(driver, element_id)
    field.clear()
    field.send_keys(text)


def choose(driver, element_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(by_id(driver, element_id)).select_by_value(value)


def press(driver, form_id: str) -> None:
    button = by_id(driver, form_id).find_element("css selector", "button[type=submit]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    # Until the answer has replaced the page: what is read next is the new page's.
    wait_replaced(driver, button)


def done_notice(driver) -> str:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 30).until(lambda d: css(d, ".notice.good") and css(d, ".notice.good")[0].text)


def wait_for_file(folder: Path, name: str, seconds: float = 30) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (folder / name).exists():
            return folder / name
        time.sleep(0.1)
    raise AssertionError(f"{name} did not arrive in {folder}: {list(folder.iterdir())}")


@pytest.fixture(scope="module")
def admin(live):
    """A person with the admin role (people sign in; keys are for programs)."""
    import httpx

    with httpx.Client(base_url=live.url, headers={"X-API-Key": ADMIN}, timeout=30.0) as client:
        return person(client, "admin")


def test_an_admin_on_a_phone_sets_up_parts_a_model_a_calendar_and_imports_units(live, admin, phone):
    base = live.url
    sign_in(phone, base, admin)
    phone.get(base + "/app/admin")
    assert "系统管理" in phone.page_source
    fits_the_phone(phone)

    # A part.
    phone.get(base + "/app/admin/parts/new")
    fits_the_phone(phone)
    fill(phone, "f-part_number", "cmp-72")
    fill(phone, "f-name", "压缩机 7.2 kW")
    fill(phone, "f-uom", "台")
    fill(phone, "f-list_price", "1280.00")
    fill(phone, "f-out_of_warranty_price", "1090.00")
    fill(phone, "f-min_stock", "30")
    press(phone, "part-form")
    assert "已保存" in done_notice(phone)
    assert "CMP-72" in by_id(phone, "part-form").get_attribute("outerHTML")
    fits_the_phone(phone)

    # A model, and its bill of parts picked from the list.
    phone.get(base + "/app/admin/models")
    fill(phone, "f-model_code", "kfr-72lw")
    fill(phone, "f-name", "柜式空调 7.2 kW")
    press(phone, "model-form")
    wait_for_path(phone, "/app/admin/models/edit")
    fits_the_phone(phone)
    choose(phone, "f-line_0_part", "CMP-72")
    fill(phone, "f-line_0_qty", "1")
    press(phone, "bill-form")
    assert "配件清单已保存" in done_notice(phone)
    from selenium.webdriver.support.ui import Select

    assert Select(by_id(phone, "f-line_0_part")).first_selected_option.get_attribute("value") == "CMP-72"
    assert by_id(phone, "f-line_0_qty").get_attribute("value") == "1"
    fits_the_phone(phone)

    # A year's working calendar: the holidays pasted, a make-up working day picked.
    phone.get(base + "/app/admin/calendar?year=2028")
    assert css(phone, "#provisional")
    fits_the_phone(phone)
    fill(phone, "f-holidays", "2028-01-01\n2028-01-25..2028-01-31\n2028-10-01..2028-10-07")
    picker = by_id(phone, "pick-workday")
    phone.execute_script("arguments[0].value = '2028-01-22';", picker)
    adder = css(phone, "button[data-add-date=f-workdays]")[0]
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'});", adder)
    adder.click()
    assert by_id(phone, "f-workdays").get_attribute("value") == "2028-01-22"
    press(phone, "calendar-form")
    assert "工作日历已保存" in done_notice(phone)
    assert not css(phone, "#provisional")
    assert len(css(phone, "#holiday-days li")) == 15 and "2028年1月22日" in by_id(phone, "work-days").text
    fits_the_phone(phone)

    # A CSV file with one bad row: sent in chunks, the progress shown, the bad row downloaded with its reason.
    folder = Path(tempfile.mkdtemp(prefix="console-import-"))
    source = folder / "units.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["serial_number", "model_code", "product_name", "site_name", "region", "accepted_on"])
        for n in range(1, ROWS + 1):
            accepted = "2030-01-01" if n == 1234 else "2024-05-10"
            writer.writerow([f"IMP-{n:06d}", "KFR-72LW", "柜式空调", "泉城广场", "shandong", accepted])
    phone.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
    phone.get(base + "/app/admin/units/import")
    fits_the_phone(phone)
    by_id(phone, "import-file").send_keys(str(source))
    by_id(phone, "import-start").click()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(phone, 120).until(lambda d: by_id(d, "import-result").is_displayed())
    assert by_id(phone, "import-created").text == str(ROWS - 1)
    assert by_id(phone, "import-errors").text == "1"
    assert by_id(phone, "import-progress").get_attribute("value") == str(ROWS)
    assert f"已发送 {ROWS} / {ROWS} 行" in by_id(phone, "import-status").text
    assert "调试验收日期不能是将来的日期" in by_id(phone, "import-error-table").text
    fits_the_phone(phone)
    link = by_id(phone, "import-bad-rows")
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
    link.click()
    bad = wait_for_file(folder, "bad-rows.csv")
    rows = list(csv.reader(bad.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["row", "serial_number", "model_code", "product_name", "site_name", "region", "accepted_on",
                       "error_code", "error_message"]
    assert rows[1][:2] == ["1234", "IMP-001234"] and rows[1][-2] == "accepted_in_future"
    assert "调试验收日期不能是将来的日期" in rows[1][-1] and len(rows) == 2

    # The units are there.
    phone.get(base + "/app/admin/units?q=IMP-001500")
    assert css(phone, "li[data-serial='IMP-001500']")
    violations = [e["message"] for e in phone.get_log("browser") if "Content Security Policy" in e["message"]]
    assert violations == []


def test_an_admin_on_a_phone_sets_up_a_centre_a_station_and_a_technician(live, admin, phone):
    base = live.url
    sign_in(phone, base, admin)
    phone.get(base + "/app/admin/sites/new")
    fits_the_phone(phone)
    fill(phone, "f-code", "sc-jinan")
    fill(phone, "f-name", "济南服务中心")
    choose(phone, "f-kind", "service_center")
    fill(phone, "f-address", "济南市历下区经十路 1 号")
    fill(phone, "f-phone", "0531-8888 0001")
    press(phone, "site-form")
    assert "已保存" in done_notice(phone)
    fits_the_phone(phone)

    # A station: its centre picked from the list, its robot refused at its field until it is public https.
    phone.get(base + "/app/admin/sites/new")
    fill(phone, "f-code", "ST-JINAN-07")
    fill(phone, "f-name", "济南第七维修站")
    choose(phone, "f-kind", "repair_station")
    choose(phone, "f-parent", "SC-JINAN")
    fill(phone, "f-address", "济南市历下区解放路 105 号")
    fill(phone, "f-phone", "0531-8888 0007")
    choose(phone, "f-webhook_kind", "wecom")
    fill(phone, "f-webhook_url", "https://192.168.1.20/hook")
    press(phone, "site-form")
    assert "内网" in by_id(phone, "e-webhook_url").text
    assert by_id(phone, "f-name").get_attribute("value") == "济南第七维修站"
    fits_the_phone(phone)
    fill(phone, "f-webhook_url", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=demo")
    press(phone, "site-form")
    assert "已保存" in done_notice(phone)
    fits_the_phone(phone)

    # A technician at the station, with two skills ticked.
    phone.get(base + "/app/admin/technicians/new")
    fits_the_phone(phone)
    fill(phone, "f-name", "王磊")
    fill(phone, "f-phone", "138 0000 0001")
    choose(phone, "f-station", "ST-JINAN-07")
    for skill in ("cooling", "electrical"):
        box = css(phone, f"input[name=skills][value={skill}]")[0]
        phone.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
        box.click()
    press(phone, "technician-form")
    assert "已保存" in done_notice(phone)
    phone.get(base + "/app/admin/technicians?station=ST-JINAN-07")
    assert css(phone, "li[data-technician='王磊']") and "制冷 · 电气" in by_id(phone, "technicians").text
    fits_the_phone(phone)
