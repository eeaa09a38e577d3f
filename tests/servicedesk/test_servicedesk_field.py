"""Field work as the plan describes it (domain.md section 8): at risk in seconds, fixed without a visit,
a loaner of the unit's class or emergency measures, another technician after a complaint."""

from datetime import datetime, timedelta

import pytest

from helpers import assert_problem
from servicedesk_support import add_site, add_technician, milestone, report, z

pytestmark = pytest.mark.anyio


@pytest.fixture
async def people(desk):
    await add_site(desk, "SC-JINAN", kind="service_center")
    await add_site(desk, "ST-07")
    await add_site(desk, "ST-08")
    return {name: await add_technician(desk, name, station)
            for name, station in (("王磊", "ST-07"), ("李强", "ST-07"), ("张伟", "ST-08"))}


@pytest.mark.parametrize("elapsed, state", [
    (435.0, "pending"),   # 2 min 45 s of 10 min left: 27.5 %
    (450.6, "at_risk"),   # 149.4 s of 600 left: 24.9 %
    (450.0, "pending"),   # exactly a quarter left: not yet
])
async def test_a_promise_is_at_risk_when_strictly_less_than_a_quarter_of_its_seconds_are_left(desk, clock, elapsed,
                                                                                               state):
    start = datetime.fromisoformat(z("2026-11-27 09:50"))
    clock.set(start)
    tid = (await desk.post("/tickets", json=report(1, reported_at=z("2026-11-27 09:50")))).json()["id"]
    clock.set(start + timedelta(seconds=elapsed))
    assert milestone((await desk.get(f"/tickets/{tid}")).json(), "dispatch")["state"] == state
    listed = (await desk.get("/tickets", params={"state": "at_risk"})).json()["items"]
    assert [t["id"] for t in listed] == ([tid] if state == "at_risk" else [])


async def test_a_business_promise_is_at_risk_by_its_business_seconds(desk, clock):
    # Level 3 at Friday 16:50: 30 business minutes, 10 of them that day and 20 on Monday from 08:30.
    clock.set(datetime.fromisoformat(z("2026-11-27 16:50")))
    tid = (await desk.post("/tickets", json=report(3, reported_at=z("2026-11-27 16:50")))).json()["id"]
    assert milestone((await desk.get(f"/tickets/{tid}")).json(), "dispatch")["due_at"] == z("2026-11-30 08:50")
    clock.set(datetime.fromisoformat(z("2026-11-30 08:42:30")))  # 7 min 30 s of 30 left: exactly a quarter
    assert milestone((await desk.get(f"/tickets/{tid}")).json(), "dispatch")["state"] == "pending"
    clock.set(datetime.fromisoformat(z("2026-11-30 08:42:31")))
    assert milestone((await desk.get(f"/tickets/{tid}")).json(), "dispatch")["state"] == "at_risk"


@pytest.mark.parametrize("way", ["phone", "remote"])
async def test_fixed_without_a_visit_needs_no_arrival_and_the_on_site_promise_is_not_needed(desk, people, way):
    dispatched = (await desk.post("/tickets", json=report(3, reported_at=z("2026-11-27 09:00")))).json()["id"]
    await desk.post(f"/tickets/{dispatched}/dispatch", json={"station": "ST-07", "technician": "王磊",
                                                             "at": z("2026-11-27 09:10")})
    fixed = (await desk.post(f"/tickets/{dispatched}/resolve", json={
        "technician": "王磊", "summary": "电话指导复位", "way": way, "at": z("2026-11-27 09:30")})).json()
    assert fixed["status"] == "resolved" and fixed["resolution"]["way"] == way
    on_site = milestone(fixed, "on_site")
    assert on_site["state"] == "not_needed" and on_site["due_at"] is None and on_site["met_at"] is None
    assert milestone(fixed, "fixed")["state"] == "met" and milestone(fixed, "dispatch")["met_at"] == z(
        "2026-11-27 09:10")
    # An open ticket fixed on the phone: that was its dispatch decision.
    opened = (await desk.post("/tickets", json=report(3, reported_at=z("2026-11-27 09:00")))).json()["id"]
    fixed = (await desk.post(f"/tickets/{opened}/resolve", json={
        "technician": "赵敏", "summary": "远程复位", "way": way, "at": z("2026-11-27 09:20")})).json()
    assert milestone(fixed, "dispatch")["met_at"] == z("2026-11-27 09:20")
    assert milestone(fixed, "dispatch")["state"] == "met" and milestone(fixed, "on_site")["state"] == "not_needed"


