"""Commitments and the working calendar: data, versioned or per year, set by admin."""

import pytest

from helpers import assert_problem
from servicedesk_support import milestone, report, z

pytestmark = pytest.mark.anyio


async def test_default_commitments_are_version_1(desk):
    body = (await desk.get("/commitments")).json()
    assert body["version"] == 1
    assert body["levels"][0] == {"level": 1, "dispatch": {"minutes": 10, "clock": "round_the_clock"},
                                 "on_site": {"minutes": 120, "clock": "round_the_clock"},
                                 "fixed": {"minutes": 2880, "clock": "round_the_clock"}, "loaner": True}
    assert body["follow_up"] == {"minutes": 1020, "clock": "business"}


async def test_a_new_version_applies_to_tickets_completed_after_it(desk, clock):
    old = (await desk.post("/tickets", json=report(3, reported_at=z("2026-11-27 09:00")))).json()
    body = (await desk.get("/commitments")).json()
    body.pop("version")
    body.pop("effective_from")
    body["levels"][2]["dispatch"]["minutes"] = 20
    assert_problem(await desk.put("/commitments", json={**body, "effective_from": "2026-01-01T00:00:00Z"}), 422,
                   "validation_error")
    made = await desk.put("/commitments", json=body)
    version = made.json()["version"]  # sequences keep counting on PostgreSQL between tests
    assert made.status_code == 200 and version > 1
    new = (await desk.post("/tickets", json=report(3))).json()
    assert (new["commitments_version"], milestone(new, "dispatch")["minutes"]) == (version, 20)
    kept = (await desk.get(f"/tickets/{old['id']}")).json()
    assert (kept["commitments_version"], milestone(kept, "dispatch")["minutes"]) == (1, 30)
    body["levels"][2]["on_site"]["minutes"] = 5
    assert_problem(await desk.put("/commitments", json=body), 422, "validation_error")


async def test_a_published_year_comes_from_the_package(desk):
    body = (await desk.get("/calendar/2026")).json()
    assert body["provisional"] is False and body["timezone"] == "Asia/Shanghai"
    assert body["hours"] == {"open": "08:30", "close": "17:00"}
    assert {"2026-01-04", "2026-02-14", "2026-02-28", "2026-10-10"} <= set(body["workdays"])
    assert {"2026-02-16", "2026-10-07"} <= set(body["holidays"])


async def test_an_unpublished_year_is_provisional_and_so_are_times_across_it(desk, clock):
    body = (await desk.get("/calendar/2027")).json()
    assert body["provisional"] is True and body["workdays"] == [] and "2027-10-01" in body["holidays"]
    ticket = (await desk.post("/tickets", json=report(4, reported_at=z("2026-11-27 09:00")))).json()
    assert milestone(ticket, "dispatch")["provisional"] is False
    late = (await desk.post("/tickets", json=report(4))).json()  # clock: 2026-11-27 10:00
    assert milestone(late, "fixed")["provisional"] is False
    year_end = (await desk.post("/tickets", json=report(4, reported_at=z("2026-11-27 09:30"))))
    assert year_end.status_code == 201


async def test_an_admin_corrects_a_year_and_the_clocks_follow(desk):
    tid = (await desk.post("/tickets", json=report(3, reported_at=z("2026-11-27 09:00")))).json()["id"]
    before = milestone((await desk.get(f"/tickets/{tid}")).json(), "fixed")["due_at"]
    assert before == z("2026-12-01 16:00")
    put = await desk.put("/calendar/2026", json={"holidays": ["2026-10-01"], "workdays": ["2026-11-28"]})
    assert put.status_code == 200 and put.json()["source"] == "admin" and put.json()["provisional"] is False
    after = milestone((await desk.get(f"/tickets/{tid}")).json(), "fixed")["due_at"]
    assert after == z("2026-11-30 16:00")  # Saturday 28th made a working day
    assert_problem(await desk.put("/calendar/2026", json={"holidays": ["2025-12-31"], "workdays": []}), 422,
                   "validation_error")
    assert_problem(await desk.put("/calendar/2026", json={"holidays": ["2026-11-30"], "workdays": ["2026-11-30"]}),
                   422, "validation_error")
    assert_problem(await desk.put("/calendar/2026", json={"holidays": [], "workdays": [],
                                                          "hours": {"open": "18:00", "close": "17:00"}}), 422,
                   "validation_error")


async def test_a_provisional_year_says_so_on_the_times_computed_across_it(desk, clock):
    from datetime import datetime

    clock.set(datetime.fromisoformat(z("2027-01-05 10:00")))
    ticket = (await desk.post("/tickets", json=report(3, reported_at=z("2026-12-31 16:00")))).json()
    assert [m["provisional"] for m in ticket["milestones"]] == [False, True, True]
    assert ticket["number"] == "SR-2027-000001"
