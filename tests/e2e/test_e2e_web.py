"""Each role's main task in a real browser (headless Chromium) against the real processes.

Skipped only when Chromium or its driver is absent. A failing test leaves a screenshot and the
page's HTML in a temporary folder and prints where.
"""

import json
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from web_support import DESK, PHONE, SERIAL, chromium_available, make_driver, quit_driver, seed, sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium and /usr/bin/chromedriver"),
]
WAIT_SECONDS = 30
STOCK_QUERY = {"part_number": "CMP-72", "warehouse": "SC-JINAN"}


@pytest.fixture(scope="module")
def keys(platform):
    with platform.client() as admin:
        return seed(admin)


def open_browser(request, size):
    """A fresh browser per test (no cookies carried over)."""
    driver = make_driver(size)
    failed_before = request.session.testsfailed
    try:
        yield driver
    finally:
        if request.session.testsfailed > failed_before:
            folder = Path(tempfile.mkdtemp(prefix="web-failure-"))
            shot = folder / f"{request.node.name}.png"
            driver.save_screenshot(str(shot))
            (folder / f"{request.node.name}.html").write_text(driver.page_source)
            print(f"\nscreenshot of the failure: {shot} (page at {driver.current_url})", file=sys.stderr)
        quit_driver(driver)


@pytest.fixture
def browser(request):
    yield from open_browser(request, PHONE)


@pytest.fixture
def desk_browser(request):
    yield from open_browser(request, DESK)


