"""Work without a signal, over plain HTTP against a real service desk behind the real gateway: the service worker
and manifest the station's pages name, the count of what waits on every station page, and the endpoint a phone
sends what it kept to: each step once, with its real time, a step sent again recognised as already done, and a
conflict (the desk cancelled the ticket meanwhile) answered in words."""

import json
import re
from datetime import timedelta

import offline_support as support
import pytest
from offline_support import (
    ADMIN_HEADERS,
    NOW,
    SERIAL,
    dispatched_ticket,
    events,
    gateway_sees_the_unit,
    organisation,
    people,
    ticket_json,
)

from gateway.web import offline, pages

from gateway_support import sign_in

# The fixtures (a real service desk behind the real gateway, on a clock that stands still).
clock, desk_fakes, live_desk, web = support.clock, support.desk_fakes, support.live_desk, support.web

pytestmark = pytest.mark.anyio


async def token(web) -> dict:
    answer = await web.get("/app/station/offline/token")
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return answer.json()


async def send(web, csrf: str, kind: str, target: int, **fields):
    return await web.post("/app/station/offline/send", data={"csrf": csrf, "kind": kind, "target": str(target),
                                                              **fields})


async def test_the_service_worker_is_served_from_app_with_its_version_and_what_it_keeps(web):
    answer = await web.get("/app/sw.js")  # no session needed: it holds no one's data
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["cache-control"] == "no-cache"  # a new version is picked up at once
    assert answer.headers["content-security-policy"] == pages.CSP
    version = re.search(r'var VERSION = "([0-9a-f]{16})";', answer.text).group(1)
    assert version == offline.version() and "__VERSION__" not in answer.text
    kept = json.loads(re.search(r"var PRECACHE = (\[.*?\]);", answer.text).group(1))
    assert {"/app/static/offline.js", "/app/static/app.css", "/app/static/visit.js"} <= set(kept)
    for path in kept:  # every file it keeps is there to keep
        assert (await web.get(path)).status_code == 200, path
    assert 'var PAGES_CACHE = "aftersales-pages"' in answer.text and '"aftersales-static-" + VERSION' in answer.text
    manifest = await web.get("/app/static/station.webmanifest")
    assert manifest.status_code == 200 and manifest.headers["content-type"].startswith("application/manifest+json")
    assert manifest.json()["scope"] == "/app/station" and manifest.json()["start_url"] == "/app/station/tickets"


async def test_every_station_page_says_what_waits_to_be_sent_and_no_desk_page_does(web, fakes):
    gateway_sees_the_unit(fakes)
    technicians = await organisation(web)
    who = await people(web)
    ticket = await dispatched_ticket(web, who["desk"], technicians)
    plan = await web.post("/servicedesk/visits/plan", headers=ADMIN_HEADERS,
                          json={"serial_numbers": [SERIAL], "station": "JN-07"})
    assert plan.status_code == 200, plan.text
    visit = (await web.get("/servicedesk/visits", headers=ADMIN_HEADERS,
                           params={"serial_number": SERIAL, "due_from": "2026-10-31", "due_to": "2026-10-31"})
             ).json()["items"][0]["id"]
    board = await web.get("/app/desk")
    assert board.status_code == 200 and 'id="offline-bar"' not in board.text and "offline.js" not in board.text
    await sign_in(web, who["station"])
    for path in ("/app/station", "/app/station/tickets?station=JN-07", f"/app/station/tickets/{ticket}",
                 "/app/station/visits", f"/app/station/visits/{visit}", f"/app/station/units/{SERIAL}",
                 "/app/station/offline"):
        page = await web.get(path)
        assert page.status_code == 200, path
        assert 'id="offline-bar"' in page.text and "待发送" in page.text and 'id="offline-count">0<' in page.text
        assert '<script src="/app/static/offline.js"></script>' in page.text
        assert '<link rel="manifest" href="/app/static/station.webmanifest">' in page.text
        assert "<script>" not in page.text and page.headers["content-security-policy"] == pages.CSP
        bar = re.search(r'<div id="offline-bar"[^>]*>', page.text).group(0)
        assert 'data-who="user:' in bar and 'data-who-name="王磊"' in bar
    # The lists mark what to take along: each ticket and visit, and from them their unit.
    listed = (await web.get("/app/station/tickets?station=JN-07")).text
    assert f'href="/app/station/tickets/{ticket}" data-take' in listed
    assert f'href="/app/station/visits/{visit}" data-take' in (await web.get("/app/station/visits")).text
    assert f'href="/app/station/units/{SERIAL}" data-take' in (await web.get(f"/app/station/tickets/{ticket}")).text
    assert f'href="/app/station/units/{SERIAL}" data-take' in (await web.get(f"/app/station/visits/{visit}")).text
    # Each step form is one the phone keeps when there is no signal.
    page = (await web.get(f"/app/station/tickets/{ticket}")).text
    for step in ("arrive", "pause", "resume", "resolve"):
        assert re.search(rf'<form[^>]*id="{step}-form"[^>]*data-offline="{step}" data-target="{ticket}"', page), step
    assert 'data-offline="visit"' in (await web.get(f"/app/station/visits/{visit}")).text


