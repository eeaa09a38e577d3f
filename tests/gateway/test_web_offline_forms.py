"""The forms the API has that the pages lacked, over plain HTTP against a real service desk behind the real gateway:
a station resolves by phone or remotely with the way picked from a list; the desk settles a loaner with a loaner
unit of the unit's class picked from inventory's stock, or with the emergency measures taken; the desk sends
another technician after a complaint, station and technician from lists; and the board's list alone, for the
page to refresh itself, marking a ticket that turned at risk or breached. Each refused form keeps what was typed."""

import re

import offline_support as support
import pytest
from offline_support import (
    ADMIN_HEADERS,
    SERIAL,
    dispatched_ticket,
    events,
    form_of,
    organisation,
    people,
    report,
    ticket_json,
)

from gateway_support import sign_in

pytestmark = pytest.mark.anyio
# The fixtures (a real service desk behind the real gateway, on a clock that stands still).
clock, desk_fakes, live_desk, web = support.clock, support.desk_fakes, support.live_desk, support.web


async def test_a_station_resolves_by_phone_with_the_way_picked_from_a_list_and_keeps_a_refused_form(web):
    technicians = await organisation(web)
    who = await people(web)
    ticket = await dispatched_ticket(web, who["desk"], technicians)
    csrf = await sign_in(web, who["station"])
    base = f"/app/station/tickets/{ticket}"
    page = (await web.get(base)).text
    form = form_of(page, "resolve-form")
    assert '<select id="way" name="way" required>' in form
    ways = re.findall(r'<option value="(\w+)"( selected)?>([^<]+)</option>', form)
    assert [(code, label) for code, _chosen, label in ways] == [("on_site", "现场处理"), ("phone", "电话指导"),
                                                               ("remote", "远程处理")]
    assert [code for code, chosen, _label in ways if chosen] == ["phone"]  # not arrived yet: by phone first
    # An on-site fix before the arrival: refused by the service, in words, with everything typed kept.
    typed = {"csrf": csrf, "way": "on_site", "technician": "王磊", "summary": "更换室外风机电机",
             "part_number": ["FAN-72", ""], "part_qty": ["1", ""], "invoice_number": "INV-9", "at": "2026-11-27T09:58"}
    refused = await web.post(f"{base}/resolve", data=typed)
    assert refused.status_code == 409 and "此操作与工单当前状态不符" in refused.text
    kept = form_of(refused.text, "resolve-form")
    assert '<option value="on_site" selected>' in kept and "更换室外风机电机</textarea>" in kept
    assert 'value="FAN-72"' in kept and 'value="1"' in kept and 'value="INV-9"' in kept
    assert 'value="2026-11-27T09:58"' in kept
    assert 'value="2026-11-27T09:58"' not in form_of(refused.text, "arrive-form")  # only the refused form keeps it
    bogus = await web.post(f"{base}/resolve", data={**typed, "way": "teleport"})
    assert bogus.status_code == 422 and "处理方式" in bogus.text and "更换室外风机电机</textarea>" in bogus.text
    # Guided on the phone: no arrival needed, the on-site promise is not needed.
    done = await web.post(f"{base}/resolve", data={**typed, "way": "phone", "summary": "电话指导用户复位控制器"})
    assert done.status_code == 303 and done.headers["location"] == f"{base}?done=resolved"
    found = await ticket_json(web, ticket)
    assert found["status"] == "resolved" and events(found, "arrived") == []
    assert {m["name"]: m["state"] for m in found["milestones"]}["on_site"] == "not_needed"
    assert events(found, "resolved")[0]["data"]["way"] == "phone"
    page = (await web.get(base)).text
    assert "电话指导" in page and 'data-milestone="on_site" data-state="not_needed"' in page


