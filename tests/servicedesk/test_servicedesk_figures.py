"""GET /reports/service (domain.md section 9) on a hand-counted November 2026 in Jinan and Qingdao, on the
real database: every figure below is worked out by hand from the tickets' times (China time; no holiday in
November 2026, business hours 08:30-17:00).

SC-JINAN (a service centre, 陈静) has ST-07 (王磊) and ST-08 (张伟); SC-QD has ST-QD (刘洋).

T1  level 3, phone, UNIT-01, Mon 11-02 09:00 (ST-07): dispatched 09:20 (20 business minutes), on site
    13:00 (240), fixed 15:00 (360); called back 11-03 10:00, score 5.
T2  level 3, web, UNIT-02, Mon 11-02 16:50 (ST-07): dispatched 11-03 09:00 (40: late), on site 11-03 16:00
    (460), fixed 11-05 10:00 (1120); called back 11-09 09:30, score 2 (a complaint).
T3  level 1, wechat, UNIT-03, Tue 11-10 22:00 (ST-08): dispatched 22:05, on site 11-11 01:00 (late; 0
    business minutes, at night), emergency measures for the loaner owed 11-13 09:00, fixed 11-13 10:00
    (late, 1110); never called back.
T4  level 2, phone, UNIT-04, Wed 11-18 10:00 (SC-JINAN itself): dispatched 10:30 (late), fixed on the
    phone 11:00 (60; on site not needed); called back 11-19 09:00, score 4.
T5  level 4, phone, UNIT-02, Fri 11-20 09:00 (ST-QD): dispatched 09:30 (30); nobody came: on site and
    fixed breached. UNIT-02 came back within 30 days of T2.
T6  level 3, phone, an address only, Mon 11-23 09:00: never dispatched, all three breached (none).
T7  level 3, phone, UNIT-05, Mon 11-30 16:00: cancelled 16:05, before its dispatch was due (none).
T8  level 3, phone, UNIT-01, Tue 12-01 10:00 (ST-07): outside November; UNIT-01 came back within 30
    days of T1.
T9  web, no level, no phone, Wed 11-25 11:00: incomplete, a report without clocks (none).

Complaints: about T1 on 11-04 10:00, answered 16:00 (due 14:00: late); T2's from its follow-up call on
11-09 09:30, answered 10:00 (on time); about unit UNIT-09 alone on 11-26 10:00, never answered (breached).
Read on 2026-12-31 10:00.
"""

from datetime import datetime

import pytest

from helpers import asgi_client, assert_problem
from servicedesk_support import add_site, add_technician, caller_headers, report, z

pytestmark = pytest.mark.anyio
CALLER = {"name": "李娜", "phone": "0531-8888 0001"}
NOW = "2026-12-31 10:00"


