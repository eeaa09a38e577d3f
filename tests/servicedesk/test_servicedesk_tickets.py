"""Tickets through the service's API, with warranty and inventory faked, on a real database."""

import asyncio
from datetime import datetime

import pytest

from services.servicedesk import clients, metrics, outbox
from services.servicedesk.main import create_app

from helpers import asgi_client, assert_problem, internal_headers
from servicedesk_support import CALLER, SERIAL, deliver, milestone, report, z

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("org")]


async def _to_on_site(desk, tid, start="2026-03-02 10"):
    await desk.post(f"/tickets/{tid}/dispatch", json={"technician": "Wang Lei", "station": "ST-07",
                                                     "at": z(f"{start}:05")})
    return await desk.post(f"/tickets/{tid}/arrive", json={"technician": "Wang Lei", "at": z(f"{start}:40")})


async def test_an_incomplete_report_lists_what_it_misses_and_completes_when_the_last_field_arrives(desk):
    created = await desk.post("/tickets", json={"caller": {"name": "Li Na"}, "description": "Noisy fan",
                                                "reported_at": z("2026-03-02 09:00")})
    ticket = created.json()
    assert created.status_code == 201 and ticket["status"] == "incomplete"
    assert ticket["number"] == "SR-2026-000001"
    assert ticket["missing"] == ["level", "caller.phone", "site_address"] and ticket["milestones"] == []
    assert ticket["complete_at"] is None and ticket["commitments_version"] is None
    step = await desk.patch(f"/tickets/{ticket['id']}", json={"level": 4, "caller": {"phone": "13800000000"},
                                                              "at": z("2026-03-02 09:05")})
    assert step.json()["missing"] == ["site_address"]
    done = (await desk.patch(f"/tickets/{ticket['id']}", json={"site_address": "1 Quancheng Road",
                                                               "at": z("2026-03-02 09:20")})).json()
    assert done["status"] == "open" and done["missing"] == [] and done["complete_at"] == z("2026-03-02 09:20")
    assert milestone(done, "dispatch")["due_at"] == z("2026-03-02 10:20") and done["commitments_version"] == 1
    assert [e["event"] for e in done["timeline"]] == ["reported", "updated", "updated", "completed"]


async def test_a_registered_unit_stands_for_the_address_and_brings_its_coverage(desk):
    ticket = (await desk.post("/tickets", json=report(3))).json()
    assert ticket["unit_known"] is True and ticket["site_address"] == "12 Jingshi Road, Jinan"
    assert ticket["coverage"] == [{"component": "unit", "covered": True, "covered_through": "2027-03-01"},
                                  {"component": "cooling_system", "covered": True, "covered_through": "2027-03-01"}]
    assert ticket["status"] == "open" and ticket["coverage_pending"] is False


async def test_an_unknown_serial_is_kept_as_given(desk):
    ticket = (await desk.post("/tickets", json=report(3, serial_number="NOPE-000009"))).json()
    assert ticket["serial_number"] == "NOPE-000009" and ticket["unit_known"] is False
    assert ticket["missing"] == ["site_address"] and ticket["coverage"] is None


async def test_a_report_is_taken_while_warranty_is_down_and_its_coverage_filled_in_later(desk, desk_app, warranty):
    warranty.plan("get_unit", "down")
    response = await desk.post("/tickets", json=report(2, reported_at=z("2026-11-27 09:00")))
    ticket = response.json()
    assert response.status_code == 201 and ticket["coverage_pending"] is True and ticket["unit_known"] is None
    assert ticket["status"] == "incomplete" and ticket["missing"] == ["site_address"]
    assert await deliver(desk_app) == 1
    filled = (await desk.get(f"/tickets/{ticket['id']}")).json()
    assert filled["coverage_pending"] is False and filled["unit_known"] is True and filled["coverage"]
    # the report was complete when it was made: warranty's outage does not delay the promise
    assert filled["status"] == "open" and filled["complete_at"] == z("2026-11-27 09:00")
    assert "coverage_filled" in [e["event"] for e in filled["timeline"]]


async def test_a_report_does_not_wait_for_a_slow_warranty(desk, warranty, monkeypatch):
    monkeypatch.setattr(clients, "LOOKUP_TIMEOUT_SECONDS", 0.2)
    warranty.plan("get_unit", "slow")
    response = await desk.post("/tickets", json=report(1))
    assert response.status_code == 201 and response.json()["coverage_pending"] is True


