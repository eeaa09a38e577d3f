"""Work without a signal in a real browser (headless Chromium) against the real processes: a technician opens
today's ticket, loses the signal, opens it again from the phone, records the arrival and a fix by phone, gets the
signal back, and each step reaches the server once with the time it was tapped. And the desk's board refreshes
itself: a ticket turning at risk while the page is open is marked without a reload.

The signal is taken away with DevTools network emulation (`Network.emulateNetworkConditions`): on the page
through selenium's `execute_cdp_cmd`, and on the service worker through a DevTools session of its own (a page's
emulation does not cover the requests its service worker makes, and those are the ones that would reach the
server)."""

import itertools
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import test_browser_visits
from test_browser_visits import sign
from test_e2e_web import by_id, css, open_browser, wait_for_path
from web_support import DESK, SERIAL, chromium_available, person, seed, sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium and /usr/bin/chromedriver"),
]
NARROW_PHONE = (360, 740)
WAIT = 60
# A unit whose pre-season check is due (test_browser_visits' own), for a visit recorded without a signal.
visit_unit = test_browser_visits.visit_unit
READ_OUTBOX = """var done = arguments[0];
var opening = indexedDB.open("aftersales-offline", 1);
opening.onsuccess = function () {
  var read = opening.result.transaction("outbox").objectStore("outbox").getAll();
  read.onsuccess = function () { done(read.result.map(function (r) { return [r.kind, r.at, r.key]; })); };
};"""