@pytest.fixture
async def november(desk, clock, warranty):
    for serial in ("UNIT-01", "UNIT-02", "UNIT-03", "UNIT-04", "UNIT-05"):
        warranty.add_unit(serial)
    await add_site(desk, "SC-JINAN", kind="service_center")
    await add_site(desk, "ST-07")
    await add_site(desk, "ST-08")
    await add_site(desk, "SC-QD", kind="service_center", region="qingdao")
    await add_site(desk, "ST-QD", parent="SC-QD", region="qingdao")
    people = {name: (await add_technician(desk, name, station))["id"] for name, station in (
        ("王磊", "ST-07"), ("张伟", "ST-08"), ("陈静", "SC-JINAN"), ("刘洋", "ST-QD"))}
    made: dict[str, int] = {}

    async def step(when: str, path: str, body: dict, *, status: int = 200) -> dict:
        clock.set(datetime.fromisoformat(z(when).replace("Z", "+00:00")))
        response = await desk.post(path, json=body)
        assert response.status_code == status, response.text
        return response.json()

    async def take(name: str, when: str, **body) -> None:
        made[name] = (await step(when, "/tickets", {"caller": CALLER, "description": "不制冷", "channel": "phone",
                                                    "reported_at": z(when), **body}, status=201))["id"]

    def send(name: str, station: str, technician: str, when: str):
        return step(when, f"/tickets/{made[name]}/dispatch", {"station": station, "technician_id": people[technician],
                                                               "at": z(when)})

    def arrive(name: str, when: str, technician: str = "王磊"):
        return step(when, f"/tickets/{made[name]}/arrive", {"technician": technician, "at": z(when)})

    def fix(name: str, when: str, technician: str = "王磊", way: str = "on_site"):
        return step(when, f"/tickets/{made[name]}/resolve", {"technician": technician, "summary": "修好了",
                                                              "way": way, "at": z(when)})

    def call_back(name: str, when: str, score: int):
        return step(when, f"/tickets/{made[name]}/follow-up", {"reached": True, "satisfaction": score, "at": z(when)})

    await take("T1", "2026-11-02 09:00", serial_number="UNIT-01", level=3)
    await send("T1", "ST-07", "王磊", "2026-11-02 09:20")
    await take("T2", "2026-11-02 16:50", serial_number="UNIT-02", level=3, channel="web")
    await arrive("T1", "2026-11-02 13:00")
    await fix("T1", "2026-11-02 15:00")
    await send("T2", "ST-07", "王磊", "2026-11-03 09:00")
    await call_back("T1", "2026-11-03 10:00", 5)
    await arrive("T2", "2026-11-03 16:00")
    complaint = await step("2026-11-04 10:00", "/complaints", {
        "ticket_id": made["T1"], "caller": CALLER, "description": "来晚了", "made_at": z("2026-11-04 10:00")},
        status=201)
    await step("2026-11-04 16:00", f"/complaints/{complaint['id']}/answer",
               {"by": "赵敏", "notes": "已致歉", "at": z("2026-11-04 16:00")})
    await fix("T2", "2026-11-05 10:00")
    await call_back("T2", "2026-11-09 09:30", 2)
    [opened] = (await desk.get("/complaints", params={"ticket_id": made["T2"]})).json()["items"]
    await step("2026-11-09 10:00", f"/complaints/{opened['id']}/answer",
               {"by": "赵敏", "notes": "主管回电", "at": z("2026-11-09 10:00")})
    await take("T3", "2026-11-10 22:00", serial_number="UNIT-03", level=1, channel="wechat")
    await send("T3", "ST-08", "张伟", "2026-11-10 22:05")
    await arrive("T3", "2026-11-11 01:00", "张伟")
    await step("2026-11-13 09:00", f"/tickets/{made['T3']}/loaner", {"emergency_measures": "临时移动空调两台"},
               status=201)
    await fix("T3", "2026-11-13 10:00", "张伟")
    await take("T4", "2026-11-18 10:00", serial_number="UNIT-04", level=2)
    await send("T4", "SC-JINAN", "陈静", "2026-11-18 10:30")
    await fix("T4", "2026-11-18 11:00", "陈静", way="phone")
    await call_back("T4", "2026-11-19 09:00", 4)
    await take("T5", "2026-11-20 09:00", serial_number="UNIT-02", level=4)
    await send("T5", "ST-QD", "刘洋", "2026-11-20 09:30")
    await take("T6", "2026-11-23 09:00", site_address="济南市历下区经十路 9 号", level=3)
    await take("T9", "2026-11-25 11:00", channel="web", caller={"name": "匿名"}, description="漏水")
    await step("2026-11-26 10:00", "/complaints", {"serial_number": "UNIT-09", "caller": CALLER,
                                                    "description": "没人管", "made_at": z("2026-11-26 10:00")},
               status=201)
    await take("T7", "2026-11-30 16:00", serial_number="UNIT-05", level=3)
    await step("2026-11-30 16:05", f"/tickets/{made['T7']}/cancel", {"reason": "重复报修"})
    await take("T8", "2026-12-01 10:00", serial_number="UNIT-01", level=3)
    await send("T8", "ST-07", "王磊", "2026-12-01 10:10")
    clock.set(datetime.fromisoformat(z(NOW).replace("Z", "+00:00")))
    return {"people": people, "tickets": made}


