"""Dispatch to the organisation, scope by the caller's station, who did each step, a resent report
(api.md "Changes from domain.md sections 7 and 8"), on a real database."""

import pytest

from helpers import asgi_client, assert_problem
from servicedesk_support import add_site, add_technician, caller_headers, report, z

pytestmark = pytest.mark.anyio


@pytest.fixture
async def stations(desk):
    """SC-JINAN with ST-07 and ST-08, SC-QD with ST-QD; technicians by name."""
    await add_site(desk, "SC-JINAN", kind="service_center")
    await add_site(desk, "SC-QD", kind="service_center", region="qingdao")
    await add_site(desk, "ST-07")
    await add_site(desk, "ST-08")
    await add_site(desk, "ST-QD", parent="SC-QD", region="qingdao")
    people = {}
    for name, station in (("王磊", "ST-07"), ("李强", "ST-07"), ("李强2", "ST-07"), ("张伟", "ST-08"),
                          ("刘洋", "ST-QD"), ("陈静", "SC-JINAN")):
        people[name] = await add_technician(desk, name, station)
    return people


async def test_a_dispatch_names_an_open_station_and_one_of_its_active_technicians(desk, stations):
    tid = (await desk.post("/tickets", json=report(3, reported_at=z("2026-11-27 09:00")))).json()["id"]
    wang = stations["王磊"]
    for station, code in (("ST-99", "unknown_station"), ("CW", "unknown_station")):
        refused = await desk.post(f"/tickets/{tid}/dispatch", json={"station": station, "technician_id": wang["id"]})
        assert assert_problem(refused, 422, code)["errors"][0]["field"] == "station"
    refused = await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-08", "technician_id": wang["id"]})
    assert_problem(refused, 422, "unknown_technician")
    assert_problem(await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-07", "technician_id": 999}),
                   422, "unknown_technician")
    assert_problem(await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-07"}), 422, "validation_error")
    done = await desk.post(f"/tickets/{tid}/dispatch", json={
        "station": "st-07", "technician_id": wang["id"], "caller_told_at": z("2026-11-27 09:06"),
        "at": z("2026-11-27 09:05")})
    ticket = done.json()
    assert done.status_code == 200 and ticket["status"] == "dispatched"
    assert (ticket["station"], ticket["technician_id"], ticket["technician"]) == ("ST-07", wang["id"], "王磊")
    assert ticket["caller_told_at"] == z("2026-11-27 09:06")
    assert ticket["timeline"][-1]["data"]["caller_told_at"] == "2026-11-27T01:06:00+00:00"


async def test_a_technician_named_by_name_must_be_exactly_one_active_member(desk, stations):
    tid = (await desk.post("/tickets", json=report(3))).json()["id"]
    assert_problem(await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-07", "technician": "张伟"}),
                   422, "unknown_technician")
    await desk.patch(f"/technicians/{stations['李强2']['id']}", json={"name": "李强"})
    ambiguous = await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-07", "technician": "李强"})
    assert "2 technicians" in assert_problem(ambiguous, 422, "unknown_technician")["detail"]
    await desk.patch(f"/technicians/{stations['李强2']['id']}", json={"active": False})
    named = await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-07", "technician": "李强"})
    assert named.status_code == 200 and named.json()["technician_id"] == stations["李强"]["id"]
    # an inactive technician, a closed station: refused
    await desk.patch(f"/technicians/{stations['王磊']['id']}", json={"active": False})
    assert_problem(await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-07",
                                                                     "technician_id": stations["王磊"]["id"]}),
                   422, "unknown_technician")
    await desk.patch("/sites/ST-08", json={"status": "closed"})
    assert_problem(await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-08",
                                                                     "technician_id": stations["张伟"]["id"]}),
                   422, "unknown_station")
    # a service centre takes work with its own staff
    centre = await desk.post(f"/tickets/{tid}/dispatch", json={"station": "SC-JINAN",
                                                               "technician_id": stations["陈静"]["id"]})
    assert centre.status_code == 200 and centre.json()["station"] == "SC-JINAN"


async def test_the_caller_cannot_be_told_before_the_call_nor_in_the_future(desk, stations):
    tid = (await desk.post("/tickets", json=report(3, reported_at=z("2026-11-27 09:00")))).json()["id"]
    body = {"station": "ST-07", "technician_id": stations["王磊"]["id"]}
    for told in (z("2026-11-27 08:59"), "2026-11-28T00:00:00Z"):
        refused = await desk.post(f"/tickets/{tid}/dispatch", json={**body, "caller_told_at": told})
        assert assert_problem(refused, 422, "invalid_event_time")["errors"][0]["field"] == "caller_told_at"