def by_id(driver, element_id: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    located = expected_conditions.presence_of_element_located((By.ID, element_id))
    return WebDriverWait(driver, WAIT_SECONDS).until(located)


def css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def wait_for_path(driver, fragment: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: fragment in d.current_url)


def submit(element) -> None:
    element.click()


def test_station_looks_up_a_serial_sees_coverage_files_a_claim_and_reads_the_reasons(platform, keys, browser):
    sign_in(browser, platform.url, keys["station"])
    wait_for_path(browser, "/app/station")
    assert browser.find_element("tag name", "html").get_attribute("lang") == "zh-CN"
    by_id(browser, "serial").send_keys(SERIAL.lower() + "\n")  # typed in lower case, as a phone keyboard might
    coverage = by_id(browser, "coverage")
    states = {item.get_attribute("data-component"): item.get_attribute("data-state")
              for item in coverage.find_elements("css selector", "li.cover")}
    # Accepted 2024-03-01 in Shandong: on 2026-11-27 or later the third cooling season (to 2026-09-30) is over.
    assert states["cooling_system"] == "bad" and states["heating_system"] in ("good", "bad")
    assert "已过保" in coverage.text
    css(browser, "a[href$='/claim']")[0].click()
    form = by_id(browser, "claim-form")
    form.find_element("css selector", "select[name=component] option[value=cooling_system]").click()
    form.find_element("css selector", "input[name=causes][value=improper_use]").click()
    form.find_element("css selector", "input[name=has_certificate][value=no]").click()
    submit(form.find_element("css selector", "button[type=submit]"))
    decision = by_id(browser, "decision")
    assert decision.get_attribute("data-decision") == "rejected"
    codes = [li.get_attribute("data-code") for li in by_id(browser, "reasons").find_elements("tag name", "li")]
    assert codes == ["term_expired", "excluded_misuse", "excluded_certificate"]
    assert "不属于保修范围" in decision.text and "免责第 1 条" in decision.text and "免责第 4 条" in decision.text
    # Where the unit stands, as the claim's answer names it: the technician sees it is the right customer.
    assert by_id(browser, "claim-site").text == "济南市中心医院，济南市历下区解放路 105 号"
    css(browser, "a.lang")[0].click()  # the same decision, in English
    decision = by_id(browser, "decision")
    assert browser.find_element("tag name", "html").get_attribute("lang") == "en"
    assert "Not covered by the warranty" in decision.text
    assert ("Exclusion 1: the unit was used, maintained, stored or transported against the instructions."
            in decision.text)


def test_station_reads_what_to_do_about_a_bad_or_unknown_serial(platform, keys, browser):
    sign_in(browser, platform.url, keys["station"], lang="en")
    by_id(browser, "serial").send_keys("KFR72\n")
    wait_for_path(browser, "serial=KFR72")
    problem = css(browser, "[data-problem]")[0]
    assert problem.get_attribute("data-problem") == "bad_serial"
    assert "6 to 40 letters, digits or dashes" in problem.text
    field = by_id(browser, "serial")
    field.clear()
    field.send_keys("NOPE-000404\n")
    wait_for_path(browser, "/units/NOPE-000404")
    problem = css(browser, "[data-problem]")[0]
    assert problem.get_attribute("data-problem") == "unit_not_found"
    assert "No unit with this serial number is registered." in problem.text
    assert "scan the code" in problem.text


def test_warehouse_reserves_then_issues_less_than_reserved(platform, keys, desk_browser):
    browser = desk_browser
    with platform.client() as admin:
        [before] = admin.get("/inventory/stock", params=STOCK_QUERY).json()["items"]
    sign_in(browser, platform.url, keys["warehouse"], lang="en")
    wait_for_path(browser, "/app/warehouse")
    browser.get(platform.url + "/app/warehouse/reserve?part_number=CMP-72")
    form = by_id(browser, "reserve-form")
    form.find_element("css selector", "select[name=warehouse] option[value=SC-JINAN]").click()
    reference = f"RO-WEB-{uuid.uuid4().hex[:6]}"
    form.find_element("name", "reference").send_keys(reference)
    form.find_elements("name", "qty")[0].send_keys("2")
    submit(form.find_element("css selector", "button[type=submit]"))
    reservation = by_id(browser, "reservation")
    assert reservation.get_attribute("data-status") == "active" and reference in reservation.text
    used = browser.find_element("css selector", "input[name=used]")
    used.clear()
    used.send_keys("1")
    by_id(browser, "consume-some").click()
    wait_for_path(browser, "done=consumed")
    reservation = by_id(browser, "reservation")
    assert reservation.get_attribute("data-status") == "consumed"
    assert "The parts were issued." in browser.page_source
    with platform.client() as admin:
        [after] = admin.get("/inventory/stock", params=STOCK_QUERY).json()["items"]
    assert (after["on_hand"], after["reserved"]) == (before["on_hand"] - 1, before["reserved"])
    browser.get(platform.url + "/app/warehouse?part_number=CMP-72")
    row = by_id(browser, "stock").find_element("css selector", "tr[data-warehouse=SC-JINAN] td.available")
    assert row.text == str(after["available"])


def needs(platform, path: str, absent: set[int], what: str) -> None:
    """Skip, naming what is missing, while another part of issue 9 is not merged yet."""
    with platform.client() as admin:
        if admin.get(path).status_code in absent:
            pytest.skip(f"needs {what} (issue 9, built in parallel)")


def test_warehouse_finds_reservations_by_repair_reference(platform, keys, desk_browser):
    """Needs GET /inventory/reservations?reference= (issue 9 item 2)."""
    needs(platform, "/inventory/reservations?reference=X", {404, 405}, "GET /inventory/reservations")
    browser = desk_browser
    reference = f"RO-FIND-{uuid.uuid4().hex[:6]}"
    with platform.client(keys["warehouse"]) as warehouse:
        made = warehouse.post("/inventory/reservations", json={
            "warehouse": "SC-JINAN", "reference": reference, "lines": [{"part_number": "FLT-100", "qty": 2}]})
        assert made.status_code == 201, made.text
    sign_in(browser, platform.url, keys["warehouse"])
    browser.get(platform.url + f"/app/warehouse/reservations?reference={reference}")
    table = by_id(browser, "reservations")
    assert f"#{made.json()['id']}" in table.text and "FLT-100 × 2" in table.text and "已预留" in table.text


def bill_a_repair(platform, keys, browser) -> str:
    reference = f"RO-BILL-{uuid.uuid4().hex[:6]}"
    with platform.client(keys["warehouse"]) as warehouse:
        made = warehouse.post("/inventory/reservations", json={
            "warehouse": "SC-JINAN", "reference": reference, "lines": [{"part_number": "CMP-72", "qty": 1}]})
        assert made.status_code == 201, made.text
    sign_in(browser, platform.url, keys["billing"])
    wait_for_path(browser, "/app/billing")
    browser.get(platform.url + f"/app/billing/repair?repair_reference={reference}")
    form = by_id(browser, "repair-form")
    # Typed by number too, so that billing works whether or not the lookup by reference lists it.
    form.find_element("name", "more_reservations").send_keys(str(made.json()["id"]))
    form.find_element("name", "serial_number").send_keys(SERIAL)
    date_field = form.find_element("name", "performed_on")
    browser.execute_script("arguments[0].value = '2026-11-20'", date_field)
    form.find_element("css selector", "select[name=component] option[value=unit]").click()
    form.find_element("css selector", "input[name=causes][value=improper_use]").click()
    form.find_element("css selector", "input[name=has_certificate][value=no]").click()
    hours = form.find_element("name", "labor_hours")
    hours.clear()
    hours.send_keys("2")
    by_id(browser, "issue-bill").click()
    bill = by_id(browser, "bill")
    assert bill.get_attribute("data-status") == "issued"
    return bill.find_element("tag name", "h1").text.split()[0]


def test_billing_bills_a_repair_from_its_reservation_and_marks_it_paid(platform, keys, browser):
    number = bill_a_repair(platform, keys, browser)
    assert number.startswith("INV-")
    # Misuse: out-of-warranty part 1 090.00 + 2 h labour 160.00 + call-out 50.00, VAT 13 %.
    assert by_id(browser, "net").text == "¥1,300.00"
    assert by_id(browser, "vat").text == "¥169.00"
    assert by_id(browser, "total").text == "¥1,469.00"
    assert "压缩机 7.2 kW" in by_id(browser, "bill-lines").text
    assert "不属于保修范围" in by_id(browser, "bill").text
    by_id(browser, "method").find_element("css selector", "option[value=cash]").click()  # how it was paid
    browser.execute_script("window.confirm = () => true")  # the page asks before marking it paid
    by_id(browser, "pay").click()
    wait_for_path(browser, "done=paid")
    assert by_id(browser, "bill").get_attribute("data-status") == "paid"
    with platform.client(keys["billing"]) as billing:
        assert billing.get(f"/billing/invoices/{number}").json()["status"] == "paid"
    by_id(browser, "print-view").click()
    assert "维修结算单" in by_id(browser, "bill-lines").find_element("xpath", "ancestor::article").text


def test_billing_opens_the_bill_as_a_pdf(platform, keys, browser):
    """Needs GET /billing/invoices/{number}.pdf (issue 9 item 3)."""
    number = bill_a_repair(platform, keys, browser)
    with platform.client() as admin:
        probe = admin.get(f"/billing/invoices/{number}.pdf")
        if probe.status_code == 404 and probe.json().get("code") == "invoice_not_found":
            pytest.skip("needs GET /billing/invoices/{number}.pdf (issue 9 item 3, built in parallel)")
    link = by_id(browser, "pdf-link").get_attribute("href")
    assert link.endswith(f"/app/billing/invoices/{number}.pdf")
    answer = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch(arguments[0], {credentials: 'same-origin'})
          .then(r => r.arrayBuffer().then(b => done([r.status, r.headers.get('content-type'),
                String.fromCharCode(...new Uint8Array(b.slice(0, 5)))])))
          .catch(e => done([0, String(e), '']));
    """, link)
    assert answer == [200, "application/pdf", "%PDF-"]


def test_the_main_pages_fit_a_360_pixel_wide_phone(platform, keys, browser):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True})
    pages_by_role = {
        "station": ["/app/station", f"/app/station/units/{SERIAL}", f"/app/station/units/{SERIAL}/claim",
                    f"/app/station/units/{SERIAL}/visit", f"/app/station/units/{SERIAL}/history"],
        "warehouse": ["/app/warehouse?part_number=CMP-72", "/app/warehouse/reserve", "/app/warehouse/guarantee"],
        "billing": ["/app/billing", "/app/billing/repair?repair_reference=RO-1", "/app/billing/contracts"],
    }
    too_wide, refused = [], []
    for role, paths in pages_by_role.items():
        browser.delete_all_cookies()
        sign_in(browser, platform.url, keys[role])
        wait_for_path(browser, f"/app/{role}")
        for path in paths:
            browser.get(platform.url + path)
            width = browser.execute_script("return document.documentElement.scrollWidth")
            if width > 360:
                too_wide.append((path, width))
            refused += [entry["message"] for entry in browser.get_log("browser")
                        if "Content Security Policy" in entry["message"]]
    assert too_wide == []
    assert refused == []  # every script and style the pages use is allowed by their own policy


def test_billing_sees_a_contracts_visits_by_month_and_ends_it_early(platform, keys, desk_browser):
    """The cancel needs POST /billing/contracts/{id}/cancel (issue 9 item 2)."""
    browser = desk_browser
    with platform.client(keys["billing"]) as billing:
        contract = billing.post("/billing/contracts", json={
            "customer": "泉城广场写字楼", "serial_numbers": [SERIAL], "starts_on": "2025-01-01",
            "ends_on": "2025-12-31", "includes_labor": True, "parts_discount_pct": "10"}).json()
    sign_in(browser, platform.url, keys["billing"])
    wait_for_path(browser, "/app/billing")
    browser.get(platform.url + f"/app/billing/contracts/{contract['id']}")
    visits = by_id(browser, "visits")
    days = [li.text.split()[0] for li in visits.find_elements("css selector", "li[data-kind]")]
    assert days == ["2025年1月15日", "2025年3月15日", "2025年6月1日", "2025年8月1日", "2025年11月15日"]
    assert "2025年6月" in visits.text and "保养" in visits.text and "巡检" in visits.text
    with platform.client() as admin:
        probe = admin.post("/billing/contracts/2147483000/cancel", json={"ends_on": "2025-06-30", "reason": "x"})
        if probe.status_code in (404, 405) and probe.json().get("code") in ("not_found", "method_not_allowed"):
            pytest.skip("needs POST /billing/contracts/{id}/cancel (issue 9 item 2, built in parallel)")
    # A contract that has ended (2025 is over) offers no end form: end one still running.
    with platform.client(keys["billing"]) as billing:
        contract = billing.post("/billing/contracts", json={
            "customer": "泉城广场写字楼", "serial_numbers": [SERIAL], "starts_on": "2025-01-01",
            "ends_on": "2099-12-31", "includes_labor": True, "parts_discount_pct": "10"}).json()
    browser.get(platform.url + f"/app/billing/contracts/{contract['id']}")
    field = by_id(browser, "ends_on")
    browser.execute_script("arguments[0].value = '2025-06-30'", field)
    browser.find_element("name", "reason").send_keys("客户更换设备")
    browser.execute_script("window.confirm = () => true")  # the page asks before ending a contract
    by_id(browser, "cancel-contract").click()
    wait_for_path(browser, "done=cancelled")
    with platform.client(keys["billing"]) as billing:
        ended = billing.get(f"/billing/contracts/{contract['id']}").json()
    assert "2025-06-30" in json.dumps(ended)  # the contract now carries its early last day