async def test_event_times_never_in_the_future_nor_before_the_previous_step(desk, clock):
    tid = (await desk.post("/tickets", json=report(3, reported_at=z("2026-03-02 10:00")))).json()["id"]
    future = await desk.post(f"/tickets/{tid}/dispatch", json={"technician": "W", "station": "S",
                                                              "at": "2026-11-27T02:00:01Z"})
    assert_problem(future, 422, "invalid_event_time")
    before = await desk.post(f"/tickets/{tid}/dispatch", json={"technician": "W", "station": "S",
                                                              "at": z("2026-03-02 09:59")})
    assert_problem(before, 422, "invalid_event_time")
    assert_problem(await desk.post("/tickets", json=report(3, reported_at="2026-11-28T00:00:00Z")), 422,
                   "invalid_event_time")
    assert (await desk.post(f"/tickets/{tid}/dispatch", json={"technician": "W", "station": "S",
                                                             "at": "2026-03-02T10:00:00+08:00"})).status_code == 200


async def test_steps_out_of_order_are_refused(desk):
    tid = (await desk.post("/tickets", json=report(3))).json()["id"]
    assert_problem(await desk.post(f"/tickets/{tid}/arrive", json={"technician": "W"}), 409, "invalid_ticket_state")
    assert_problem(await desk.post(f"/tickets/{tid}/resolve", json={"technician": "W", "summary": "x"}), 409,
                   "invalid_ticket_state")
    assert_problem(await desk.post(f"/tickets/{tid}/resume", json={}), 409, "invalid_ticket_state")
    assert_problem(await desk.post(f"/tickets/{tid}/follow-up", json={"reached": False}), 409,
                   "invalid_ticket_state")
    incomplete = (await desk.post("/tickets", json={"caller": {"name": "X"}})).json()["id"]
    assert_problem(await desk.post(f"/tickets/{incomplete}/dispatch", json={"technician": "W", "station": "S"}),
                   409, "invalid_ticket_state")
    assert_problem(await desk.get("/tickets/999999"), 404, "ticket_not_found")
    assert_problem(await desk.post(f"/tickets/{tid}/pause", json={"reason": "parts_missing"}), 422,
                   "validation_error")


async def test_a_redispatch_is_logged_not_retimed(desk):
    tid = (await desk.post("/tickets", json=report(3, reported_at=z("2026-03-02 10:00")))).json()["id"]
    await desk.post(f"/tickets/{tid}/dispatch", json={"technician": "A", "station": "S1", "at": z("2026-03-02 10:10")})
    again = (await desk.post(f"/tickets/{tid}/dispatch", json={"technician": "B", "station": "S2",
                                                              "at": z("2026-03-02 11:00")})).json()
    assert milestone(again, "dispatch")["met_at"] == z("2026-03-02 10:10")
    assert (again["technician"], again["station"]) == ("B", "S2")
    assert [e["event"] for e in again["timeline"]][-2:] == ["dispatched", "redispatched"]


async def test_states_change_with_the_reading_time(desk, clock):
    clock.set(datetime.fromisoformat(z("2026-11-27 09:05")))
    tid = (await desk.post("/tickets", json=report(3, reported_at=z("2026-11-27 09:00")))).json()["id"]
    assert milestone((await desk.get(f"/tickets/{tid}")).json(), "dispatch")["state"] == "pending"
    clock.set(datetime.fromisoformat(z("2026-11-27 09:24")))
    assert milestone((await desk.get(f"/tickets/{tid}")).json(), "dispatch")["state"] == "at_risk"
    clock.set(datetime.fromisoformat(z("2026-11-27 09:31")))
    assert milestone((await desk.get(f"/tickets/{tid}")).json(), "dispatch")["state"] == "breached"
    late = (await desk.post(f"/tickets/{tid}/dispatch", json={"technician": "W", "station": "S"})).json()
    assert milestone(late, "dispatch")["state"] == "met_late"