async def test_a_caller_told_in_the_second_the_call_came_in_was_told_at_the_call(desk, stations, clock):
    """The desk's page sends "now" in whole seconds: a report taken at 09:00:00.6 and dispatched at once
    says the caller was told at 09:00:00, which is the call's own second, not before it."""
    clock.set(clock.now().replace(microsecond=600_000))
    made = (await desk.post("/tickets", json=report(3))).json()
    told = made["reported_at"][:19] + "Z"
    done = await desk.post(f"/tickets/{made['id']}/dispatch", json={
        "station": "ST-07", "technician_id": stations["王磊"]["id"], "caller_told_at": told})
    assert done.status_code == 200, done.text
    assert done.json()["caller_told_at"] == made["reported_at"]


async def test_the_stations_of_the_units_region_are_offered_first_with_their_technicians(desk, stations, warranty):
    warranty.add_unit("KFR72-000777", region="qingdao")
    tid = (await desk.post("/tickets", json=report(3, serial_number="KFR72-000777"))).json()["id"]
    offered = (await desk.get(f"/tickets/{tid}/stations")).json()
    assert offered["region"] == "qingdao"
    assert [s["code"] for s in offered["items"]] == ["ST-QD", "SC-QD", "ST-07", "ST-08", "SC-JINAN"]
    assert [t["name"] for t in offered["items"][0]["technicians"]] == ["刘洋"]
    assert offered["items"][0]["in_region"] is True and offered["items"][2]["in_region"] is False
    await desk.patch("/sites/ST-08", json={"status": "closed"})
    other = (await desk.get(f"/tickets/{tid}/stations", params={"region": "shandong"})).json()
    assert [s["code"] for s in other["items"]] == ["ST-07", "SC-JINAN", "ST-QD", "SC-QD"]
    warranty.plan("get_unit", "down")
    anyway = (await desk.get(f"/tickets/{tid}/stations")).json()
    assert anyway["region"] is None and len(anyway["items"]) == 4


@pytest.fixture
async def scoped(desk, stations):
    """Four dispatched tickets: two at ST-07, one at ST-08 (both of SC-JINAN), one at ST-QD."""
    made = {}
    for name, station, technician in (("a", "ST-07", "王磊"), ("b", "ST-07", "李强"), ("c", "ST-08", "张伟"),
                                      ("d", "ST-QD", "刘洋")):
        tid = (await desk.post("/tickets", json=report(3))).json()["id"]
        answer = await desk.post(f"/tickets/{tid}/dispatch", json={"station": station,
                                                                  "technician_id": stations[technician]["id"]})
        assert answer.status_code == 200, answer.text
        made[name] = tid
    made["open"] = (await desk.post("/tickets", json=report(3))).json()["id"]
    return made


STEPS = [("POST", "dispatch", {"station": "ST-07", "technician": "王磊"}), ("POST", "arrive", {"technician": "W"}),
         ("POST", "pause", {"reason": "no_site_access"}), ("POST", "resume", {}),
         ("POST", "resolve", {"technician": "W", "summary": "x"}), ("POST", "follow-up", {"reached": False}),
         ("POST", "cancel", {"reason": "x"}), ("POST", "loaner", {"emergency_measures": "fans"}),
         ("PATCH", "", {"level": 1}), ("GET", "", None), ("GET", "stations", None)]


@pytest.mark.parametrize("kind", ["user", "key"])
async def test_a_station_bound_caller_reads_and_lists_only_its_stations_tickets(desk_app, scoped, kind):
    async with asgi_client(desk_app, headers=caller_headers("station", kind=kind, name="七站", station="st-07")) as me:
        listed = (await me.get("/tickets")).json()["items"]
        assert sorted(t["id"] for t in listed) == sorted([scoped["a"], scoped["b"]])
        page = (await me.get("/tickets", params={"limit": 1})).json()
        assert len(page["items"]) == 1 and page["next_cursor"]  # filtered in the query: every page is full
        rest = (await me.get("/tickets", params={"limit": 1, "cursor": page["next_cursor"]})).json()
        assert len(rest["items"]) == 1 and rest["next_cursor"] is None
        assert (await me.get("/tickets", params={"station": "ST-08"})).json()["items"] == []
        assert (await me.get(f"/tickets/{scoped['a']}")).status_code == 200
        for other in (scoped["c"], scoped["d"], scoped["open"]):
            assert_problem(await me.get(f"/tickets/{other}"), 404, "ticket_not_found")
        arrived = await me.post(f"/tickets/{scoped['a']}/arrive", json={"technician": "王磊"})
        assert arrived.status_code == 200 and arrived.json()["timeline"][-1]["by"] == {"kind": kind, "name": "七站"}


