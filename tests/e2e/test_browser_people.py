"""People in a real browser (headless Chromium) against the real processes: an admin makes a station
person in the console; that person signs in on a phone with the one-time password, is made to choose
their own first, and lands on the station's page."""

import uuid

import pytest
from test_e2e_web import by_id, css, open_browser, wait_for_path
from web_support import DESK, PHONE, chromium_available, person, sign_in, wait_replaced

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium and /usr/bin/chromedriver"),
]
NEW_PASSWORD = "Quan-cheng 72 springs"
TOO_WIDE = """return Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .map(e => e.tagName + '#' + e.id);"""


@pytest.fixture
def desk_browser(request):
    yield from open_browser(request, DESK)


@pytest.fixture
def phone(request):
    yield from open_browser(request, PHONE)


def station_site(admin) -> str:
    """A repair station of the service desk to bind the person to; "" while it has no sites API."""
    code = f"ST-E2E-{uuid.uuid4().hex[:4].upper()}"
    made = admin.post("/servicedesk/sites", json={
        "code": code, "name": "济南第七维修站", "kind": "repair_station", "region": "shandong",
        "address": "济南市历下区", "phone": "0531-8888 0007"})
    return code if made.status_code in (200, 201) else ""


def test_an_admin_makes_a_station_person_who_signs_in_on_a_phone(platform, desk_browser, phone):
    from selenium.webdriver.support.ui import Select

    with platform.client() as admin:
        boss = person(admin, "admin", name="张伟")
        station = station_site(admin)
    sign_in(desk_browser, platform.url, boss)
    desk_browser.get(platform.url + "/app/admin/users")
    by_id(desk_browser, "new-person").click()
    login = f"wl{uuid.uuid4().hex[:6]}"
    by_id(desk_browser, "login").send_keys(login)
    by_id(desk_browser, "display_name").send_keys("王磊")
    by_id(desk_browser, "phone").send_keys("138 0531 0007")
    Select(by_id(desk_browser, "role")).select_by_value("station")
    if station:  # picked from the service desk's list, never typed
        Select(by_id(desk_browser, "station")).select_by_value(station)
    by_id(desk_browser, "person-form").submit()
    one_time = by_id(desk_browser, "one-time-password").text
    assert by_id(desk_browser, "made-login").text == login and len(one_time) == 14
    assert "现在可以登录了" in by_id(desk_browser, "one-time").text

    phone.get(platform.url + "/app/login")
    by_id(phone, "login").send_keys(login)
    by_id(phone, "password").send_keys("not the password")
    form = by_id(phone, "login-form")
    form.submit()
    wait_replaced(phone, form)  # the same path answers: read the answer, not the form it replaces
    refused = css(phone, ".notice.bad")[0]
    assert "登录名或密码不正确" in refused.text
    assert by_id(phone, "login").get_attribute("value") == login  # what was typed stays
    by_id(phone, "password").send_keys(one_time)
    by_id(phone, "login-form").submit()
    wait_for_path(phone, "/app/password")
    assert by_id(phone, "password-page").get_attribute("data-must-change") == "yes"
    assert "设置您自己的密码" in phone.page_source
    for field in ("new_password", "confirm_password"):
        by_id(phone, field).send_keys("woaini1314")
    form = by_id(phone, "password-form")
    form.submit()
    wait_replaced(phone, form)
    assert "最常用的密码" in css(phone, ".notice.bad")[0].text
    for field in ("new_password", "confirm_password"):
        by_id(phone, field).send_keys(NEW_PASSWORD)
    by_id(phone, "password-form").submit()
    wait_for_path(phone, "/app/station")
    assert phone.current_url.split("?")[0].endswith("/app/station")
    assert phone.execute_script(TOO_WIDE) == []  # nothing reaches past a phone's screen
    for element in css(phone, "main button, main input, main select, main a.button"):
        if element.is_displayed():
            assert element.size["height"] >= 44, element.get_attribute("outerHTML")[:80]
    with platform.client() as admin:
        [made] = admin.get("/admin/users", params={"q": login}).json()["items"]
    assert made["must_change_password"] is False and made["station"] == (station or None)