async def figures(desk, **params) -> dict:
    response = await desk.get("/reports/service", params={"from": "2026-11-01", "to": "2026-11-30", **params})
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_month_by_station_counted_by_hand(desk, november):
    answer = await figures(desk, group_by="station")
    assert (answer["from"], answer["to"], answer["group_by"]) == ("2026-11-01", "2026-11-30", "station")
    rows = {r["key"]: r for r in answer["rows"]}
    assert list(rows) == ["SC-JINAN", "ST-07", "ST-08", "ST-QD", "none"]
    assert rows["ST-07"]["name"] == "站 ST-07" and rows["none"]["name"] == "未派工"
    st07 = rows["ST-07"]
    assert st07["reports"] == 2 and st07["by_level"] == {"1": 0, "2": 0, "3": 2, "4": 0}
    assert st07["by_channel"] == {"phone": 1, "web": 1, "wechat": 0}
    assert st07["on_time_rate"] == {"dispatch": 0.5, "on_site": 1.0, "fixed": 1.0}
    assert st07["minutes_to_dispatch"] == {"mean": 30.0, "p90": 40}
    assert st07["minutes_to_site"] == {"mean": 350.0, "p90": 460}
    assert st07["minutes_to_fix"] == {"mean": 740.0, "p90": 1120}
    assert st07["first_visit_fix_rate"] == 0.0  # UNIT-01 came back on 12-01 (T8), UNIT-02 on 11-20 (T5)
    assert (st07["follow_ups_done"], st07["follow_ups_on_time"], st07["follow_up_on_time_rate"]) == (2, 2, 1.0)
    assert st07["mean_satisfaction"] == 3.5
    assert (st07["complaints"], st07["complaints_answered_on_time"], st07["complaint_on_time_rate"]) == (2, 1, 0.5)
    assert (st07["loaners_owed"], st07["loaners_provided"], st07["loaners_measures_taken"]) == (0, 0, 0)

    st08 = rows["ST-08"]  # level 1 round the clock, at night: no business minute to dispatch or to site
    assert st08["by_level"]["1"] == 1 and st08["by_channel"]["wechat"] == 1
    assert st08["on_time_rate"] == {"dispatch": 1.0, "on_site": 0.0, "fixed": 0.0}
    assert st08["minutes_to_dispatch"] == {"mean": 0.0, "p90": 0}
    assert st08["minutes_to_site"] == {"mean": 0.0, "p90": 0}
    assert st08["minutes_to_fix"] == {"mean": 1110.0, "p90": 1110}
    assert st08["first_visit_fix_rate"] == 1.0
    assert (st08["loaners_owed"], st08["loaners_provided"], st08["loaners_measures_taken"]) == (1, 0, 1)
    assert (st08["follow_ups_done"], st08["follow_up_on_time_rate"], st08["mean_satisfaction"]) == (0, 0.0, None)
    assert (st08["complaints"], st08["complaint_on_time_rate"]) == (0, None)

    centre = rows["SC-JINAN"]  # fixed on the phone: on site not needed, left out
    assert centre["on_time_rate"] == {"dispatch": 0.0, "on_site": None, "fixed": 1.0}
    assert centre["minutes_to_site"] == {"mean": None, "p90": None}
    assert centre["minutes_to_fix"] == {"mean": 60.0, "p90": 60}
    assert (centre["loaners_owed"], centre["follow_up_on_time_rate"], centre["mean_satisfaction"]) == (0, 1.0, 4.0)

    qd = rows["ST-QD"]
    assert qd["on_time_rate"] == {"dispatch": 1.0, "on_site": 0.0, "fixed": 0.0}
    assert qd["first_visit_fix_rate"] is None and qd["loaners_owed"] == 0  # level 4 owes no loaner

    none = rows["none"]  # T6 breached everything; T7 cancelled in time; T9 incomplete
    assert none["reports"] == 3 and none["by_level"] == {"1": 0, "2": 0, "3": 2, "4": 0}
    assert none["by_channel"] == {"phone": 2, "web": 1, "wechat": 0}
    assert none["on_time_rate"] == {"dispatch": 0.0, "on_site": 0.0, "fixed": 0.0}
    assert none["minutes_to_dispatch"] == {"mean": None, "p90": None}
    assert (none["complaints"], none["complaints_answered_on_time"], none["complaint_on_time_rate"]) == (1, 0, 0.0)

    totals = answer["totals"]
    assert (totals["key"], totals["reports"]) == ("total", 8)
    assert totals["by_level"] == {"1": 1, "2": 1, "3": 4, "4": 1}
    assert totals["by_channel"] == {"phone": 5, "web": 2, "wechat": 1}
    assert totals["on_time_rate"] == {"dispatch": 0.5, "on_site": 0.4, "fixed": 0.5}
    assert totals["minutes_to_dispatch"] == {"mean": 24.0, "p90": 40}
    assert totals["minutes_to_site"] == {"mean": 233.3, "p90": 460}
    assert totals["minutes_to_fix"] == {"mean": 662.5, "p90": 1120}
    assert totals["first_visit_fix_rate"] == 0.5
    assert (totals["loaners_owed"], totals["loaners_measures_taken"]) == (1, 1)
    assert (totals["follow_ups_done"], totals["follow_ups_on_time"], totals["follow_up_on_time_rate"]) == (3, 3, 0.75)
    assert totals["mean_satisfaction"] == 3.7
    assert (totals["complaints"], totals["complaints_answered_on_time"], totals["complaint_on_time_rate"]) == (
        3, 1, 0.3333)


async def test_a_centre_holds_its_stations_and_its_own(desk, november):
    rows = {r["key"]: r for r in (await figures(desk, group_by="centre"))["rows"]}
    assert list(rows) == ["SC-JINAN", "SC-QD", "none"]
    jinan = rows["SC-JINAN"]  # T1, T2 (ST-07), T3 (ST-08), T4 (the centre itself)
    assert jinan["name"] == "站 SC-JINAN" and jinan["reports"] == 4
    assert jinan["on_time_rate"] == {"dispatch": 0.5, "on_site": 0.6667, "fixed": 0.75}
    assert jinan["minutes_to_dispatch"] == {"mean": 22.5, "p90": 40}
    assert jinan["first_visit_fix_rate"] == 0.5 and jinan["complaints"] == 2 and jinan["loaners_owed"] == 1
    assert rows["SC-QD"]["reports"] == 1 and rows["none"]["reports"] == 3


