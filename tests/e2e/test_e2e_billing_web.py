"""The billing clerk in a real browser (headless Chromium) against the real processes: a bill refused for
a wrong serial is corrected and issued, paid by a method picked from a list, voided and billed again;
the bills list on a phone; an ended contract.

Skipped only when Chromium or its driver is absent."""

import uuid

import pytest
from web_support import DESK, PHONE, SERIAL, chromium_available, make_driver, quit_driver, seed, sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium and /usr/bin/chromedriver"),
]
WAIT_SECONDS = 30
WRONG_SERIAL = "KFR72-999999"  # well formed, but no such unit


@pytest.fixture(scope="module")
def keys(platform):
    with platform.client() as admin:
        return seed(admin)


@pytest.fixture
def browser():
    driver = make_driver(PHONE)
    try:
        yield driver
    finally:
        quit_driver(driver)


def by_id(driver, element_id: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_SECONDS).until(
        expected_conditions.presence_of_element_located((By.ID, element_id)))


def wait_for(driver, condition) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, WAIT_SECONDS).until(condition)


def stock(platform) -> dict:
    with platform.client() as admin:
        return admin.get("/inventory/stock", params={"part_number": "CMP-72", "warehouse": "SC-JINAN"}).json()[
            "items"][0]


def reserve(platform, keys, reference: str) -> int:
    with platform.client(keys["warehouse"]) as warehouse:
        made = warehouse.post("/inventory/reservations", json={
            "warehouse": "SC-JINAN", "reference": reference, "lines": [{"part_number": "CMP-72", "qty": 1}]})
        assert made.status_code == 201, made.text
        return made.json()["id"]


def fill_repair(browser, reservation: int, serial: str) -> None:
    form = by_id(browser, "repair-form")
    form.find_element("name", "more_reservations").send_keys(str(reservation))
    form.find_element("name", "serial_number").send_keys(serial)
    browser.execute_script("arguments[0].value = '2026-11-20'", form.find_element("name", "performed_on"))
    form.find_element("css selector", "select[name=component] option[value=unit]").click()
    form.find_element("css selector", "input[name=causes][value=improper_use]").click()
    form.find_element("css selector", "input[name=has_certificate][value=no]").click()
    hours = form.find_element("name", "labor_hours")
    hours.clear()
    hours.send_keys("2")


def test_a_bill_refused_for_a_wrong_serial_keeps_what_was_typed_and_is_issued_once_corrected(
    platform, keys, browser
):
    reference = f"RO-WEB-{uuid.uuid4().hex[:6]}"
    reservation = reserve(platform, keys, reference)
    before = stock(platform)
    sign_in(browser, platform.url, keys["billing"])
    browser.get(platform.url + f"/app/billing/repair?repair_reference={reference}")
    fill_repair(browser, reservation, WRONG_SERIAL)
    from selenium.webdriver.support import expected_conditions

    sent = by_id(browser, "issue-bill")
    sent.click()
    # Until the refusal has replaced the page: the form found before it came would go stale under us.
    wait_for(browser, expected_conditions.staleness_of(sent))

    refusal = by_id(browser, "repair-form")
    notice = browser.find_element("css selector", "[data-problem]")
    assert notice.get_attribute("data-problem") == "unit_not_found"
    # Everything typed is still there.
    assert refusal.find_element("name", "serial_number").get_attribute("value") == WRONG_SERIAL
    assert refusal.find_element("name", "more_reservations").get_attribute("value") == str(reservation)
    assert refusal.find_element("name", "labor_hours").get_attribute("value") == "2"
    assert refusal.find_element("name", "performed_on").get_attribute("value") == "2026-11-20"
    assert refusal.find_element("css selector", "input[name=causes][value=improper_use]").is_selected()
    assert refusal.find_element("css selector", "input[name=has_certificate][value=no]").is_selected()
    assert refusal.find_element("css selector", "select[name=component]").get_attribute("value") == "unit"
    assert stock(platform) == before  # nothing was consumed

    serial = refusal.find_element("name", "serial_number")
    serial.clear()
    serial.send_keys(SERIAL)
    by_id(browser, "issue-bill").click()  # a corrected form is a new submission: a new key
    bill = by_id(browser, "bill")
    assert bill.get_attribute("data-status") == "issued"
    number = bill.find_element("tag name", "h1").text.split()[0]
    with platform.client(keys["billing"]) as billing:
        issued = billing.get(f"/billing/invoices/{number}").json()
    assert issued["serial_number"] == SERIAL and issued["reservation_ids"] == [reservation]
    assert issued["customer"]["name"] == "济南市中心医院"
    after = stock(platform)
    assert after["on_hand"] == before["on_hand"] - 1  # consumed once