class Signal:
    """The phone's signal: DevTools network emulation on the page and on every service worker of the browser."""

    def __init__(self, driver) -> None:
        import websocket

        self.driver = driver
        address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
        endpoint = httpx.get(f"http://{address}/json/version", timeout=10).json()["webSocketDebuggerUrl"]
        self.socket = websocket.create_connection(endpoint, suppress_origin=True, timeout=30)
        self.ids = itertools.count(1)
        self.sessions: dict[str, str] = {}

    def command(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        number = next(self.ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params or {},
                                     **({"sessionId": session} if session else {})}))
        while True:
            answer = json.loads(self.socket.recv())
            if answer.get("id") == number:
                assert "error" not in answer, answer
                return answer["result"]

    def workers(self) -> list[str]:
        found = self.command("Target.getTargets")["targetInfos"]
        for target in found:
            if target["type"] == "service_worker" and target["targetId"] not in self.sessions:
                self.sessions[target["targetId"]] = self.command("Target.attachToTarget", {
                    "targetId": target["targetId"], "flatten": True})["sessionId"]
        live = {t["targetId"] for t in found}
        return [session for target, session in self.sessions.items() if target in live]

    def set(self, *, online: bool) -> None:
        conditions = {"offline": not online, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd("Network.emulateNetworkConditions", conditions)
        workers = self.workers()
        assert workers, "no service worker to take the signal from"
        for session in workers:
            self.command("Network.enable", {}, session)
            self.command("Network.emulateNetworkConditions", conditions, session)

    def navigated(self) -> None:
        """After a navigation without a signal: some Chromium releases (150 among them) drop the page's
        emulated conditions when it loads again, so the new page would believe it is online while its
        service worker, still without a signal, serves it from the phone. Tell the page again."""
        if self.driver.execute_script("return navigator.onLine"):
            self.set(online=False)
        assert self.driver.execute_script("return navigator.onLine") is False

    def close(self) -> None:
        self.socket.close()


@pytest.fixture(scope="module")
def field(platform):
    """A station of its own (a code no other test uses), its technician, a station person bound to it and a
    desk person, over the seeded units."""
    code = f"ST-OFF-{uuid.uuid4().hex[:6].upper()}"
    with platform.client() as admin:
        seed(admin)
        centre = f"SC-OFF-{uuid.uuid4().hex[:6].upper()}"
        for site in ({"code": centre, "name": "离线服务中心", "kind": "service_center"},
                     {"code": code, "name": "离线维修站", "kind": "repair_station", "parent": centre}):
            made = admin.post("/servicedesk/sites", json={**site, "region": "shandong", "address": "济南市",
                                                          "phone": "0531-8888 0000"})
            assert made.status_code == 201, made.text
        technician = admin.post("/servicedesk/technicians", json={"name": "王磊", "phone": "13800000000",
                                                                   "station": code})
        assert technician.status_code == 201, technician.text
        return {"station": code, "technician": technician.json()["id"],
                "phone_person": person(admin, "station", name="王磊", station=code),
                "desk_person": person(admin, "desk", name="赵敏")}


def dispatched(platform, field, **report) -> int:
    with platform.client() as admin:
        made = admin.post("/servicedesk/tickets", json={
            "serial_number": SERIAL, "caller": {"name": "李娜", "phone": "0531-8888 0001"},
            "site_address": "济南市历下区解放路 105 号", "description": "室外机停机", "level": 2, **report})
        assert made.status_code == 201, made.text
        ticket = made.json()["id"]
        sent = admin.post(f"/servicedesk/tickets/{ticket}/dispatch", json={
            "station": field["station"], "technician_id": field["technician"]})
        assert sent.status_code == 200, sent.text
    return ticket


def timeline(platform, ticket: int) -> dict:
    with platform.client() as admin:
        found = admin.get(f"/servicedesk/tickets/{ticket}")
        assert found.status_code == 200, found.text
        return found.json()


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def until(driver, check, seconds: float = WAIT):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # The board and the offline bar redraw themselves: an element found a moment ago may be replaced before
    # it is read, which is a reason to look again, not a failure.
    return WebDriverWait(driver, seconds, poll_frequency=0.25,
                         ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: check())


@pytest.fixture
def phone(request):
    yield from open_browser(request, NARROW_PHONE)


@pytest.fixture
def desk(request):
    yield from open_browser(request, DESK)


def test_a_technician_records_arrival_and_a_phone_fix_without_a_signal_and_each_reaches_the_server_once(
        platform, field, phone):
    ticket = dispatched(platform, field)
    sign_in(phone, platform.url, field["phone_person"])
    wait_for_path(phone, "/app/station")
    # Today's tickets, with a signal: the list and every ticket on it are taken along for later.
    phone.get(f"{platform.url}/app/station/tickets?station={field['station']}")
    bar = by_id(phone, "offline-bar")
    assert "待发送" in bar.text and by_id(phone, "offline-count").text == "0"
    until(phone, lambda: int(bar.get_attribute("data-taken") or 0) >= 3)  # the list, the ticket, the unit...
    until(phone, lambda: phone.execute_script("return !!navigator.serviceWorker.controller"))
    css(phone, f"#station-tickets li[data-ticket='{ticket}'] a")[0].click()
    assert by_id(phone, "ticket").get_attribute("data-status") == "dispatched"

    signal = Signal(phone)
    try:
        signal.set(online=False)
        assert phone.execute_script("return navigator.onLine") is False
        # The page opens again without a signal: from the phone, as it was.
        phone.refresh()
        signal.navigated()
        page = by_id(phone, "ticket")
        assert page.get_attribute("data-ticket") == str(ticket) and page.get_attribute("data-status") == "dispatched"
        bar = by_id(phone, "offline-bar")
        until(phone, lambda: bar.get_attribute("data-state") == "offline")
        assert "无信号" in by_id(phone, "offline-state").text
        # A page never opened with a signal says so (the network, had it answered, would have said 404).
        phone.get(f"{platform.url}/app/station/visits/2000000000")
        signal.navigated()
        assert "此页面未离线保存" in by_id(phone, "not-taken").text
        phone.back()
        signal.navigated()
        by_id(phone, "arrive-form")
        # The arrival, tapped now: kept on the phone, waiting to be sent.
        by_id(phone, "arrive-form").find_element("css selector", "button[type=submit]").click()
        until(phone, lambda: by_id(phone, "offline-count").text == "1")
        assert not css(phone, "[data-step-card=arrive]")[0].is_displayed()
        assert "已保存在本机" in by_id(phone, "offline-state").text
        time.sleep(1.5)
        # Fixed by guiding the customer on the phone: the way picked from the list.
        form = by_id(phone, "resolve-form")
        form.find_element("css selector", "select[name=way] option[value=phone]").click()
        by_id(phone, "summary").send_keys("电话指导用户复位控制器，试机正常")
        phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", form)
        form.find_element("css selector", "button[type=submit]").click()
        until(phone, lambda: by_id(phone, "offline-count").text == "2")
        assert "待发送 2" in by_id(phone, "offline-bar").text.replace("\n", " ")
        assert not css(phone, "[data-step-card=resolve]")[0].is_displayed()
        kept = phone.execute_async_script(READ_OUTBOX)
        assert sorted(kind for kind, _at, _key in kept) == ["arrive", "resolve"]
        times = {kind: instant(at) for kind, at, _key in kept}
        assert times["arrive"] < times["resolve"]
        # Nothing reached the server meanwhile.
        assert timeline(platform, ticket)["status"] == "dispatched"
        time.sleep(2)
        back_at = datetime.now(UTC)
        signal.set(online=True)
    finally:
        signal.close()

    # The signal is back: both are sent, the page shows the ticket as the server has it.
    until(phone, lambda: phone.execute_script(
        "var t = document.getElementById('ticket'); return t && t.getAttribute('data-status')") == "resolved")
    until(phone, lambda: by_id(phone, "offline-count").text == "0")
    found = timeline(platform, ticket)
    arrivals = [e for e in found["timeline"] if e["event"] == "arrived"]
    fixes = [e for e in found["timeline"] if e["event"] == "resolved"]
    assert len(arrivals) == 1 and len(fixes) == 1  # each exactly once
    # Each with the time it was tapped (not when it was sent), on the server's clock as the phone measured it.
    assert instant(arrivals[0]["at"]) == times["arrive"].replace(microsecond=0)
    assert instant(fixes[0]["at"]) == times["resolve"].replace(microsecond=0)
    assert instant(fixes[0]["at"]) < back_at - timedelta(seconds=1)
    assert fixes[0]["data"]["way"] == "phone" and fixes[0]["by"]["name"] == "王磊"
    assert {m["name"]: m["state"] for m in found["milestones"]}["on_site"] == "met"
    # Sending again (the phone reloaded meanwhile) changes nothing.
    phone.refresh()
    by_id(phone, "ticket")
    time.sleep(1)
    again = [e["event"] for e in timeline(platform, ticket)["timeline"]]
    assert again.count("arrived") == 1 and again.count("resolved") == 1


def test_a_step_the_desk_overtook_meanwhile_is_shown_to_the_technician_in_words(platform, field, phone):
    ticket = dispatched(platform, field)
    sign_in(phone, platform.url, field["phone_person"])
    wait_for_path(phone, "/app/station")
    phone.get(f"{platform.url}/app/station/tickets/{ticket}")
    bar = by_id(phone, "offline-bar")
    until(phone, lambda: bar.get_attribute("data-taken") is not None)
    signal = Signal(phone)
    try:
        signal.set(online=False)
        by_id(phone, "arrive-form").find_element("css selector", "button[type=submit]").click()
        until(phone, lambda: by_id(phone, "offline-count").text == "1")
        with platform.client() as admin:  # meanwhile the desk cancels the ticket
            assert admin.post(f"/servicedesk/tickets/{ticket}/cancel",
                              json={"reason": "报修人撤回"}).status_code == 200
        signal.set(online=True)
    finally:
        signal.close()
    problem = until(phone, lambda: css(phone, "#offline-problems li[data-problem]"))[0]
    assert problem.get_attribute("data-problem") == "cancelled_meanwhile"
    assert "服务台已取消该工单" in problem.text and "未发送" in problem.text
    assert by_id(phone, "offline-count").text == "0"
    assert timeline(platform, ticket)["status"] == "cancelled"
    # Still there on the next page, until it has been read.
    phone.get(f"{platform.url}/app/station/tickets")
    problem = until(phone, lambda: css(phone, "#offline-problems li[data-problem]"))[0]
    problem.find_element("css selector", "button").click()
    until(phone, lambda: not css(phone, "#offline-problems li[data-problem]"))
    # Signing out forgets the pages kept on this phone.
    kept = "caches.has('aftersales-pages').then(arguments[0])"
    assert phone.execute_async_script(kept) is True
    css(phone, "form[action='/app/logout'] button")[0].click()
    wait_for_path(phone, "/app/login")
    until(phone, lambda: phone.execute_async_script(kept) is False, 20)


def test_the_board_marks_a_ticket_turning_at_risk_without_a_reload(platform, field, desk):
    # Level 1, complete seven minutes ago: its 10-minute dispatch is on time for half a minute more (under a
    # quarter of its minutes left is at risk), while the board is open.
    reported = (datetime.now(UTC) - timedelta(minutes=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with platform.client() as admin:
        made = admin.post("/servicedesk/tickets", json={
            "serial_number": SERIAL, "caller": {"name": f"看板-{uuid.uuid4().hex[:6]}", "phone": "0531-8888 0002"},
            "site_address": "济南市", "description": "停机", "level": 1, "reported_at": reported})
        assert made.status_code == 201, made.text
        ticket = made.json()["id"]
    sign_in(desk, platform.url, field["desk_person"])
    wait_for_path(desk, "/app/desk")
    desk.get(f"{platform.url}/app/desk?level=1")
    promise = f"#board li[data-ticket='{ticket}'] .promise[data-milestone=dispatch]"
    assert css(desk, promise)[0].get_attribute("data-state") == "pending"
    desk.execute_script("window.stillTheSamePage = true;")
    until(desk, lambda: css(desk, promise) and css(desk, promise)[0].get_attribute("data-state") == "at_risk", 90)
    assert desk.execute_script("return window.stillTheSamePage === true")  # no reload
    item = css(desk, f"#board li[data-ticket='{ticket}']")[0]
    assert "临近超时" in item.text and "changed" in item.get_attribute("class")
    assert "状态有变化" in item.text
    errors = [e for e in desk.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_with_a_signal_a_step_goes_at_once_and_a_refused_one_keeps_what_was_typed(platform, field, phone):
    ticket = dispatched(platform, field)
    sign_in(phone, platform.url, field["phone_person"])
    wait_for_path(phone, "/app/station")
    phone.get(f"{platform.url}/app/station/tickets/{ticket}")
    form = by_id(phone, "arrive-form")
    # A time before the dispatch: refused by the service, said on the form, the time typed still there.
    when = form.find_element("css selector", "input[name=at]")
    phone.execute_script("arguments[0].value = '2020-01-02T08:30'", when)
    form.find_element("css selector", "button[type=submit]").click()
    refusal = until(phone, lambda: css(phone, "#arrive-form .offline-refusal"))[0]
    assert refusal.get_attribute("data-problem") == "invalid_event_time" and "早于工单的上一步" in refusal.text
    assert when.get_attribute("value") == "2020-01-02T08:30"
    assert by_id(phone, "offline-count").text == "0" and not css(phone, "#offline-problems li")
    assert form.find_element("css selector", "button[type=submit]").is_enabled()
    phone.execute_script("arguments[0].value = ''", when)
    form.find_element("css selector", "button[type=submit]").click()
    wait_for_path(phone, "done=arrived")
    assert by_id(phone, "ticket").get_attribute("data-status") == "on_site"
    assert [e["event"] for e in timeline(platform, ticket)["timeline"]].count("arrived") == 1
    # No CSP violation, no script error (the refusal's own 422 is logged by the browser as a network message).
    errors = [e for e in phone.get_log("browser") if e["level"] == "SEVERE"
              and not (e["source"] == "network" and "/app/station/offline/send" in e["message"])]
    assert errors == []


def test_a_visit_recorded_without_a_signal_is_recorded_once_with_its_signature_and_time(platform, visit_unit, phone):
    visit = visit_unit["visit"]
    sign_in(phone, platform.url, visit_unit["keys"]["station"])
    wait_for_path(phone, "/app/station")
    phone.get(f"{platform.url}/app/station/visits?serial={visit_unit['serial']}")
    bar = by_id(phone, "offline-bar")
    until(phone, lambda: int(bar.get_attribute("data-taken") or 0) >= 2)
    css(phone, f"li[data-visit='{visit['id']}'] a")[0].click()
    by_id(phone, "visit-form")
    signal = Signal(phone)
    try:
        signal.set(online=False)
        phone.refresh()  # the checklist opens from the phone
        signal.navigated()
        form = by_id(phone, "visit-form")
        form_key = form.find_element("css selector", "input[name=idempotency_key]").get_attribute("value")
        for choice in css(phone, ".check-item label.choice.ok span"):
            phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", choice)
            choice.click()
        from selenium.webdriver.support.ui import Select

        Select(by_id(phone, "technician_id")).select_by_value(str(visit_unit["org"].technician_id))  # from a list
        by_id(phone, "customer_name").send_keys("李娜")
        canvas = by_id(phone, "signature")
        phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
        sign(phone, canvas)
        send = by_id(phone, "visit-send")
        phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", send)
        send.click()
        until(phone, lambda: by_id(phone, "offline-count").text == "1")
        assert not form.is_displayed() and "已保存在本机" in by_id(phone, "offline-visit-note").text
        [(kind, at, key)] = phone.execute_async_script(READ_OUTBOX)
        assert kind == "visit" and key == form_key  # sent as the service's Idempotency-Key
        with platform.client() as admin:
            assert admin.get(f"/servicedesk/visits/{visit['id']}").json()["status"] == "planned"
        signal.set(online=True)
    finally:
        signal.close()
    until(phone, lambda: phone.execute_script(
        "var v = document.getElementById('visit'); return v && v.getAttribute('data-status')") == "done")
    until(phone, lambda: by_id(phone, "offline-count").text == "0")
    with platform.client() as admin:
        done = admin.get(f"/servicedesk/visits/{visit['id']}").json()
    assert done["status"] == "done" and instant(done["record"]["at"]) == instant(at)
    assert done["record"]["customer"]["signed"] is True and done["record"]["customer"]["name"] == "李娜"