async def test_steps_kept_on_the_phone_reach_the_ticket_once_with_their_real_times(web):
    technicians = await organisation(web)
    who = await people(web)
    ticket = await dispatched_ticket(web, who["desk"], technicians)
    await sign_in(web, who["station"])
    session = await token(web)
    assert session["who"].startswith("user:") and session["name"] == "王磊"
    assert session["now"] == "2026-11-27T02:00:00Z"  # the server's clock, for the phone to measure its own by
    # Tapped at 09:56 and 09:58 China time without a signal, sent at 10:00.
    arrived = await send(web, session["csrf"], "arrive", ticket, technician="王磊", at="2026-11-27T01:56:10Z")
    assert arrived.status_code == 200 and arrived.json() == {"outcome": "sent"}
    assert arrived.headers["cache-control"] == "no-store"
    # Its answer was lost with the signal, so the phone sends it again: already there, not done twice.
    again = await send(web, session["csrf"], "arrive", ticket, technician="王磊", at="2026-11-27T01:56:10Z")
    assert again.status_code == 200 and again.json() == {"outcome": "already"}
    fixed = {"technician": "王磊", "summary": "电话指导用户复位控制器", "way": "phone", "at": "2026-11-27T01:58:30Z"}
    assert (await send(web, session["csrf"], "resolve", ticket, **fixed)).json() == {"outcome": "sent"}
    assert (await send(web, session["csrf"], "resolve", ticket, **fixed)).json() == {"outcome": "already"}
    found = await ticket_json(web, ticket)
    assert found["status"] == "resolved"
    [arrival] = events(found, "arrived")
    [resolution] = events(found, "resolved")
    assert arrival["at"] == "2026-11-27T01:56:10Z" and resolution["at"] == "2026-11-27T01:58:30Z"
    assert arrival["entered_at"] == resolution["entered_at"] == "2026-11-27T02:00:00Z"  # both times kept
    assert arrival["by"] == {"kind": "user", "name": "王磊"}
    assert resolution["data"]["way"] == "phone"


async def test_pause_and_resume_kept_on_the_phone_are_sent_in_order_once_each(web):
    technicians = await organisation(web)
    who = await people(web)
    ticket = await dispatched_ticket(web, who["desk"], technicians)
    await sign_in(web, who["station"])
    csrf = (await token(web))["csrf"]
    steps = [("arrive", {"technician": "王磊", "at": "2026-11-27T01:56:00Z"}),
             ("pause", {"reason": "customer_unavailable", "at": "2026-11-27T01:57:00Z"}),
             ("resume", {"at": "2026-11-27T01:58:00Z"})]
    for kind, fields in steps:
        assert (await send(web, csrf, kind, ticket, **fields)).json() == {"outcome": "sent"}
    for kind, fields in steps:  # all three sent again: a pause sent after the resume is before its previous step
        assert (await send(web, csrf, kind, ticket, **fields)).json() == {"outcome": "already"}, kind
    found = await ticket_json(web, ticket)
    assert [len(events(found, e)) for e in ("arrived", "paused", "resumed")] == [1, 1, 1]


