"""The service desk's pages over plain HTTP: who may open them, CSRF, and what they show, against a real
service desk process (its own database, warranty and inventory faked) behind the real gateway."""

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from gateway import config
from gateway.main import create_app
from services.servicedesk.main import create_app as create_desk
from shared import settings as settings_module
from shared.clock import FixedClock

from gateway_support import ADMIN, LiveServer, make_key
from gateway_support import sign_in as sign_in_person
from helpers import TOKEN, asgi_client

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "servicedesk"))
from servicedesk_fakes import DeskInventory, DeskWarranty  # noqa: E402

pytestmark = pytest.mark.anyio
SERIAL = "KFR72-000001"
# 2026-11-27 10:00 China Standard Time, a Friday: within working hours.
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def live_desk(database_factory, clock):
    db = database_factory("servicedesk")
    settings = settings_module.load("servicedesk", database_url=db.url, database_schema=db.schema,
                                    internal_token=TOKEN, upstream_timeout_seconds=2.0)
    warranty, inventory = DeskWarranty(), DeskInventory()
    warranty.add_unit(SERIAL)
    app = create_desk(settings, clock=clock, deliver=False, transports={
        "warranty": httpx.MockTransport(warranty.handler), "inventory": httpx.MockTransport(inventory.handler)})
    with LiveServer(app, lifespan="on") as server:
        yield server


@pytest.fixture
async def web(gateway_settings, fakes, clock, live_desk):
    settings = config.load(
        database_url=gateway_settings.database_url, database_schema=gateway_settings.database_schema,
        admin_api_key=ADMIN, internal_token=TOKEN, rate_limit_per_second=1000.0, rate_limit_burst=1000,
        gateway_timeout_seconds=5.0,
        service_urls={**gateway_settings.service_urls, "servicedesk": live_desk.url})
    app = create_app(settings, clock=clock)
    async with asgi_client(app) as client:
        client.app = app
        yield client


