"""A planned visit recorded from a phone in a real browser (headless Chromium), against the real processes:
the station opens the visit, taps a result for every checklist item, types a reading, the customer signs on
the canvas with a finger (pointer events), the record is sent and the visit is `done`, with its report."""

import uuid
from datetime import date, timedelta

import pytest
from desk_support import organisation
from test_e2e_web import by_id, css, open_browser, wait_for_path
from web_support import chromium_available, seed, sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium and /usr/bin/chromedriver"),
]
NARROW_PHONE = (360, 740)


def month_day(day: date) -> str:
    return f"{day:%m-%d}" if f"{day:%m-%d}" != "02-29" else "03-01"


@pytest.fixture(scope="module")
def visit_unit(platform):
    """A unit whose pre-season check is due five days ago (its region's season starts in ten days),
    whatever day the test runs: a calendar of its own, set at warranty."""
    today = date.today()
    region = f"e2e{uuid.uuid4().hex[:6]}"
    serial = f"VIS-{uuid.uuid4().hex[:8].upper()}"
    with platform.client() as admin:
        keys = seed(admin)
        org = organisation(admin, region=region)  # a station of the unit's region and its technician 王磊
        first, last = today + timedelta(days=10), today + timedelta(days=100)
        calendar = admin.put(f"/warranty/regions/{region}", json={
            "heating": {"start": month_day(first), "end": month_day(last)},
            "cooling": {"start": month_day(last + timedelta(days=20)), "end": month_day(last + timedelta(days=90))}})
        assert calendar.status_code == 200, calendar.text
        unit = admin.post("/warranty/units", json={
            "serial_number": serial, "model_code": "KFR-72LW", "product_name": "柜式空调",
            "site": {"name": "济南市中心医院", "address": "济南市历下区解放路 105 号", "region": region},
            "accepted_on": (today - timedelta(days=10)).isoformat()})
        assert unit.status_code == 201, unit.text
        assert admin.put("/servicedesk/visit-models/KFR-72LW", json={"supply_volts": 380}).status_code == 200
        visits = admin.get("/servicedesk/visits", params={"serial_number": serial, "status": "planned"})
        assert visits.status_code == 200, visits.text
        due = (first - timedelta(days=15)).isoformat()
        [visit] = [v for v in visits.json()["items"] if v["due_on"] == due and v["kind"] == "pre_season"]
    return {"serial": serial, "visit": visit, "keys": keys, "org": org}


@pytest.fixture
def phone(request):
    yield from open_browser(request, NARROW_PHONE)


def sign(driver, canvas) -> None:
    """A finger's stroke across the pad (Chromium turns these into pointer events)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions import interaction
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput

    finger = PointerInput(interaction.POINTER_TOUCH, "finger")
    actions = ActionBuilder(driver, mouse=finger)
    actions.pointer_action.move_to(canvas, -100, 10).pointer_down()
    for dx, dy in ((-60, -20), (-20, 20), (20, -25), (60, 15), (100, -10)):
        actions.pointer_action.move_to(canvas, dx, dy)
    actions.pointer_action.pointer_up()
    actions.perform()
    ActionChains(driver).move_to_element_with_offset(canvas, -80, 30).click_and_hold() \
        .move_by_offset(60, -20).move_by_offset(60, 25).release().perform()  # and a mouse's, for good measure


def test_a_technician_records_a_visit_and_the_customer_signs_on_the_phone(platform, visit_unit, phone):
    visit = visit_unit["visit"]
    sign_in(phone, platform.url, visit_unit["keys"]["station"])
    wait_for_path(phone, "/app/station")
    phone.get(f"{platform.url}/app/station/visits?serial={visit_unit['serial']}")
    css(phone, f"li[data-visit='{visit['id']}'] a")[0].click()
    form = by_id(phone, "visit-form")
    assert by_id(phone, "visit").get_attribute("data-status") == "planned"
    items = css(phone, ".check-item")
    assert len(items) == 23
    # Nothing wider than the phone: no sideways scrolling, and every result button is a big target.
    assert phone.execute_script("return document.documentElement.scrollWidth") <= NARROW_PHONE[0]
    for item in items:
        choice = item.find_element("css selector", "label.choice.ok span")
        assert choice.size["height"] >= 44
        phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", choice)
        choice.click()
    supply = css(phone, "input[name='value.s9_1_1_1']")[0]
    supply.send_keys("300")  # under 342 V: flagged while typed
    flag = css(phone, ".check-item[data-code='s9_1_1_1'] .out-of-range")[0]
    assert flag.is_displayed()
    repair = css(phone, ".check-item[data-code='s9_1_1_1'] label.choice.needs_repair span")[0]
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", repair)
    repair.click()
    from selenium.webdriver.support.ui import Select

    Select(by_id(phone, "technician_id")).select_by_value(str(visit_unit["org"].technician_id))  # from a list
    by_id(phone, "customer_name").send_keys("李娜")
    canvas = by_id(phone, "signature")
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    sign(phone, canvas)
    signature = by_id(phone, "signature_png").get_attribute("value")
    assert signature.startswith("data:image/png;base64,") and len(signature) > 200
    send = by_id(phone, "visit-send")
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", send)
    send.click()
    wait_for_path(phone, "done=1")
    assert by_id(phone, "visit").get_attribute("data-status") == "done"
    record = by_id(phone, "visit-record")
    assert "李娜" in record.text and "王磊" in record.text and "超出范围" in record.text
    assert css(phone, "#visit-report")
    assert form is not None
    with platform.client() as admin:
        done = admin.get(f"/servicedesk/visits/{visit['id']}").json()
        assert done["status"] == "done" and done["out_of_range"] == ["s9_1_1_1"] and done["ticket_id"]
        assert done["record"]["customer"]["signed"] is True
        report = admin.get(f"/servicedesk/visits/{visit['id']}/report.pdf")
        assert report.status_code == 200 and report.content.startswith(b"%PDF")
        assert b"/Subtype /Image" in report.content
    errors = [e for e in phone.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []  # no CSP violation, no script error