async def test_an_on_site_resolution_after_the_arrival_is_the_default(web):
    technicians = await organisation(web)
    who = await people(web)
    ticket = await dispatched_ticket(web, who["desk"], technicians)
    csrf = await sign_in(web, who["station"])
    base = f"/app/station/tickets/{ticket}"
    assert (await web.post(f"{base}/arrive", data={"csrf": csrf, "technician": "王磊"})).status_code == 303
    form = form_of((await web.get(base)).text, "resolve-form")
    assert '<option value="on_site" selected>' in form
    done = await web.post(f"{base}/resolve", data={"csrf": csrf, "way": "on_site", "technician": "王磊",
                                                   "summary": "更换电机"})
    assert done.status_code == 303
    assert {m["name"]: m["state"] for m in (await ticket_json(web, ticket))["milestones"]}["on_site"] == "met"


async def loaner_due(web, who, technicians, fakes, desk_fakes) -> int:
    """A level-1 ticket whose 48 hours to fix ran out: a loaner is due. The gateway's warranty and inventory (fakes)
    say the unit's model and class, and where loaners of that class are."""
    ticket = await dispatched_ticket(web, who["desk"], technicians, reported="2026-11-24T09:00",
                                     dispatched="2026-11-24T09:05")
    fakes["warranty"].answers[f"/units/{SERIAL}"] = (200, {"serial_number": SERIAL, "model_code": "KFR-72LW",
                                                           "site": {"name": "医院", "region": "shandong"}})
    fakes["inventory"].answers["/models/KFR-72LW"] = (200, {"model_code": "KFR-72LW", "name": "柜机",
                                                            "loaner_class": "split_wall_7.2kW"})
    fakes["inventory"].answers["/loaners"] = (200, {"loaner_class": "split_wall_7.2kW", "region": "shandong", "items": [
        {"warehouse": "SC-JINAN", "warehouse_name": "济南服务中心", "kind": "service_center", "region": "shandong",
         "same_region": True, "part_number": "LOANER-KFR72", "name": "备用柜机 7.2kW", "available": 2},
        {"warehouse": "CW-01", "warehouse_name": "中心仓库", "kind": "central", "region": "beijing",
         "same_region": False, "part_number": "LOANER-KFR72", "name": "备用柜机 7.2kW", "available": 5}]})
    desk_fakes["inventory"].stock[("SC-JINAN", "LOANER-KFR72")] = 2
    return ticket


async def test_the_desk_picks_a_loaner_of_the_units_class_from_the_stock_nearest_first(web, fakes, desk_fakes):
    technicians = await organisation(web)
    who = await people(web)
    ticket = await loaner_due(web, who, technicians, fakes, desk_fakes)
    csrf = await sign_in(web, who["desk"])
    page = await web.get(f"/app/desk/tickets/{ticket}")
    assert page.status_code == 200
    form = form_of(page.text, "loaner-form")
    asked = [s for s in fakes["inventory"].seen if s.raw_path == "/loaners"]
    assert asked and "class=split_wall_7.2kW" in asked[-1].query and "region=shandong" in asked[-1].query
    options = re.findall(r'<option value="([^"]*)"', form)
    assert options == ["", "SC-JINAN|LOANER-KFR72", "CW-01|LOANER-KFR72"]  # nearest first, as inventory said
    assert "split_wall_7.2kW" in form and "可用 2 台" in form and 'name="warehouse"' not in form
    # Nothing picked: refused, the measures typed so far kept.
    refused = await web.post(f"/app/desk/tickets/{ticket}/loaner", data={
        "csrf": csrf, "settle": "loaner", "loaner": "", "emergency_measures": "临时移动空调"})
    assert refused.status_code == 422 and "备用机" in refused.text
    assert "临时移动空调</textarea>" in form_of(refused.text, "loaner-form")
    picked = await web.post(f"/app/desk/tickets/{ticket}/loaner", data={
        "csrf": csrf, "settle": "loaner", "loaner": "SC-JINAN|LOANER-KFR72"})
    assert picked.status_code == 303, picked.text
    loaner = (await ticket_json(web, ticket))["loaner"]
    assert loaner["status"] == "provided" and loaner["warehouse"] == "SC-JINAN"
    assert loaner["part_number"] == "LOANER-KFR72"