async def test_by_technician_and_by_month(desk, november):
    people = november["people"]
    rows = {r["key"]: r for r in (await figures(desk, group_by="technician"))["rows"]}
    assert rows[str(people["王磊"])]["name"] == "王磊" and rows[str(people["王磊"])]["reports"] == 2
    assert rows[str(people["刘洋"])]["on_time_rate"]["dispatch"] == 1.0
    months = await figures(desk, group_by="month", to="2026-12-31")
    assert [r["key"] for r in months["rows"]] == ["2026-11", "2026-12"]
    november_row, december_row = months["rows"]
    assert november_row["reports"] == 8 and november_row["on_time_rate"] == {"dispatch": 0.5, "on_site": 0.4,
                                                                             "fixed": 0.5}
    assert december_row["reports"] == 1 and december_row["on_time_rate"]["dispatch"] == 1.0
    assert months["totals"]["reports"] == 9


async def test_an_empty_period_has_no_rows_and_empty_totals(desk, november):
    answer = await figures(desk, **{"from": "2026-10-01", "to": "2026-10-31"})
    assert answer["rows"] == []
    totals = answer["totals"]
    assert totals["reports"] == 0 and totals["by_level"] == {"1": 0, "2": 0, "3": 0, "4": 0}
    assert totals["on_time_rate"] == {"dispatch": None, "on_site": None, "fixed": None}
    assert totals["minutes_to_fix"] == {"mean": None, "p90": None}
    assert (totals["first_visit_fix_rate"], totals["mean_satisfaction"], totals["complaint_on_time_rate"]) == (
        None, None, None)


async def test_a_station_bound_reader_sees_its_stations_only_and_others_may_not_read(desk_app, desk, november):
    async with asgi_client(desk_app, headers=caller_headers("manager", station="SC-JINAN")) as manager:
        answer = (await manager.get("/reports/service", params={"from": "2026-11-01", "to": "2026-11-30",
                                                                "group_by": "station"})).json()
    assert [r["key"] for r in answer["rows"]] == ["SC-JINAN", "ST-07", "ST-08"]
    assert answer["totals"]["reports"] == 4 and answer["totals"]["complaints"] == 2
    for role in ("station", "warehouse", "billing"):
        async with asgi_client(desk_app, headers=caller_headers(role)) as other:
            assert_problem(await other.get("/reports/service"), 403, "forbidden")
    assert_problem(await desk.get("/reports/service", params={"group_by": "part"}), 422, "validation_error")
    assert_problem(await desk.get("/reports/service", params={"from": "2026-12-01", "to": "2026-11-01"}), 422,
                   "validation_error")


async def test_a_calendar_correction_moves_a_finished_tickets_figures(desk, clock, warranty):
    """T: level 3, Monday 2026-11-02 16:50, dispatched Tuesday 09:00 (40 business minutes: late). An admin
    then makes Monday 11-02 a holiday: the dispatch took 30 minutes (Tuesday 08:30 to 09:00), on time."""
    await add_site(desk, "SC-JINAN", kind="service_center")
    await add_site(desk, "ST-07")
    wang = (await add_technician(desk, "王磊", "ST-07"))["id"]
    clock.set(datetime.fromisoformat(z("2026-11-03 09:00").replace("Z", "+00:00")))
    tid = (await desk.post("/tickets", json=report(3, reported_at=z("2026-11-02 16:50")))).json()["id"]
    await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-07", "technician_id": wang})
    await desk.post(f"/tickets/{tid}/resolve", json={"technician": "王磊", "summary": "电话指导", "way": "phone"})
    before = (await figures(desk))["totals"]
    assert before["on_time_rate"]["dispatch"] == 0.0 and before["minutes_to_dispatch"]["mean"] == 40.0
    year = (await desk.get("/calendar/2026")).json()
    put = await desk.put("/calendar/2026", headers=caller_headers("admin"), json={
        "holidays": [*year["holidays"], "2026-11-02"], "workdays": year["workdays"], "provisional": False,
        "hours": year["hours"]})
    assert put.status_code == 200, put.text
    after = (await figures(desk))["totals"]
    assert after["on_time_rate"]["dispatch"] == 1.0 and after["minutes_to_dispatch"]["mean"] == 30.0
    ticket = (await desk.get(f"/tickets/{tid}")).json()
    assert next(m for m in ticket["milestones"] if m["name"] == "dispatch")["state"] == "met"  # as a reading says
