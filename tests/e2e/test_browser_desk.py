"""The service desk's pages in a real browser (headless Chromium) against the real processes: a desk clerk
takes a report by phone and dispatches it; a station technician logs arrival and resolution on a phone."""

import pytest
from desk_support import organisation
from test_e2e_web import by_id, css, open_browser, wait_for_path
from web_support import DESK, SERIAL, chromium_available, person, seed, sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium and /usr/bin/chromedriver"),
]
NARROW_PHONE = (360, 740)


@pytest.fixture(scope="module")
def desk_keys(platform):
    with platform.client() as admin:
        keys = seed(admin)
        for role in ("desk",):
            made = admin.post("/admin/api-keys", json={"role": role, "name": f"web {role}"})
            assert made.status_code == 201, made.text
            keys[role] = person(admin, role, key=made.json()["key"])
    return keys


@pytest.fixture
def desk_browser(request):
    yield from open_browser(request, DESK)


@pytest.fixture
def narrow_browser(request):
    yield from open_browser(request, NARROW_PHONE)


TOO_WIDE = """return Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));"""


def too_wide(driver) -> list[str]:
    """The elements reaching past the screen's right edge (a phone would scroll sideways)."""
    return driver.execute_script(TOO_WIDE)


def take_report(platform, keys, browser, org) -> str:
    """The desk's part: the serial fills the form, the report is taken and dispatched to `org`'s station and
    technician, picked from the lists the desk is offered; returns the ticket's URL."""
    from selenium.webdriver.support.ui import Select

    sign_in(browser, platform.url, keys["desk"])
    wait_for_path(browser, "/app/desk")
    css(browser, ".sub-nav a[href='/app/desk/report']")[0].click()
    by_id(browser, "serial").send_keys(SERIAL.lower() + "\n")
    facts = by_id(browser, "unit-facts")
    assert facts.get_attribute("data-serial") == SERIAL and "济南市中心医院" in facts.text
    assert css(browser, "#coverage li.cover")  # the unit's warranty today, component by component
    assert "济南市中心医院" in by_id(browser, "site_address").get_attribute("value")
    form = by_id(browser, "report-form")
    by_id(browser, "caller_name").send_keys("李娜")
    by_id(browser, "caller_phone").send_keys("0531-8888 0001")
    by_id(browser, "description").send_keys("室外机停机，病房不制冷")
    form.find_element("css selector", "input[name=level][value='1']").click()
    form.find_element("css selector", "button[type=submit]").click()
    ticket = by_id(browser, "ticket")
    assert ticket.get_attribute("data-status") == "open"
    assert "已受理报修" in browser.find_element("css selector", ".notice.good").text
    promises = {li.get_attribute("data-milestone"): li for li in css(browser, ".promise")}
    assert set(promises) == {"dispatch", "on_site", "fixed"}
    # Level 1: ten minutes round the clock to decide who goes; its state in words and the minutes left.
    assert promises["dispatch"].get_attribute("data-state") in ("pending", "at_risk")
    assert "剩余" in promises["dispatch"].text and "分钟" in promises["dispatch"].text
    url = browser.current_url.split("?")[0]
    Select(by_id(browser, "station")).select_by_value(org.station)
    Select(by_id(browser, "technician_id")).select_by_value(str(org.technician_id))
    by_id(browser, "dispatch-form").find_element("css selector", "button[type=submit]").click()
    wait_for_path(browser, "done=dispatched")
    assert by_id(browser, "ticket").get_attribute("data-status") == "dispatched"
    dispatch = css(browser, ".promise[data-milestone=dispatch]")[0]
    assert dispatch.get_attribute("data-state") == "met" and "已达成" in dispatch.text
    # The board lists it, with each promise's time left.
    css(browser, ".sub-nav a[href='/app/desk']")[0].click()
    item = by_id(browser, "board").find_element("css selector", f"li[data-ticket='{url.rsplit('/', 1)[1]}']")
    assert "已派工" in item.text and "剩余" in item.text
    return url


def test_a_desk_takes_a_report_by_phone_and_dispatches_it(platform, desk_keys, desk_browser):
    with platform.client() as admin:
        org = organisation(admin)
    url = take_report(platform, desk_keys, desk_browser, org)
    desk_browser.get(url)
    assert "王磊" in by_id(desk_browser, "ticket").text and org.station in by_id(desk_browser, "ticket").text


def test_a_station_logs_arrival_and_resolution_from_a_phone(platform, desk_keys, desk_browser, narrow_browser):
    with platform.client() as admin:
        org = organisation(admin)
    station = org.station
    url = take_report(platform, desk_keys, desk_browser, org)
    ticket_id = url.rsplit("/", 1)[1]
    phone = narrow_browser
    sign_in(phone, platform.url, desk_keys["station"])
    wait_for_path(phone, "/app/station")
    by_id(phone, "our-tickets").click()
    by_id(phone, "station").send_keys(station + "\n")
    # The list is on the page before the search too: wait for the searched page, not the old list.
    wait_for_path(phone, "station=")
    listed = by_id(phone, "station-tickets")
    listed.find_element("css selector", f"li[data-ticket='{ticket_id}'] a").click()
    assert by_id(phone, "ticket").get_attribute("data-status") == "dispatched"
    # Nothing wider than the phone's 360 px: no sideways scrolling.
    assert too_wide(phone) == []
    by_id(phone, "arrive-form").find_element("css selector", "button[type=submit]").click()
    wait_for_path(phone, "done=arrived")
    assert by_id(phone, "ticket").get_attribute("data-status") == "on_site"
    on_site = css(phone, ".promise[data-milestone=on_site]")[0]
    assert on_site.get_attribute("data-state") == "met"
    # The customer steps out: the clock stops with the reason, then runs again.
    by_id(phone, "pause-form").find_element("css selector", "button[type=submit]").click()
    wait_for_path(phone, "done=paused")
    assert css(phone, ".promise[data-milestone=fixed]")[0].get_attribute("data-state") == "paused"
    assert "客户不在" in by_id(phone, "timeline").text
    by_id(phone, "resume-form").find_element("css selector", "button[type=submit]").click()
    wait_for_path(phone, "done=resumed")
    by_id(phone, "summary").send_keys("更换室外风机电机，试机正常")
    by_id(phone, "resolve-form").find_element("css selector", "button[type=submit]").click()
    wait_for_path(phone, "done=resolved")
    assert by_id(phone, "ticket").get_attribute("data-status") == "resolved"
    assert css(phone, ".promise[data-milestone=fixed]")[0].get_attribute("data-state") == "met"
    assert "更换室外风机电机" in by_id(phone, "timeline").text
    # Back at the desk the follow-up call is due.
    desk_browser.get(platform.url + "/app/desk/follow-ups")
    assert by_id(desk_browser, "follow-ups").find_elements("css selector", f"li[data-ticket='{ticket_id}']")