async def test_the_desk_records_the_emergency_measures_instead_of_a_loaner(web, fakes, desk_fakes):
    technicians = await organisation(web)
    who = await people(web)
    ticket = await loaner_due(web, who, technicians, fakes, desk_fakes)
    fakes["inventory"].answers["/loaners"] = (200, {"loaner_class": "split_wall_7.2kW", "items": []})
    csrf = await sign_in(web, who["desk"])
    form = form_of((await web.get(f"/app/desk/tickets/{ticket}")).text, "loaner-form")
    assert 'id="loaner-why"' in form and "各仓库均无此档次的备用机" in form
    assert '<input type="radio" name="settle" value="measures" checked>' in form  # nothing to pick: measures
    empty = await web.post(f"/app/desk/tickets/{ticket}/loaner", data={"csrf": csrf, "settle": "measures",
                                                                      "emergency_measures": ""})
    assert empty.status_code == 422 and "应急措施" in empty.text
    done = await web.post(f"/app/desk/tickets/{ticket}/loaner", data={
        "csrf": csrf, "settle": "measures", "emergency_measures": "送去两台移动空调临时制冷"})
    assert done.status_code == 303
    found = await ticket_json(web, ticket)
    assert found["loaner"]["status"] == "measures_taken"
    assert found["loaner"]["emergency_measures"] == "送去两台移动空调临时制冷"
    page = (await web.get(f"/app/desk/tickets/{ticket}")).text
    assert "送去两台移动空调临时制冷" in page and 'id="loaner-form"' not in page


async def test_a_unit_without_a_loaner_class_says_so(web, fakes, desk_fakes):
    technicians = await organisation(web)
    who = await people(web)
    ticket = await loaner_due(web, who, technicians, fakes, desk_fakes)
    fakes["inventory"].answers["/models/KFR-72LW"] = (200, {"model_code": "KFR-72LW", "loaner_class": None})
    await sign_in(web, who["desk"])
    form = form_of((await web.get(f"/app/desk/tickets/{ticket}?lang=en")).text, "loaner-form")
    assert "The unit&#39;s model has no loaner class" in form
    assert not [s for s in fakes["inventory"].seen if s.raw_path == "/loaners"]


async def test_the_desk_sends_another_technician_after_a_complaint_from_lists(web):
    technicians = await organisation(web)
    who = await people(web)
    ticket = await dispatched_ticket(web, who["desk"], technicians)
    csrf = await sign_in(web, who["station"])
    assert (await web.post(f"/app/station/tickets/{ticket}/resolve", data={
        "csrf": csrf, "way": "phone", "technician": "王磊", "summary": "电话指导"})).status_code == 303
    made = await web.post("/servicedesk/complaints", headers=ADMIN_HEADERS, json={
        "ticket_id": ticket, "caller": {"name": "李娜", "phone": "0531-8888 0001"}, "description": "还是不制冷"})
    assert made.status_code == 201, made.text
    complaint = made.json()["id"]
    csrf = await sign_in(web, who["desk"])
    page = await web.get(f"/app/desk/complaints/{complaint}")
    form = form_of(page.text, "redispatch-form")
    assert '<select id="station" name="station" required>' in form and 'value="JN-07"' in form
    assert f'<option value="{technicians["李强"]}" data-station="JN-07">李强</option>' in form
    assert 'name="idempotency_key"' in form and "/app/static/desk.js" in page.text
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', form).group(1)
    # The one who had it: refused in words, the choice kept.
    same = await web.post(f"/app/desk/complaints/{complaint}/redispatch", data={
        "csrf": csrf, "station": "JN-07", "technician_id": technicians["王磊"], "idempotency_key": key})
    assert same.status_code == 422 and "Traceback" not in same.text
    kept = form_of(same.text, "redispatch-form")
    assert '<option value="JN-07" selected>' in kept
    assert f'<option value="{technicians["王磊"]}" data-station="JN-07" selected>' in kept
    missing = await web.post(f"/app/desk/complaints/{complaint}/redispatch", data={"csrf": csrf, "station": "JN-07"})
    assert missing.status_code == 422 and "技术员" in missing.text
    sent = await web.post(f"/app/desk/complaints/{complaint}/redispatch", data={
        "csrf": csrf, "station": "JN-07", "technician_id": technicians["李强"], "idempotency_key": "again-1"})
    assert sent.status_code == 303 and sent.headers["location"].endswith("?done=redispatched")
    new = int(re.search(r"/app/desk/tickets/(\d+)", sent.headers["location"]).group(1))
    # The same form sent twice (a double tap) is one new ticket.
    twice = await web.post(f"/app/desk/complaints/{complaint}/redispatch", data={
        "csrf": csrf, "station": "JN-07", "technician_id": technicians["李强"], "idempotency_key": "again-1"})
    assert twice.headers["location"] == sent.headers["location"]
    found = await ticket_json(web, new)
    assert found["status"] == "dispatched" and found["follow_on_of"] == ticket and found["complaint_id"] == complaint
    assert found["technician"] == "李强" and found["station"] == "JN-07"
    shown = (await web.get(sent.headers["location"])).text
    assert "已另派技术人员，并开立新工单。" in shown and 'data-status="dispatched"' in shown