async def test_a_step_the_desk_overtook_is_a_conflict_told_in_words(web):
    technicians = await organisation(web)
    who = await people(web)
    ticket = await dispatched_ticket(web, who["desk"], technicians)
    csrf = await sign_in(web, who["desk"])
    assert (await web.post(f"/app/desk/tickets/{ticket}/cancel", data={"csrf": csrf, "reason": "重复报修"})
            ).status_code == 303
    await sign_in(web, who["station"])
    csrf = (await token(web))["csrf"]
    refused = await send(web, csrf, "arrive", ticket, technician="王磊", at="2026-11-27T01:58:00Z")
    assert refused.status_code == 409
    said = refused.json()
    assert said["outcome"] == "refused" and said["code"] == "cancelled_meanwhile"
    assert "服务台已取消该工单" in said["title"] and "请致电服务台" in said["advice"]
    assert events(await ticket_json(web, ticket), "arrived") == []
    # Another station's ticket (or one moved away) is not this phone's to change: said so, not lost.
    await sign_in(web, who["desk"])
    other = await dispatched_ticket(web, who["desk"], technicians)
    csrf = await sign_in(web, who["desk"])
    moved = await web.post(f"/app/desk/tickets/{other}/dispatch", data={
        "csrf": csrf, "station": "JN-08", "technician_id": technicians["张伟"]})
    assert moved.status_code == 303
    await sign_in(web, who["station"])
    gone = await send(web, (await token(web))["csrf"], "arrive", other, technician="王磊",
                      at="2026-11-27T01:58:00Z", lang="en")
    assert gone.status_code == 404 and gone.json()["code"] == "gone_meanwhile"


async def test_what_cannot_be_sent_as_it_is_is_refused_in_words_and_what_can_wait_waits(web, fakes, live_desk):
    technicians = await organisation(web)
    who = await people(web)
    ticket = await dispatched_ticket(web, who["desk"], technicians)
    await sign_in(web, who["station"])
    csrf = (await token(web))["csrf"]
    no_time = await send(web, csrf, "arrive", ticket, technician="王磊")
    assert no_time.status_code == 422 and no_time.json()["code"] == "no_time"
    bad = await send(web, csrf, "pause", ticket, reason="bored", at="2026-11-27T01:58:00Z")
    assert bad.status_code == 422 and bad.json()["code"] == "bad_input" and bad.json()["fields"] == ["原因"]
    unknown = await send(web, csrf, "cancel", ticket, at="2026-11-27T01:58:00Z")
    assert unknown.status_code == 422 and unknown.json()["outcome"] == "refused"
    way = await send(web, csrf, "resolve", ticket, technician="王磊", summary="x", way="teleport",
                     at="2026-11-27T01:58:00Z")
    assert way.status_code == 422 and way.json()["fields"] == ["处理方式"]
    # Before the dispatch (09:55): the service refuses the time, in words.
    early = await send(web, csrf, "arrive", ticket, technician="王磊", at="2026-11-27T01:50:00Z")
    assert early.status_code == 422 and early.json()["code"] == "invalid_event_time"
    assert "早于工单的上一步" in early.json()["title"]
    assert events(await ticket_json(web, ticket), "arrived") == []