async def test_resolution_lands_in_the_history_once_even_when_warranty_fails_first(desk, desk_app, warranty, clock):
    tid = (await desk.post("/tickets", json=report(3, reported_at=z("2026-03-02 10:00")))).json()["id"]
    await _to_on_site(desk, tid)
    warranty.plan("add_record", "down", "lost")
    resolved = (await desk.post(f"/tickets/{tid}/resolve", json={
        "technician": "Wang Lei", "summary": "Replaced the fan motor",
        "parts_replaced": [{"part_number": "FAN-1", "qty": 1}], "at": z("2026-03-02 12:00")})).json()
    assert resolved["status"] == "resolved" and resolved["history_delivered"] is False
    assert await deliver(desk_app) == 0  # warranty is down
    clock.advance(seconds=5)
    assert await deliver(desk_app) == 0  # it wrote the record, but the answer was lost
    clock.advance(seconds=10)
    assert await deliver(desk_app) == 1
    assert len(warranty.records) == 1
    [record] = warranty.records
    assert record["kind"] == "repair" and record["performed_on"] == "2026-03-02"
    assert record["parts_replaced"] == [{"part_number": "FAN-1", "qty": 1}] and "SR-2026-" in record["notes"]
    assert (await desk.get(f"/tickets/{tid}")).json()["history_delivered"] is True
    clock.advance(seconds=600)
    assert await deliver(desk_app) == 0 and len(warranty.records) == 1


async def test_two_processes_deliver_the_same_outbox_without_doubling(desk, desk_app, desk_settings, clock,
                                                                         warranty, inventory):
    import httpx

    ids = []
    for n in range(6):
        tid = (await desk.post("/tickets", json=report(3, reported_at=z("2026-03-02 10:00")))).json()["id"]
        await _to_on_site(desk, tid)
        await desk.post(f"/tickets/{tid}/resolve", json={"technician": "W", "summary": f"fix {n}",
                                                         "at": z("2026-03-02 12:00")})
        ids.append(tid)
    transports = {"warranty": httpx.MockTransport(warranty.handler),
                  "inventory": httpx.MockTransport(inventory.handler)}
    other = create_app(desk_settings, clock=clock, transports=transports, deliver=False)
    async with asgi_client(other, headers=internal_headers(role="desk")):
        counts = await asyncio.gather(*(outbox.deliver_due(app.state.uow, clients.upstreams(app), clock)
                                        for app in (desk_app, other, desk_app, other)))
    assert sum(counts) == 6
    assert sorted(r["notes"].split(": ")[1] for r in warranty.records) == [f"fix {n}" for n in range(6)]
    for tid in ids:
        assert (await desk.get(f"/tickets/{tid}")).json()["history_delivered"] is True


async def test_a_breached_level_1_ticket_gets_one_loaner_released_at_resolution(desk, desk_app, inventory, clock):
    tid = (await desk.post("/tickets", json=report(1, reported_at=z("2026-11-24 09:00")))).json()["id"]
    await _to_on_site(desk, tid, start="2026-11-24 09")
    ticket = (await desk.get(f"/tickets/{tid}")).json()
    assert milestone(ticket, "fixed")["state"] == "breached" and ticket["loaner"]["status"] == "due"
    body = {"warehouse": "SC-JINAN", "part_number": "LOANER-KFR72"}
    first = await desk.post(f"/tickets/{tid}/loaner", json=body)
    assert first.status_code == 201, first.text
    loaner = first.json()["loaner"]
    assert loaner["status"] == "provided" and loaner["reservation_id"] == 1
    assert_problem(await desk.post(f"/tickets/{tid}/loaner", json=body), 409, "loaner_not_due")
    assert inventory.stock[("SC-JINAN", "LOANER-KFR72")] == 1
    await desk.post(f"/tickets/{tid}/resolve", json={"technician": "W", "summary": "fixed"})
    await deliver(desk_app)
    assert (await desk.get(f"/tickets/{tid}")).json()["loaner"]["status"] == "returned"
    assert inventory.stock[("SC-JINAN", "LOANER-KFR72")] == 2


async def test_a_loaner_retried_after_a_lost_answer_is_reserved_once(desk, inventory):
    tid = (await desk.post("/tickets", json=report(2, reported_at=z("2026-11-20 09:00")))).json()["id"]
    inventory.plan("reserve", "lost")
    body = {"warehouse": "SC-JINAN", "part_number": "LOANER-KFR72"}
    assert_problem(await desk.post(f"/tickets/{tid}/loaner", json=body), 504, "upstream_timeout")
    assert (await desk.post(f"/tickets/{tid}/loaner", json=body)).status_code == 201
    assert len(inventory.reservations) == 1 and inventory.stock[("SC-JINAN", "LOANER-KFR72")] == 1