def test_the_clerk_takes_a_payment_then_voids_and_bills_the_repair_again(platform, keys, browser):
    from selenium.webdriver.support.select import Select

    reference = f"RO-WEB-{uuid.uuid4().hex[:6]}"
    reservation = reserve(platform, keys, reference)
    sign_in(browser, platform.url, keys["billing"])
    browser.get(platform.url + f"/app/billing/repair?repair_reference={reference}")
    fill_repair(browser, reservation, SERIAL)
    by_id(browser, "issue-bill").click()
    number = by_id(browser, "bill").find_element("tag name", "h1").text.split()[0]

    # Void it (asked first), then bill the same repair again from the void bill's page.
    browser.execute_script("window.confirm = () => true")
    by_id(browser, "void").click()
    wait_for(browser, lambda d: "done=void" in d.current_url)
    before = stock(platform)
    by_id(browser, "reissue").click()
    form = by_id(browser, "repair-form")
    assert form.find_element("name", "more_reservations").get_attribute("value") == str(reservation)
    assert form.find_element("name", "serial_number").get_attribute("value") == SERIAL
    by_id(browser, "issue-bill").click()
    bill = by_id(browser, "bill")
    second = bill.find_element("tag name", "h1").text.split()[0]
    assert second != number
    assert number in by_id(browser, "bill-replaces").text
    assert stock(platform) == before  # the parts were not taken from stock again

    # The payment: a method from the list, a reference, and a question first.
    Select(by_id(browser, "method")).select_by_value("wechat_pay")
    by_id(browser, "reference").send_keys("WX-20261120-01")
    assert by_id(browser, "pay-form").get_attribute("data-confirm")  # it asks first
    browser.execute_script("window.confirm = () => true")
    by_id(browser, "pay").click()
    wait_for(browser, lambda d: "done=paid" in d.current_url)
    assert by_id(browser, "bill").get_attribute("data-status") == "paid"
    assert "微信支付" in by_id(browser, "bill-payment").text and "WX-20261120-01" in by_id(browser, "bill-payment").text
    assert browser.find_elements("id", "pay") == []
    with platform.client(keys["billing"]) as billing:
        paid = billing.get(f"/billing/invoices/{second}").json()
    assert paid["payment"]["method"] == "wechat_pay" and paid["replaces"] == number

    # The print view names the customer and has the lines to sign.
    by_id(browser, "print-view").click()
    signatures = by_id(browser, "signatures").text
    assert "维修技师签字" in signatures and "客户签字" in signatures and "公司盖章" in signatures
    assert "济南市中心医院" in by_id(browser, "print-customer").text


def test_the_bills_list_runs_newest_first_and_shows_the_status_on_a_phone(platform, keys, browser):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    with platform.client(keys["billing"]) as billing:
        for _bill in range(2):
            made = billing.post("/billing/repairs", json={
                "serial_number": SERIAL, "repair_reference": f"RO-LIST-{uuid.uuid4().hex[:6]}",
                "performed_on": "2026-11-20", "component": "unit", "causes": ["improper_use"], "certificate": None,
                "reservation_ids": [], "labor_hours": "1", "visits": 1}, headers={"Idempotency-Key": uuid.uuid4().hex})
            assert made.status_code == 201, made.text
    sign_in(browser, platform.url, keys["billing"])
    browser.get(platform.url + "/app/billing")
    table = by_id(browser, "invoices")
    numbers = [a.text for a in table.find_elements("css selector", "tbody td a")]
    assert numbers == sorted(numbers, reverse=True) and len(numbers) >= 2
    status_cell = table.find_element("css selector", "tbody tr td:last-child")
    right = browser.execute_script("return arguments[0].getBoundingClientRect().right", status_cell)
    assert right <= 390, right  # the status column is on the screen, not cut off
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390


def test_an_ended_contract_says_so_and_offers_no_end_form(platform, keys):
    driver = make_driver(DESK)
    try:
        with platform.client(keys["billing"]) as billing:
            contract = billing.post("/billing/contracts", json={
                "customer": "泉城广场写字楼", "serial_numbers": [SERIAL], "starts_on": "2024-01-01",
                "ends_on": "2024-12-31", "includes_labor": False, "parts_discount_pct": "0"}).json()
        sign_in(driver, platform.url, keys["billing"])
        driver.get(platform.url + "/app/billing/contracts")
        assert "已到期" in by_id(driver, "contracts").text
        driver.get(platform.url + f"/app/billing/contracts/{contract['id']}")
        assert "已到期" in by_id(driver, "contract").text
        assert driver.find_elements("id", "cancel-contract") == []
        visits = by_id(driver, "visits")
        states = {li.get_attribute("data-state") for li in visits.find_elements("css selector", "li[data-kind]")}
        assert states == {"missed"}
        assert "休息日" in visits.text  # 2024-06-01 is a Saturday: the next working day is suggested
    finally:
        quit_driver(driver)
