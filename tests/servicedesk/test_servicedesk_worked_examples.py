"""domain.md section 6's worked examples, through the API, with the clock injected."""

import pytest

from servicedesk_support import milestone, report, z

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("org")]


def dues(ticket: dict) -> dict:
    return {m["name"]: m["due_at"] for m in ticket["milestones"]}


@pytest.mark.parametrize(("level", "complete", "expected"), [
    (1, "2026-02-16 22:30", {"dispatch": "2026-02-16 22:40", "on_site": "2026-02-17 00:30",
                             "fixed": "2026-02-18 22:30"}),
    (4, "2026-02-13 16:50", {"dispatch": "2026-02-14 09:20", "on_site": "2026-02-24 15:50",
                             "fixed": "2026-02-27 14:20"}),
    (3, "2026-10-03 10:00", {"dispatch": "2026-10-08 09:00", "on_site": "2026-10-08 16:30",
                             "fixed": "2026-10-10 15:30"}),
    (3, "2026-03-06 14:00", {"dispatch": "2026-03-06 14:30", "on_site": "2026-03-09 13:30",
                             "fixed": "2026-03-11 12:30"}),
])
async def test_due_times_of_a_report_complete_at_the_call(desk, level, complete, expected):
    response = await desk.post("/tickets", json=report(level, reported_at=z(complete)))
    assert response.status_code == 201, response.text
    ticket = response.json()
    assert ticket["complete_at"] == z(complete) and ticket["status"] == "open"
    assert dues(ticket) == {name: z(at) for name, at in expected.items()}
    assert all(m["provisional"] is False for m in ticket["milestones"])


async def test_level_3_paused_friday_to_monday(desk, clock):
    ticket = (await desk.post("/tickets", json=report(3, reported_at=z("2026-03-06 14:00")))).json()
    tid = ticket["id"]
    assert (await desk.post(f"/tickets/{tid}/dispatch", json={
        "technician": "Wang Lei", "station": "ST-07", "at": z("2026-03-06 14:20")})).status_code == 200
    paused = await desk.post(f"/tickets/{tid}/pause", json={"reason": "customer_unavailable",
                                                            "at": z("2026-03-06 16:00")})
    assert paused.status_code == 200, paused.text
    assert milestone(paused.json(), "on_site")["state"] == "paused"
    assert milestone(paused.json(), "on_site")["due_at"] is None
    resumed = (await desk.post(f"/tickets/{tid}/resume", json={"at": z("2026-03-09 09:00")})).json()
    assert dues(resumed) == {"dispatch": z("2026-03-06 14:30"), "on_site": z("2026-03-09 15:00"),
                             "fixed": z("2026-03-11 14:00")}
    assert milestone(resumed, "dispatch")["state"] == "met"


async def test_level_1_paused_half_past_ten_to_a_quarter_past_eleven(desk):
    tid = (await desk.post("/tickets", json=report(1, reported_at=z("2026-03-02 10:00")))).json()["id"]
    await desk.post(f"/tickets/{tid}/dispatch", json={"technician": "Wang Lei", "station": "ST-07",
                                                     "at": z("2026-03-02 10:05")})
    await desk.post(f"/tickets/{tid}/pause", json={"reason": "no_site_access", "at": z("2026-03-02 10:30")})
    ticket = (await desk.post(f"/tickets/{tid}/resume", json={"at": z("2026-03-02 11:15")})).json()
    assert milestone(ticket, "on_site")["due_at"] == z("2026-03-02 12:45")
    assert milestone(ticket, "fixed")["due_at"] == z("2026-03-04 10:45")


async def test_follow_up_due_two_business_days_after_the_resolution(desk):
    tid = (await desk.post("/tickets", json=report(3, reported_at=z("2026-02-13 09:00")))).json()["id"]
    await desk.post(f"/tickets/{tid}/dispatch", json={"technician": "W", "station": "S", "at": z("2026-02-13 09:10")})
    await desk.post(f"/tickets/{tid}/arrive", json={"technician": "W", "at": z("2026-02-13 11:00")})
    ticket = (await desk.post(f"/tickets/{tid}/resolve", json={
        "technician": "W", "summary": "Fan motor", "at": z("2026-02-13 15:00")})).json()
    assert ticket["follow_up"]["due_at"] == z("2026-02-24 15:00")
    assert [m["state"] for m in ticket["milestones"]] == ["met", "met", "met"]


async def test_complaint_answer_due_after_the_national_day_holiday(desk):
    response = await desk.post("/complaints", json={
        "serial_number": "KFR72-000001", "caller": {"name": "Li Na", "phone": "13800000000"},
        "description": "Nobody came", "made_at": z("2026-09-30 15:00")})
    assert response.status_code == 201, response.text
    answer, resolve = response.json()["milestones"]
    assert (answer["name"], answer["due_at"], resolve["name"]) == ("answer", z("2026-10-08 10:30"), "resolve")


@pytest.mark.parametrize(("complete", "due"), [
    ("2026-01-02 09:00", "2026-01-04 08:40"),  # a holiday in lieu, then a Sunday working day
    ("2026-03-02 07:00", "2026-03-02 08:40"),  # before opening
])
async def test_the_other_figures_with_a_ten_business_minute_promise(desk, clock, complete, due):
    from datetime import UTC, datetime

    clock.set(datetime(2025, 12, 1, tzinfo=UTC))
    promised = (await desk.get("/commitments")).json()
    promised.pop("version")
    promised.pop("effective_from")
    promised["levels"][3]["dispatch"] = {"minutes": 10, "clock": "business"}
    made = await desk.put("/commitments", json=promised)
    assert made.status_code == 200
    clock.set(datetime(2026, 11, 27, 2, 0, tzinfo=UTC))
    ticket = (await desk.post("/tickets", json=report(4, reported_at=z(complete)))).json()
    assert ticket["commitments_version"] == made.json()["version"]
    assert milestone(ticket, "dispatch")["due_at"] == z(due)