async def test_no_loaner_before_fixed_is_breached_nor_on_a_level_without_one(desk, inventory):
    fresh = (await desk.post("/tickets", json=report(1))).json()["id"]
    body = {"warehouse": "SC-JINAN", "part_number": "LOANER-KFR72"}
    assert_problem(await desk.post(f"/tickets/{fresh}/loaner", json=body), 409, "loaner_not_due")
    old3 = (await desk.post("/tickets", json=report(3, reported_at=z("2026-10-12 09:00")))).json()["id"]
    assert_problem(await desk.post(f"/tickets/{old3}/loaner", json=body), 409, "loaner_not_due")
    empty = (await desk.post("/tickets", json=report(1, reported_at=z("2026-11-20 09:00")))).json()["id"]
    refused = await desk.post(f"/tickets/{empty}/loaner", json={"warehouse": "SC-X", "part_number": "LOANER-KFR72"})
    assert assert_problem(refused, 409, "insufficient_stock")["shortages"][0]["available"] == 0


async def test_follow_up_attempts_then_a_low_score_closes_and_opens_a_complaint(desk):
    tid = (await desk.post("/tickets", json=report(3, reported_at=z("2026-03-02 10:00")))).json()["id"]
    await _to_on_site(desk, tid)
    await desk.post(f"/tickets/{tid}/resolve", json={"technician": "W", "summary": "x", "at": z("2026-03-02 12:00")})
    missed = (await desk.post(f"/tickets/{tid}/follow-up", json={"reached": False, "at": z("2026-03-03 10:00")}))
    assert missed.json()["status"] == "resolved" and len(missed.json()["follow_up"]["attempts"]) == 1
    assert_problem(await desk.post(f"/tickets/{tid}/follow-up", json={"reached": True}), 422, "validation_error")
    closed = (await desk.post(f"/tickets/{tid}/follow-up", json={"reached": True, "satisfaction": 2,
                                                                "notes": "came late", "at": z("2026-03-03 11:00")}))
    ticket = closed.json()
    assert ticket["status"] == "closed" and ticket["satisfaction"] == 2 and ticket["follow_up"]["state"] == "met"
    [complaint] = (await desk.get("/complaints", params={"ticket_id": tid})).json()["items"]
    assert complaint["source"] == "follow_up" and complaint["status"] == "open"
    assert complaint["made_at"] == z("2026-03-03 11:00") and complaint["caller"] == CALLER
    assert complaint["milestones"][0]["due_at"] == z("2026-03-03 15:00")
    answered = await desk.post(f"/complaints/{complaint['id']}/answer", json={
        "by": "Zhao Min", "notes": "Apologised", "at": z("2026-03-03 14:00")})
    assert answered.json()["status"] == "answered" and answered.json()["milestones"][0]["state"] == "met"
    assert_problem(await desk.post(f"/complaints/{complaint['id']}/answer", json={"by": "Z", "notes": "again"}),
                   409, "invalid_complaint_state")
    done = (await desk.post(f"/complaints/{complaint['id']}/resolve", json={"by": "Z", "notes": "Refund"})).json()
    assert done["status"] == "resolved" and done["milestones"][1]["state"] == "met_late"


async def test_a_complaint_names_a_ticket_or_a_unit(desk):
    assert_problem(await desk.post("/complaints", json={"caller": CALLER, "description": "x"}), 422,
                   "validation_error")
    assert_problem(await desk.post("/complaints", json={"ticket_id": 424242, "caller": CALLER, "description": "x"}),
                   404, "ticket_not_found")
    assert_problem(await desk.get("/complaints/99"), 404, "complaint_not_found")


async def test_cancel_needs_a_reason_and_is_final(desk):
    tid = (await desk.post("/tickets", json=report(3))).json()["id"]
    assert_problem(await desk.post(f"/tickets/{tid}/cancel", json={}), 422, "validation_error")
    cancelled = (await desk.post(f"/tickets/{tid}/cancel", json={"reason": "Duplicate"})).json()
    assert cancelled["status"] == "cancelled"
    assert_problem(await desk.post(f"/tickets/{tid}/cancel", json={"reason": "again"}), 409, "invalid_ticket_state")
    assert_problem(await desk.patch(f"/tickets/{tid}", json={"level": 1}), 409, "invalid_ticket_state")