async def test_an_on_site_resolution_still_needs_the_arrival(desk, people):
    tid = (await desk.post("/tickets", json=report(3))).json()["id"]
    await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-07", "technician": "王磊"})
    assert_problem(await desk.post(f"/tickets/{tid}/resolve", json={"technician": "王磊", "summary": "x"}), 409,
                   "invalid_ticket_state")
    assert_problem(await desk.post(f"/tickets/{tid}/resolve", json={"technician": "王磊", "summary": "x",
                                                                    "way": "teleport"}), 422, "validation_error")


async def _breached_level_1(desk) -> int:
    return (await desk.post("/tickets", json=report(1, reported_at=z("2026-11-20 09:00")))).json()["id"]


async def test_a_loaner_must_be_of_the_units_class(desk, inventory):
    tid = await _breached_level_1(desk)
    inventory.stock[("SC-JINAN", "LOANER-KFR35")] = 1
    for part, why in (("LOANER-KFR35", "split_wall_3.5kW"), ("FAN-1", "not a loaner")):
        refused = await desk.post(f"/tickets/{tid}/loaner", json={"warehouse": "SC-JINAN", "part_number": part})
        assert why in assert_problem(refused, 422, "loaner_class_mismatch")["detail"]
    assert_problem(await desk.post(f"/tickets/{tid}/loaner", json={"warehouse": "SC-JINAN", "part_number": "NOPE"}),
                   422, "validation_error")
    assert inventory.count("reserve") == 0 and inventory.stock[("SC-JINAN", "LOANER-KFR35")] == 1
    made = await desk.post(f"/tickets/{tid}/loaner", json={"warehouse": "SC-JINAN", "part_number": "LOANER-KFR72"})
    assert made.status_code == 201 and made.json()["loaner"]["status"] == "provided"


async def test_a_unit_whose_model_has_no_class_takes_any_loaner(desk, inventory, warranty):
    warranty.add_unit("KFR72-000888", model_code="OLD-MODEL")
    inventory.model_classes["OLD-MODEL"] = None
    tid = (await desk.post("/tickets", json=report(1, serial_number="KFR72-000888",
                                                   reported_at=z("2026-11-20 09:00")))).json()["id"]
    inventory.stock[("SC-JINAN", "LOANER-KFR35")] = 1
    made = await desk.post(f"/tickets/{tid}/loaner", json={"warehouse": "SC-JINAN", "part_number": "LOANER-KFR35"})
    assert made.status_code == 201, made.text


async def test_emergency_measures_settle_the_loaner_owed(desk):
    tid = await _breached_level_1(desk)
    assert_problem(await desk.post(f"/tickets/{tid}/loaner", json={"warehouse": "SC-JINAN"}), 422,
                   "validation_error")
    assert_problem(await desk.post(f"/tickets/{tid}/loaner", json={
        "warehouse": "SC-JINAN", "part_number": "LOANER-KFR72", "emergency_measures": "x"}), 422, "validation_error")
    settled = await desk.post(f"/tickets/{tid}/loaner", json={"emergency_measures": "病房内临时加装两台移动空调"})
    assert settled.status_code == 201
    loaner = settled.json()["loaner"]
    assert loaner["status"] == "measures_taken" and loaner["emergency_measures"] == "病房内临时加装两台移动空调"
    assert_problem(await desk.post(f"/tickets/{tid}/loaner", json={"emergency_measures": "again"}), 409,
                   "loaner_not_due")
    assert (await desk.get(f"/tickets/{tid}")).json()["timeline"][-1]["event"] == "emergency_measures"