def token_in(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def sign_in(client, key) -> str:
    return await sign_in_person(client, key)  # a person of the key's role (gateway_support.sign_in)


async def report(web, csrf: str, **fields) -> httpx.Response:
    data = {"csrf": csrf, "caller_name": "李娜", "caller_phone": "0531-8888 0001", "serial_number": SERIAL,
            "site_address": "济南市历下区解放路 105 号", "description": "室外机停机", "level": "1", "channel": "phone"}
    data.update(fields)
    return await web.post("/app/desk/report", data=data)


async def organisation(web) -> dict[str, int]:
    """A centre with station JN-07 (its technicians 王磊 and 李强) and JN-08 (张伟): technician ids by name."""
    admin = {"X-API-Key": ADMIN}
    for code, kind, parent, name in (("SC-JINAN", "service_center", None, "济南服务中心"),
                                     ("JN-07", "repair_station", "SC-JINAN", "济南七站"),
                                     ("JN-08", "repair_station", "SC-JINAN", "济南八站")):
        body = {"code": code, "name": name, "kind": kind, "region": "shandong", "address": "济南市",
                "phone": "0531-8888 0000", **({"parent": parent} if parent else {})}
        made = await web.post("/servicedesk/sites", json=body, headers=admin)
        assert made.status_code == 201, made.text
    people = {}
    for name, station in (("王磊", "JN-07"), ("李强", "JN-07"), ("张伟", "JN-08")):
        made = await web.post("/servicedesk/technicians", json={"name": name, "phone": "13800000000",
                                                                 "station": station}, headers=admin)
        assert made.status_code == 201, made.text
        people[name] = made.json()["id"]
    return people


async def test_a_warehouse_key_sees_no_desk_pages(web):
    key = await make_key(web, "warehouse")
    csrf = await sign_in(web, key)
    assert "/app/desk" not in (await web.get("/app/warehouse")).text
    for path in ("/app/desk", "/app/desk/report", "/app/desk/follow-ups", "/app/desk/complaints",
                 "/app/desk/tickets/1", "/app/station/tickets"):
        refused = await web.get(path)
        assert refused.status_code == 403 and "您的角色无权执行此操作" in refused.text, path
    refused = await report(web, csrf)
    assert refused.status_code == 403
    assert (await web.get("/servicedesk/tickets", headers={"X-API-Key": key["key"]})).status_code == 403


async def test_a_station_key_sees_its_tickets_but_not_the_desk(web):
    key = await make_key(web, "station")
    await sign_in(web, key)
    assert (await web.get("/app/station/tickets")).status_code == 200
    assert (await web.get("/app/desk")).status_code == 403
    assert (await web.get("/app/desk/report")).status_code == 403


async def test_a_desk_post_without_the_csrf_token_is_refused_and_changes_nothing(web):
    key = await make_key(web, "desk")
    csrf = await sign_in(web, key)
    for token in ("", "forged"):
        refused = await report(web, token)
        assert refused.status_code == 403 and "表单已过期" in refused.text
    listed = await web.get("/servicedesk/tickets", headers={"X-API-Key": key["key"]})
    assert listed.json()["items"] == []
    assert (await report(web, csrf)).status_code == 303


async def test_a_report_taken_is_on_the_board_with_its_promises_in_colour_words_and_minutes(web):
    key = await make_key(web, "desk")
    csrf = await sign_in(web, key)
    taken = await report(web, csrf, reported_at="2026-11-27T09:52")
    assert taken.status_code == 303 and taken.headers["location"].endswith("?done=reported")
    page = await web.get(taken.headers["location"])
    assert page.status_code == 200 and "已受理报修" in page.text
    # Level 1 at 09:52 China time: dispatch due 10:02, 2 of its 10 minutes left at 10:00 (under a quarter: at risk).
    dispatch = re.search(r'<li class="promise (\w+)" data-milestone="dispatch" data-state="(\w+)">(.*?)</li>',
                         page.text, re.S)
    assert dispatch.group(1) == "warn" and dispatch.group(2) == "at_risk"
    assert "临近超时" in dispatch.group(3) and "2026年11月27日 10:02" in dispatch.group(3)
    assert "剩余 2 分钟" in dispatch.group(3)
    english = await web.get(taken.headers["location"].split("?")[0] + "?lang=en")
    assert "At risk" in english.text and "2 min left" in english.text and "27 Nov 2026 10:02" in english.text
    number = re.search(r"SR-2026-\d{6}", page.text).group(0)
    board = await web.get("/app/desk?lang=zh")
    assert board.status_code == 200 and number in board.text and "剩余 2 分钟" in board.text


async def test_the_board_puts_the_most_urgent_first(web):
    key = await make_key(web, "desk")
    csrf = await sign_in(web, key)
    for name, level, at in (("CALLER-L4", "4", "09:00"), ("CALLER-L1", "1", "09:58"), ("CALLER-L3", "3", "09:00")):
        taken = await report(web, csrf, level=level, reported_at=f"2026-11-27T{at}", caller_name=name)
        assert taken.status_code == 303

    def callers(html: str) -> list[str]:
        return re.findall(r"CALLER-L\d", html)

    # Due: level 3 at 09:30 (breached), level 4 at 10:00 (60 business minutes), level 1 at 10:08.
    assert callers((await web.get("/app/desk")).text) == ["CALLER-L3", "CALLER-L4", "CALLER-L1"]
    breached = (await web.get("/app/desk?state=breached")).text
    assert callers(breached) == ["CALLER-L3"] and "已超时" in breached
    assert callers((await web.get("/app/desk?level=1")).text) == ["CALLER-L1"]


async def test_refusals_are_explained_in_words(web):
    people = await organisation(web)
    key = await make_key(web, "desk")
    csrf = await sign_in(web, key)
    taken = await report(web, csrf, reported_at="2026-11-27T09:55")
    ticket = taken.headers["location"].split("?")[0]
    # A time in the future: 422 invalid_event_time from the service, in words, nothing changed.
    future = await web.post(f"{ticket}/dispatch", data={"csrf": csrf, "technician_id": people["王磊"],
                                                        "station": "JN-07", "at": "2026-11-27T11:00"})
    assert future.status_code == 422 and "该时间晚于现在，或早于工单的上一步" in future.text
    # Missing fields: named, nothing sent.
    empty = await web.post(f"{ticket}/dispatch", data={"csrf": csrf, "technician_id": "", "station": ""})
    assert empty.status_code == 422 and "技术员" in empty.text
    cancelled = await web.post(f"{ticket}/cancel", data={"csrf": csrf, "reason": "重复报修"})
    assert cancelled.status_code == 303
    # Dispatching a cancelled ticket: 409 invalid_ticket_state, in words.
    late = await web.post(f"{ticket}/dispatch", data={"csrf": csrf, "technician_id": people["王磊"],
                                                      "station": "JN-07"})
    assert late.status_code == 409 and "此操作与工单当前状态不符" in late.text
    assert "Traceback" not in late.text
    missing = await web.get("/app/desk/tickets/2000000000")
    assert missing.status_code == 404 and "该工单不存在" in missing.text


async def test_a_service_desk_that_is_down_is_explained_not_a_crash(web, gateway_settings, fakes, clock):
    settings = config.load(
        database_url=gateway_settings.database_url, database_schema=gateway_settings.database_schema,
        admin_api_key=ADMIN, internal_token=TOKEN, gateway_timeout_seconds=1.0,
        service_urls={**gateway_settings.service_urls, "servicedesk": gateway_settings.service_urls["servicedesk"]})
    fakes["servicedesk"].mode = "down"
    async with asgi_client(create_app(settings, clock=clock)) as client:
        csrf = await sign_in(client, ADMIN)
        for response in (await client.get("/app/desk?lang=en"), await report(client, csrf),
                         await client.get("/app/desk/complaints"), await client.get("/app/station/tickets?station=X")):
            assert response.status_code == 503, response.text[:200]
            assert "Traceback" not in response.text
            assert ("A service this page needs is not available right now." in response.text
                    or "本页面所需的服务暂时不可用" in response.text)


async def test_the_station_pages_log_arrival_pause_and_resolution(web):
    people = await organisation(web)
    desk_key, station_key = await make_key(web, "desk"), await make_key(web, "station")
    csrf = await sign_in(web, desk_key)
    ticket = (await report(web, csrf, reported_at="2026-11-27T09:50")).headers["location"].split("?")[0]
    tid = ticket.rsplit("/", 1)[1]
    await web.post(f"{ticket}/dispatch", data={"csrf": csrf, "technician_id": people["王磊"], "station": "JN-07",
                                               "at": "2026-11-27T09:55"})
    csrf = await sign_in(web, station_key)
    listed = await web.get("/app/station/tickets?station=JN-07")
    assert f'data-ticket="{tid}"' in listed.text
    assert "aftersales_station=JN-07" in listed.headers["set-cookie"]
    assert f'data-ticket="{tid}"' in (await web.get("/app/station/tickets")).text  # remembered
    assert f'data-ticket="{tid}"' not in (await web.get("/app/station/tickets?station=OTHER")).text
    base = f"/app/station/tickets/{tid}"
    before = await web.post(f"{base}/arrive", data={"csrf": csrf, "technician": "王磊", "at": "2026-11-27T09:54"})
    assert before.status_code == 422 and "早于工单的上一步" in before.text  # logged after the fact, but not before
    assert (await web.post(f"{base}/arrive", data={"csrf": csrf, "technician": "王磊",
                                                   "at": "2026-11-27T09:58"})).status_code == 303
    paused = await web.post(f"{base}/pause", data={"csrf": csrf, "reason": "no_site_access"})
    assert paused.status_code == 303
    page = (await web.get(base)).text
    assert 'data-milestone="fixed" data-state="paused"' in page and "无法进入现场" in page
    again = await web.post(f"{base}/pause", data={"csrf": csrf, "reason": "no_site_access"})
    assert again.status_code == 409 and "此操作与工单当前状态不符" in again.text
    assert (await web.post(f"{base}/resume", data={"csrf": csrf})).status_code == 303
    bad_parts = await web.post(f"{base}/resolve", data={"csrf": csrf, "technician": "王磊", "summary": "换电机",
                                                        "part_number": ["FAN-72"], "part_qty": ["zero"]})
    assert bad_parts.status_code == 422
    done = await web.post(f"{base}/resolve", data={"csrf": csrf, "technician": "王磊", "summary": "更换风机电机",
                                                   "part_number": ["FAN-72", ""], "part_qty": ["1", ""]})
    assert done.status_code == 303
    page = (await web.get(base + "?lang=en")).text
    assert 'data-status="resolved"' in page and "更换风机电机" in page
    csrf = await sign_in(web, desk_key)
    assert f'data-ticket="{tid}"' in (await web.get("/app/desk/follow-ups")).text
    called = await web.post(f"/app/desk/tickets/{tid}/follow-up",
                            data={"csrf": csrf, "reached": "yes", "satisfaction": "2", "notes": "来得太慢"})
    assert called.status_code == 303
    complaints = (await web.get("/app/desk/complaints")).text
    assert "来自回访" in complaints
    complaint = re.search(r'href="/app/desk/complaints/(\d+)"', complaints).group(1)
    answered = await web.post(f"/app/desk/complaints/{complaint}/answer",
                              data={"csrf": csrf, "by": "赵敏", "notes": "已致电道歉"})
    assert answered.status_code == 303
    resolved = await web.post(f"/app/desk/complaints/{complaint}/resolve",
                              data={"csrf": csrf, "by": "赵敏", "notes": "已回访确认"})
    assert resolved.status_code == 303
    assert 'data-status="resolved"' in (await web.get(f"/app/desk/complaints/{complaint}")).text


async def test_the_dispatch_form_offers_stations_and_their_technicians_from_lists_and_keeps_a_refused_choice(web):
    people = await organisation(web)
    key = await make_key(web, "desk")
    csrf = await sign_in(web, key)
    ticket = (await report(web, csrf, reported_at="2026-11-27T09:55")).headers["location"].split("?")[0]
    page = (await web.get(ticket)).text
    form = re.search(r'<form[^>]*id="dispatch-form".*?</form>', page, re.S).group(0)
    assert '<select id="station" name="station"' in form and '<select id="technician_id"' in form
    assert 'value="JN-07"' in form and "济南七站" in form and f'value="{people["张伟"]}"' in form
    assert '<input id="station"' not in form and 'name="technician"' not in form  # nothing typed blind
    # 张伟 is not of JN-07: refused in words, the choice kept in the form.
    refused = await web.post(f"{ticket}/dispatch", data={"csrf": csrf, "station": "JN-07",
                                                          "technician_id": people["张伟"], "caller_told": "yes"})
    assert refused.status_code == 422 and "Traceback" not in refused.text
    kept = re.search(r'<form[^>]*id="dispatch-form".*?</form>', refused.text, re.S).group(0)
    assert '<option value="JN-07" selected>' in kept
    assert re.search(rf'<option value="{people["张伟"]}" data-station="JN-08" selected>', kept)
    done = await web.post(f"{ticket}/dispatch", data={"csrf": csrf, "station": "JN-07",
                                                       "technician_id": people["王磊"], "caller_told": "yes"})
    assert done.status_code == 303
    ticket_page = (await web.get(ticket)).text
    assert 'data-status="dispatched"' in ticket_page and "王磊 · JN-07" in ticket_page
    assert "已告知报修人" in ticket_page or "Caller told at" in ticket_page


async def test_the_timeline_shows_who_by_name_never_a_key_id_and_both_times(web, clock):
    people = await organisation(web)
    key = await make_key(web, "desk")
    csrf = await sign_in(web, key)
    ticket = (await report(web, csrf, reported_at="2026-11-27T09:00")).headers["location"].split("?")[0]
    await web.post(f"{ticket}/dispatch", data={"csrf": csrf, "station": "JN-07", "technician_id": people["王磊"],
                                               "at": "2026-11-27T09:05"})
    page = (await web.get(ticket)).text
    timeline = re.search(r'<ul class="timeline" id="timeline">.*?</ul>', page, re.S).group(0)
    # signed in as a person: the timeline shows their display name, never the key's or the person's id
    person = key["person"]
    assert person["display_name"] in timeline and key["id"] not in page and f"user:{person['id']}" not in page
    assert "录入于" in timeline or "entered" in timeline  # logged 55 minutes after it happened: both times


def test_sites_and_technicians_are_written_by_admin_and_read_by_the_desk_stations_and_managers():
    from gateway import rules

    for path in ("/servicedesk/sites", "/servicedesk/sites/ST-07", "/servicedesk/technicians/3"):
        assert rules.allowed("admin", "POST", path) and rules.allowed("admin", "PATCH", path)
        for role in ("desk", "station", "manager"):
            assert rules.allowed(role, "GET", path) and not rules.allowed(role, "POST", path)
            assert not rules.allowed(role, "PATCH", path)
        assert not rules.allowed("warehouse", "GET", path) and not rules.allowed("billing", "GET", path)
    assert rules.allowed("station", "GET", "/servicedesk/tickets/1/stations")
    assert rules.allowed("station", "GET", "/servicedesk/notifications")
    assert not rules.allowed("station", "POST", "/servicedesk/complaints/1/redispatch")
    assert rules.allowed("desk", "POST", "/servicedesk/complaints/1/redispatch")


@pytest.mark.parametrize("path", [
    "/warranty/units/KFR72-000001", "/warranty/policy", "/inventory/stock", "/inventory/reservations",
    "/billing/invoices", "/billing/invoices/INV-2026-000001.pdf", "/servicedesk/tickets", "/servicedesk/visits",
    "/servicedesk/sites", "/reports/service", "/admin/audit"])
def test_a_manager_reads_everything_and_changes_nothing(path):
    from gateway import rules

    assert rules.allowed("manager", "GET", path) and rules.allowed("manager", "HEAD", path)
    if not path.startswith(("/reports/", "/admin/")):  # those routes answer 405 to any write themselves
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            assert not rules.allowed("manager", method, path)
    assert not rules.allowed("manager", "GET", "/admin/users") and not rules.allowed("manager", "GET", "/metrics")
