"""The desk's statements per request do not grow with the number of tickets (no query per ticket)."""

from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import event

from services.servicedesk.models import Ticket
from shared import direct

from servicedesk_support import milestone, report, z

pytestmark = pytest.mark.anyio


@contextmanager
def statements(app):
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_rest):
        seen.append(statement)

    engines = app.state.db.engines
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    direct.listeners.append(seen.append)  # and those run on the driver connection (shared/direct.py)
    try:
        yield seen
    finally:
        direct.listeners.remove(seen.append)
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


async def _add(desk, n: int) -> None:
    for i in range(n):  # level 3 counts business minutes: every ticket needs the calendar
        made = await desk.post("/tickets", json=report(3, reported_at=z(f"2026-11-27 09:{i:02d}")))
        assert made.status_code == 201


async def _costs(desk, app, holiday: str) -> tuple[int, int, int]:
    with statements(app) as board:
        page = await desk.get("/tickets", params={"limit": 500})
    with statements(app) as at_risk:
        await desk.get("/tickets", params={"state": "breached"})
    with statements(app) as retime:
        put = await desk.put("/calendar/2027", json={"holidays": [holiday], "workdays": []})
    assert page.status_code == 200 and put.status_code == 200
    return len(board), len(at_risk), len(retime)


async def test_the_board_and_a_calendar_change_cost_the_same_statements_for_2_or_8_tickets(desk, desk_app):
    await _add(desk, 2)
    few = await _costs(desk, desk_app, "2027-10-01")
    await _add(desk, 6)
    many = await _costs(desk, desk_app, "2027-10-02")  # a change each time: one write
    assert many == few, f"statements for 2 tickets {few}, for 8 {many}"
    assert len((await desk.get("/tickets")).json()["items"]) == 8


async def test_a_calendar_change_re_times_what_the_board_sorts_by(desk, desk_app, org):
    # The stored urgency (next_due_at) is recomputed in the PUT's own unit with the new year.
    tid = (await desk.post("/tickets", json=report(3, reported_at=z("2026-11-27 09:00")))).json()["id"]
    await desk.post(f"/tickets/{tid}/dispatch", json={"technician": "W", "station": "S", "at": z("2026-11-27 09:05")})
    await desk.post(f"/tickets/{tid}/arrive", json={"technician": "W", "at": z("2026-11-27 09:40")})

    def stored_due(session):
        return session.get(Ticket, tid).next_due_at

    assert await desk_app.state.uow.read(stored_due) == datetime.fromisoformat(z("2026-12-01 16:00"))
    put = await desk.put("/calendar/2026", json={"holidays": ["2026-10-01"], "workdays": ["2026-11-28"]})
    assert put.status_code == 200
    assert milestone((await desk.get(f"/tickets/{tid}")).json(), "fixed")["due_at"] == z("2026-11-30 16:00")
    assert await desk_app.state.uow.read(stored_due) == datetime.fromisoformat(z("2026-11-30 16:00"))