async def test_a_phone_clock_a_little_ahead_is_taken_as_now_and_one_far_ahead_is_refused(web):
    technicians = await organisation(web)
    who = await people(web)
    ticket = await dispatched_ticket(web, who["desk"], technicians)
    await sign_in(web, who["station"])
    csrf = (await token(web))["csrf"]
    ahead = (NOW + offline.CLOCK_SLACK + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    far = await send(web, csrf, "arrive", ticket, technician="王磊", at=ahead)
    assert far.status_code == 422 and far.json()["code"] == "invalid_event_time"
    near = (NOW + timedelta(seconds=70)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (await send(web, csrf, "arrive", ticket, technician="王磊", at=near)).json() == {"outcome": "sent"}
    [arrival] = events(await ticket_json(web, ticket), "arrived")
    assert arrival["at"] == "2026-11-27T02:00:00Z"


async def test_sending_needs_the_session_and_its_token(web):
    technicians = await organisation(web)
    who = await people(web)
    ticket = await dispatched_ticket(web, who["desk"], technicians)
    await sign_in(web, who["station"])
    forged = await send(web, "forged", "arrive", ticket, technician="王磊", at="2026-11-27T01:58:00Z")
    assert forged.status_code == 403 and "application/json" not in forged.headers["content-type"]
    web.cookies.clear()
    assert (await web.get("/app/station/offline/token")).status_code == 303
    signed_out = await send(web, "x", "arrive", ticket, technician="王磊", at="2026-11-27T01:58:00Z")
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/app/login")
    assert events(await ticket_json(web, ticket), "arrived") == []
    # A warehouse person has no station pages at all.
    warehouse = {"role": "warehouse"}
    await sign_in(web, warehouse)
    assert (await web.get("/app/station/offline/token")).status_code == 403


async def test_a_visit_record_kept_on_the_phone_is_recorded_once_with_its_real_time(web, desk_fakes):
    from visit_fakes import SIGNATURE

    technicians = await organisation(web)
    who = await people(web)
    plan = await web.post("/servicedesk/visits/plan", headers=ADMIN_HEADERS,
                          json={"serial_numbers": [SERIAL], "station": "JN-07"})
    assert plan.status_code == 200, plan.text
    visit = (await web.get("/servicedesk/visits", headers=ADMIN_HEADERS,
                           params={"serial_number": SERIAL, "due_from": "2026-10-31", "due_to": "2026-10-31"})
             ).json()["items"][0]
    checklist = (await web.get(f"/servicedesk/visits/{visit['id']}", headers=ADMIN_HEADERS)).json()["checklist"]
    await sign_in(web, who["station"])
    page = await web.get(f"/app/station/visits/{visit['id']}")
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page.text).group(1)
    csrf = (await token(web))["csrf"]
    fields = {"technician_id": str(technicians["王磊"]), "technician": "王磊", "customer_name": "李娜",
              "signature_png": "data:image/png;base64," + SIGNATURE, "idempotency_key": key,
              "at": "2026-11-27T01:40:00Z", **{f"result.{item['code']}": "ok" for item in checklist}}
    assert (await send(web, csrf, "visit", visit["id"], **fields)).json() == {"outcome": "sent"}
    # The same key again replays the first answer; another key (a copy of it) finds the visit recorded then.
    assert (await send(web, csrf, "visit", visit["id"], **fields)).json() == {"outcome": "sent"}
    copy = {**fields, "idempotency_key": "another-key"}
    assert (await send(web, csrf, "visit", visit["id"], **copy)).json() == {"outcome": "already"}
    done = (await web.get(f"/servicedesk/visits/{visit['id']}", headers=ADMIN_HEADERS)).json()
    assert done["status"] == "done" and done["record"]["at"] == "2026-11-27T01:40:00Z"
    assert len([r for r in desk_fakes["warranty"].records if r["serial_number"] == SERIAL]) <= 1
    # A different record of a visit already done is a conflict, in words.
    other = {**fields, "idempotency_key": "a-third-key", "at": "2026-11-27T01:45:00Z"}
    refused = await send(web, csrf, "visit", visit["id"], **other)
    assert refused.status_code == 409 and refused.json()["code"] == "visit_not_planned"
    assert refused.json()["title"] == "本次服务已不在计划中：已记录、已取消或已逾期。"


async def test_the_page_that_was_not_taken_along_says_so(web):
    await organisation(web)
    who = await people(web)
    await sign_in(web, who["station"])
    page = await web.get("/app/station/offline")
    assert page.status_code == 200 and 'id="not-taken"' in page.text and "此页面未离线保存" in page.text