async def test_the_board_lists_by_urgency_with_filters(desk, clock):
    a = (await desk.post("/tickets", json=report(3, reported_at=z("2026-11-27 09:00")))).json()["id"]
    b = (await desk.post("/tickets", json=report(1, reported_at=z("2026-11-27 09:52")))).json()["id"]
    c = (await desk.post("/tickets", json=report(4, reported_at=z("2026-11-26 09:00")))).json()["id"]
    await desk.post("/tickets", json={"caller": {"name": "X"}})
    listed = (await desk.get("/tickets")).json()
    # now 10:00; dispatch dues: c 2026-11-26 10:00 (breached), a 09:30 (breached), b 10:02 (at risk)
    assert [t["id"] for t in listed["items"]][:3] == [c, a, b] and listed["next_cursor"] is None
    breached = (await desk.get("/tickets", params={"state": "breached"})).json()["items"]
    assert [t["id"] for t in breached] == [c, a]
    assert [t["id"] for t in (await desk.get("/tickets", params={"state": "at_risk"})).json()["items"]] == [b]
    assert [t["id"] for t in (await desk.get("/tickets", params={"level": 1})).json()["items"]] == [b]
    await desk.post(f"/tickets/{a}/dispatch", json={"technician": "W", "station": "ST-9"})
    assert [t["id"] for t in (await desk.get("/tickets", params={"station": "ST-9"})).json()["items"]] == [a]
    assert len((await desk.get("/tickets", params={"status": "incomplete"})).json()["items"]) == 1
    assert len((await desk.get("/tickets", params={"serial_number": SERIAL.lower()})).json()["items"]) == 3
    first = (await desk.get("/tickets", params={"limit": 2})).json()
    rest = (await desk.get("/tickets", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert len(first["items"]) == 2 and len(rest["items"]) == 2 and rest["next_cursor"] is None
    assert_problem(await desk.get("/tickets", params={"cursor": "bogus!"}), 422, "invalid_cursor")


async def test_tickets_by_milestone_state_for_metrics(desk, desk_app, clock):
    await desk.post("/tickets", json=report(3, reported_at=z("2026-11-27 09:00")))
    await desk.post("/tickets", json=report(1, reported_at=z("2026-11-27 09:52")))
    counts = await desk_app.state.uow.read(metrics.tickets_by_milestone_state, clock.now())
    assert counts[("dispatch", "breached")] == 1 and counts[("dispatch", "at_risk")] == 1
    assert counts[("on_site", "pending")] == 2


async def test_cancelling_a_ticket_with_a_loaner_gives_it_back(desk, desk_app, inventory):
    tid = (await desk.post("/tickets", json=report(1, reported_at=z("2026-11-20 09:00")))).json()["id"]
    assert (await desk.post(f"/tickets/{tid}/loaner", json={"warehouse": "SC-JINAN",
                                                            "part_number": "LOANER-KFR72"})).status_code == 201
    await desk.post(f"/tickets/{tid}/cancel", json={"reason": "Withdrawn"})
    assert await deliver(desk_app) == 1
    assert (await desk.get(f"/tickets/{tid}")).json()["loaner"]["status"] == "returned"
    assert inventory.stock[("SC-JINAN", "LOANER-KFR72")] == 2


async def test_a_serial_given_later_while_warranty_is_down_is_looked_up_later(desk, desk_app, warranty):
    tid = (await desk.post("/tickets", json={"caller": CALLER, "description": "x", "level": 3,
                                             "reported_at": z("2026-11-27 09:00")})).json()["id"]
    warranty.plan("get_unit", "timeout")
    patched = (await desk.patch(f"/tickets/{tid}", json={"serial_number": SERIAL, "at": z("2026-11-27 09:10")}))
    assert patched.status_code == 200 and patched.json()["coverage_pending"] is True
    assert patched.json()["status"] == "incomplete"
    await deliver(desk_app)
    ticket = (await desk.get(f"/tickets/{tid}")).json()
    assert ticket["status"] == "open" and ticket["complete_at"] == z("2026-11-27 09:10") and ticket["coverage"]


async def test_the_background_task_delivers_the_outbox(desk_settings, clock, warranty, inventory):
    import httpx

    transports = {"warranty": httpx.MockTransport(warranty.handler),
                  "inventory": httpx.MockTransport(inventory.handler)}
    app = create_app(desk_settings, clock=clock, transports=transports, outbox_seconds=0.05)
    warranty.plan("get_unit", "down")
    async with asgi_client(app, headers=internal_headers(role="desk")) as client:
        tid = (await client.post("/tickets", json=report(3))).json()["id"]
        for _ in range(200):
            if not (await client.get(f"/tickets/{tid}")).json()["coverage_pending"]:
                break
            await asyncio.sleep(0.05)
        assert (await client.get(f"/tickets/{tid}")).json()["unit_known"] is True


async def test_numbers_are_gapless_under_concurrent_reports(desk):
    created = await asyncio.gather(*(desk.post("/tickets", json=report(3)) for _ in range(8)))
    assert sorted(r.json()["number"] for r in created) == [f"SR-2026-{n:06d}" for n in range(1, 9)]