async def test_a_complaint_naming_no_ticket_offers_no_redispatch(web):
    await organisation(web)
    who = await people(web)
    made = await web.post("/servicedesk/complaints", headers=ADMIN_HEADERS, json={
        "serial_number": SERIAL, "caller": {"name": "李娜", "phone": "0531-8888 0001"}, "description": "态度差"})
    assert made.status_code == 201, made.text
    await sign_in(web, who["desk"])
    page = await web.get(f"/app/desk/complaints/{made.json()['id']}")
    assert page.status_code == 200 and 'id="redispatch-form"' not in page.text


async def test_the_board_refreshes_itself_and_marks_a_ticket_turning_at_risk_then_breached(web, clock):
    await organisation(web)
    who = await people(web)
    csrf = await sign_in(web, who["desk"])
    # Level 1 at 09:55: dispatch due 10:05, five of its ten minutes left at 10:00 (on time).
    ticket = await report(web, csrf, reported_at="2026-11-27T09:55")
    board = await web.get("/app/desk")
    live = re.search(r'<div id="board-live"[^>]*>', board.text).group(0)
    assert 'data-refresh-seconds="20"' in live and 'data-source="/app/desk/board/items"' in live
    assert '<script src="/app/static/board.js"></script>' in board.text and "<script>" not in board.text
    assert 'id="board-updated">10:00:00<' in board.text

    def dispatch_state(html: str) -> str:
        item = re.search(rf'<li class="board-item" data-ticket="{ticket}".*?</li>\s*</ul>', html, re.S).group(0)
        return re.search(r'data-milestone="dispatch" data-state="(\w+)"', item).group(1)

    items = await web.get("/app/desk/board/items")
    assert items.status_code == 200 and "<html" not in items.text and "board-fragment" in items.text
    assert items.headers["cache-control"] == "no-store"
    assert dispatch_state(items.text) == "pending" and 'data-updated="10:00:00"' in items.text
    clock.advance(minutes=3)  # 10:03: two minutes left of ten, under a quarter
    items = await web.get("/app/desk/board/items")
    assert dispatch_state(items.text) == "at_risk" and "临近超时" in items.text and "剩余 2 分钟" in items.text
    clock.advance(minutes=3)  # 10:06: past due
    items = await web.get("/app/desk/board/items?state=breached")  # the page's own filters come along
    assert dispatch_state(items.text) == "breached" and "已超时" in items.text
    assert f'data-ticket="{ticket}"' not in (await web.get("/app/desk/board/items?state=at_risk")).text
    # Only the desk's: a station person may not read the board.
    await sign_in(web, who["station"])
    assert (await web.get("/app/desk/board/items")).status_code == 403