async def _complaint_about(desk, tid: int) -> int:
    made = await desk.post("/complaints", json={"ticket_id": tid, "caller": {"name": "李娜", "phone": "13800000000"},
                                                "description": "修了又坏"})
    return made.json()["id"]


async def test_after_a_complaint_another_technician_is_sent_on_a_new_ticket(desk, people, clock):
    tid = (await desk.post("/tickets", json=report(2, reported_at=z("2026-11-27 08:00")))).json()["id"]
    await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-07", "technician": "王磊",
                                                      "at": z("2026-11-27 08:05")})
    await desk.post(f"/tickets/{tid}/arrive", json={"technician": "王磊", "at": z("2026-11-27 08:40")})
    await desk.post(f"/tickets/{tid}/resolve", json={"technician": "王磊", "summary": "x",
                                                     "at": z("2026-11-27 09:00")})
    complaint = await _complaint_about(desk, tid)
    same = await desk.post(f"/complaints/{complaint}/redispatch", json={"station": "ST-07",
                                                                        "technician_id": people["王磊"]["id"]})
    assert_problem(same, 422, "same_technician")
    assert_problem(await desk.post(f"/complaints/{complaint}/redispatch", json={
        "station": "ST-07", "technician_id": people["张伟"]["id"]}), 422, "unknown_technician")
    assert_problem(await desk.post(f"/complaints/{complaint}/redispatch", json={
        "station": "ST-99", "technician_id": people["张伟"]["id"]}), 422, "unknown_station")
    sent = await desk.post(f"/complaints/{complaint}/redispatch", json={"station": "ST-08",
                                                                        "technician_id": people["张伟"]["id"]},
                           headers={"Idempotency-Key": "again-1"})
    ticket = sent.json()
    assert sent.status_code == 201 and ticket["follow_on_of"] == tid and ticket["complaint_id"] == complaint
    assert ticket["status"] == "dispatched" and ticket["level"] == 2 and ticket["number"] != "SR-2026-000001"
    assert ticket["complete_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert (ticket["station"], ticket["technician"]) == ("ST-08", "张伟")
    assert milestone(ticket, "dispatch")["state"] == "met" and milestone(ticket, "on_site")["state"] == "pending"
    replay = await desk.post(f"/complaints/{complaint}/redispatch", json={
        "station": "ST-08", "technician_id": people["张伟"]["id"]}, headers={"Idempotency-Key": "again-1"})
    assert replay.json()["id"] == ticket["id"]
    original = (await desk.get(f"/tickets/{tid}")).json()
    assert original["timeline"][-1]["event"] == "follow_on_sent"


async def test_an_unresolved_original_excludes_the_technician_dispatched_to_it(desk, people):
    tid = (await desk.post("/tickets", json=report(3))).json()["id"]
    await desk.post(f"/tickets/{tid}/dispatch", json={"station": "ST-07", "technician": "李强"})
    complaint = await _complaint_about(desk, tid)
    assert_problem(await desk.post(f"/complaints/{complaint}/redispatch", json={
        "station": "ST-07", "technician_id": people["李强"]["id"]}), 422, "same_technician")
    assert (await desk.post(f"/complaints/{complaint}/redispatch", json={
        "station": "ST-07", "technician_id": people["王磊"]["id"]})).status_code == 201
    unit_only = await desk.post("/complaints", json={"serial_number": "KFR72-000001", "description": "x",
                                                     "caller": {"name": "李娜", "phone": "13800000000"}})
    assert_problem(await desk.post(f"/complaints/{unit_only.json()['id']}/redispatch", json={
        "station": "ST-07", "technician_id": people["王磊"]["id"]}), 409, "invalid_complaint_state")