async def test_a_service_centre_covers_its_stations(desk_app, scoped):
    async with asgi_client(desk_app, headers=caller_headers("station", station="SC-JINAN")) as centre:
        listed = (await centre.get("/tickets")).json()["items"]
        assert sorted(t["id"] for t in listed) == sorted([scoped["a"], scoped["b"], scoped["c"]])
        assert_problem(await centre.get(f"/tickets/{scoped['d']}"), 404, "ticket_not_found")


@pytest.mark.parametrize("method, step, body", STEPS)
async def test_another_stations_ticket_is_not_found_for_every_step(desk_app, scoped, method, step, body):
    path = f"/tickets/{scoped['c']}" + (f"/{step}" if step else "")
    async with asgi_client(desk_app, headers=caller_headers("station", station="ST-07", name="攻击者")) as attacker:
        answer = await attacker.request(method, path, json=body)
        assert_problem(answer, 404, "ticket_not_found")
    async with asgi_client(desk_app, headers=caller_headers("desk")) as desk:
        ticket = (await desk.get(f"/tickets/{scoped['c']}")).json()
        assert ticket["status"] == "dispatched" and ticket["level"] == 3 and ticket["loaner"]["status"] == "not_due"
        assert [e["event"] for e in ticket["timeline"]] == ["reported", "completed", "dispatched"]


async def test_the_timeline_says_who_by_name_and_both_times_when_entered_later(desk_app, clock, stations):
    app = desk_app
    async with asgi_client(app, headers=caller_headers("desk", kind="user", name="赵敏",
                                                       key_id="user:7")) as zhao:
        tid = (await zhao.post("/tickets", json=report(3, reported_at=z("2026-11-27 09:59:30")))).json()["id"]
        ticket = (await zhao.post(f"/tickets/{tid}/dispatch", json={
            "station": "ST-07", "technician": "王磊", "at": z("2026-11-27 09:59:40")})).json()
    async with asgi_client(app, headers=caller_headers("station", name="七站平板", station="ST-07")) as pad:
        ticket = (await pad.post(f"/tickets/{tid}/arrive", json={"technician": "王磊",
                                                                  "at": z("2026-11-27 09:59:50")})).json()
    reported, completed, dispatched, arrived = ticket["timeline"]
    assert reported["by"] == {"kind": "user", "name": "赵敏"} and reported["entered_at"] is None  # 30 s apart
    assert completed["by"] == {"kind": "system", "name": "system"}
    assert dispatched["by"]["name"] == "赵敏" and arrived["by"] == {"kind": "key", "name": "七站平板"}
    assert "user:7" not in str(ticket) and "test-key" not in str(ticket)
    clock.advance(seconds=3600)
    async with asgi_client(app, headers=caller_headers("station", name="七站平板", station="ST-07")) as pad:
        late = (await pad.post(f"/tickets/{tid}/resolve", json={"technician": "王磊", "summary": "换电机",
                                                                 "at": z("2026-11-27 10:30")})).json()
    resolved = late["timeline"][-1]
    assert resolved["at"] == z("2026-11-27 10:30") and resolved["entered_at"] == z("2026-11-27 11:00")
    audit = (await _audit(app, "ticket", late["number"]))
    assert [e["action"] for e in audit][:2] == ["resolved", "arrived"]
    assert audit[0]["actor"]["name"] == "七站平板"


async def _audit(app, object_type: str, object_id: str) -> list[dict]:
    async with asgi_client(app, headers=caller_headers("admin")) as admin:
        return (await admin.get("/audit", params={"object_type": object_type, "object_id": object_id})).json()[
            "items"]


async def test_a_resent_report_with_the_same_idempotency_key_is_one_ticket(desk):
    body = report(1)
    first = await desk.post("/tickets", json=body, headers={"Idempotency-Key": "call-42"})
    again = await desk.post("/tickets", json=body, headers={"Idempotency-Key": "call-42"})
    assert first.status_code == again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len((await desk.get("/tickets")).json()["items"]) == 1
    assert_problem(await desk.post("/tickets", json=report(2), headers={"Idempotency-Key": "call-42"}), 422,
                   "idempotency_key_reused")
    other = await desk.post("/tickets", json=body, headers={"Idempotency-Key": "call-43"})
    assert other.json()["id"] != first.json()["id"]


async def test_a_resent_complaint_with_the_same_idempotency_key_is_one_complaint(desk):
    tid = (await desk.post("/tickets", json=report(3))).json()["id"]
    body = {"ticket_id": tid, "caller": {"name": "李娜", "phone": "13800000000"}, "description": "没人来"}
    first = await desk.post("/complaints", json=body, headers={"Idempotency-Key": "c-1"})
    again = await desk.post("/complaints", json=body, headers={"Idempotency-Key": "c-1"})
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert len((await desk.get("/complaints")).json()["items"]) == 1
