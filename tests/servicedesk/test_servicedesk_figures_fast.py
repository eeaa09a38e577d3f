"""What makes a year of figures fast (branch yearfig) answers as the slow way did: the 90th percentile computed
by the database (PostgreSQL's percentile_disc; SQLite's minutes per group as one JSON array) is the nearest rank
of domain/figures.py on random data; `came_back`, kept per ticket, follows the unit's later tickets (reported,
cancelled, moved to another unit); a complaint's stored answer due time moves with a calendar correction as
its reading does. Run on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from services.servicedesk import figures
from services.servicedesk.domain.figures import percentile
from services.servicedesk.models import Ticket

from servicedesk_support import add_site, add_technician, caller_headers, report, z

CALLER = {"name": "李娜", "phone": "0531-8888 0001"}
FAR = datetime(9999, 12, 31, tzinfo=UTC)
NOW = datetime(2026, 12, 31, 2, 0, tzinfo=UTC)
Minutes = st.one_of(st.none(), st.integers(min_value=0, max_value=20_000))
Groups = st.dictionaries(st.sampled_from(["ST-A", "ST-B", "ST-C", None]),
                         st.lists(st.tuples(Minutes, Minutes, Minutes), min_size=1, max_size=90), min_size=1)


def _ticket(number: int, station: str | None, minutes: tuple) -> dict:
    at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC) + timedelta(minutes=number)
    return {"id": number, "number": f"SR-2026-{number:06d}", "status": "open", "level": 3, "channel": "phone",
            "arrived": {}, "reported_at": at, "complete_at": at, "coverage_pending": False, "station": station,
            "pauses": [], "next_due_at": FAR, "loaner_status": "not_due", "created_at": at, "updated_at": at,
            "dispatch_minutes": minutes[0], "on_site_minutes": minutes[1], "fixed_minutes": minutes[2]}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(groups=Groups)
@example(groups={"ST-A": [(v, v, v) for v in range(70)]})  # 0.9 n whole: the 63rd, not the 64th
@example(groups={"ST-A": [(5, None, None)], "ST-B": [(None, None, None)]})
def test_the_databases_90th_percentile_is_the_nearest_rank(desk_db, groups):
    rows = [(station, minutes) for station, values in groups.items() for minutes in values]
    with Session(desk_db.engine) as session:
        session.execute(delete(Ticket))
        session.execute(insert(Ticket), [_ticket(i, station, m) for i, (station, m) in enumerate(rows, start=1)])
        session.flush()
        answer = figures.service_report(session, start=date(2026, 3, 1), end=date(2026, 3, 31),
                                        group_by="station", caller=None, now=NOW)
        session.rollback()
    by_key = {row["key"]: row for row in answer["rows"]}
    for station, values in groups.items():
        row = by_key["none" if station is None else station]
        for i, name in enumerate(("minutes_to_dispatch", "minutes_to_site", "minutes_to_fix")):
            assert row[name]["p90"] == percentile([m[i] for m in values if m[i] is not None]), (station, name)
    for i, name in enumerate(("minutes_to_dispatch", "minutes_to_site", "minutes_to_fix")):
        assert answer["totals"][name]["p90"] == percentile([m[i] for _, m in rows if m[i] is not None])



async def _first_visit(desk) -> float | None:
    response = await desk.get("/reports/service", params={"from": "2026-11-01", "to": "2026-11-30",
                                                          "group_by": "station"})
    assert response.status_code == 200, response.text
    return {r["key"]: r for r in response.json()["rows"]}["ST-07"]["first_visit_fix_rate"]


@pytest.mark.anyio
async def test_came_back_follows_the_units_later_tickets(desk, clock, warranty):
    """T1 for UNIT-01 is fixed on 11-02; a ticket for the unit on 11-20 makes it come back, until that one is
    cancelled; another on 11-25 does, until its serial number is corrected to another unit; one reported more
    than 30 days after the repair does not."""
    for serial in ("UNIT-01", "UNIT-02"):
        warranty.add_unit(serial)
    await add_site(desk, "SC-JINAN", kind="service_center")
    await add_site(desk, "ST-07")
    wang = (await add_technician(desk, "王磊", "ST-07"))["id"]

    def at(when: str) -> None:
        clock.set(datetime.fromisoformat(z(when).replace("Z", "+00:00")))

    at("2026-11-02 15:00")
    first = (await desk.post("/tickets", json=report(3, serial_number="UNIT-01",
                                                     reported_at=z("2026-11-02 09:00")))).json()["id"]
    await desk.post(f"/tickets/{first}/dispatch", json={"station": "ST-07", "technician_id": wang,
                                                        "at": z("2026-11-02 09:20")})
    await desk.post(f"/tickets/{first}/resolve", json={"technician": "王磊", "summary": "ok", "way": "phone",
                                                       "at": z("2026-11-02 10:00")})
    assert await _first_visit(desk) == 1.0

    at("2026-11-20 09:00")
    again = (await desk.post("/tickets", json=report(3, serial_number="UNIT-01"))).json()["id"]
    assert await _first_visit(desk) == 0.0
    assert (await desk.post(f"/tickets/{again}/cancel", json={"reason": "重复报修"})).status_code == 200
    assert await _first_visit(desk) == 1.0  # a cancelled duplicate is not the unit coming back

    at("2026-11-25 09:00")
    third = (await desk.post("/tickets", json=report(3, serial_number="UNIT-01"))).json()["id"]
    assert await _first_visit(desk) == 0.0
    moved = await desk.patch(f"/tickets/{third}", json={"serial_number": "UNIT-02"})
    assert moved.status_code == 200, moved.text
    assert await _first_visit(desk) == 1.0  # the unit it named first did not come back after all

    at("2026-12-03 09:00")  # 31 days after the repair
    await desk.post("/tickets", json=report(3, serial_number="UNIT-01"))
    assert await _first_visit(desk) == 1.0


@pytest.mark.anyio
async def test_a_calendar_correction_moves_a_complaints_answer_as_its_reading(desk, clock):
    """Made Friday 2026-11-06 16:00: 240 business minutes are due Monday 11-09 11:30; answered Monday 11:00,
    on time. An admin then makes Saturday 11-07 a working day: due Saturday 11:30, answered late, in the
    figures as in the complaint's reading."""
    clock.set(datetime.fromisoformat(z("2026-11-09 12:00").replace("Z", "+00:00")))
    made = await desk.post("/complaints", json={"serial_number": "UNIT-09", "caller": CALLER, "description": "没人管",
                                                "made_at": z("2026-11-06 16:00")})
    assert made.status_code == 201, made.text
    complaint = made.json()["id"]
    await desk.post(f"/complaints/{complaint}/answer", json={"by": "赵敏", "notes": "已致歉",
                                                             "at": z("2026-11-09 11:00")})

    async def on_time() -> tuple:
        totals = (await desk.get("/reports/service", params={"from": "2026-11-01", "to": "2026-11-30"})).json()
        reading = (await desk.get(f"/complaints/{complaint}")).json()
        answer = next(m for m in reading["milestones"] if m["name"] == "answer")
        return totals["totals"]["complaint_on_time_rate"], answer["state"]

    assert await on_time() == (1.0, "met")
    year = (await desk.get("/calendar/2026")).json()
    put = await desk.put("/calendar/2026", headers=caller_headers("admin"), json={
        "holidays": year["holidays"], "workdays": [*year["workdays"], "2026-11-07"], "provisional": False,
        "hours": year["hours"]})
    assert put.status_code == 200, put.text
    assert await on_time() == (0.0, "met_late")


@pytest.mark.anyio
async def test_migration_0006_derives_came_back_and_complaints_due_times_and_goes_back(tmp_path, clock, warranty):
    """Rows worked before 0006 get `came_back` and `answer_due_at` as the service keeps them; the downgrade
    gives back `ix_ticket_reported_at`."""
    import os
    import uuid

    import httpx
    from sqlalchemy import create_engine, inspect, text

    from alembic import command
    from services.servicedesk.main import create_app
    from shared import migrations
    from shared import settings as settings_module
    from shared.settings import normalise_url

    from helpers import TOKEN, asgi_client, internal_headers
    from servicedesk_fakes import DeskInventory

    places = [(f"sqlite:///{tmp_path / 'servicedesk.sqlite3'}", None)]
    if os.environ.get("TEST_DATABASE_URL"):
        places.append((normalise_url(os.environ["TEST_DATABASE_URL"]), f"t{uuid.uuid4().hex[:8]}_servicedesk"))
    warranty.add_unit("UNIT-01")
    for url, schema in places:
        migrations.upgrade("servicedesk", url, schema)
        engine = create_engine(url, connect_args={"options": f"-c search_path={schema}"} if schema else {})
        try:
            settings = settings_module.load("servicedesk", database_url=url, database_schema=schema,
                                            internal_token=TOKEN)
            app = create_app(settings, clock=clock, deliver=False, transports={
                "warranty": httpx.MockTransport(warranty.handler),
                "inventory": httpx.MockTransport(DeskInventory().handler)})
            async with asgi_client(app, headers=internal_headers(role="admin")) as desk:
                first = (await desk.post("/tickets", json=report(3, serial_number="UNIT-01",
                                                                 reported_at=z("2026-11-20 09:00")))).json()["id"]
                await desk.post(f"/tickets/{first}/resolve", json={"technician": "王磊", "summary": "电话指导",
                                                                   "way": "phone", "at": z("2026-11-20 10:00")})
                await desk.post("/tickets", json=report(3, serial_number="UNIT-01"))
                made = await desk.post("/complaints", json={"ticket_id": first, "caller": CALLER,
                                                            "description": "又坏了", "made_at": z("2026-11-26 16:00")})
                assert made.status_code == 201, made.text
            read = text("SELECT (SELECT came_back FROM ticket WHERE id = :id), "
                        "(SELECT answer_due_at FROM complaint)")
            with engine.begin() as conn:
                kept = tuple(conn.execute(read, {"id": first}).one())
            assert bool(kept[0]) is True and kept[1] is not None
            command.downgrade(migrations.config("servicedesk", url, schema), "0005_service_figures")
            indexes = {i["name"] for i in inspect(engine).get_indexes("ticket", schema=schema)}
            assert "ix_ticket_reported_at" in indexes and "ix_ticket_figures" not in indexes
            assert "came_back" not in {c["name"] for c in inspect(engine).get_columns("ticket", schema=schema)}
            migrations.upgrade("servicedesk", url, schema)
            with engine.begin() as conn:
                assert tuple(conn.execute(read, {"id": first}).one()) == kept
            indexes = {i["name"] for i in inspect(engine).get_indexes("ticket", schema=schema)}
            assert "ix_ticket_figures" in indexes and "ix_ticket_reported_at" not in indexes
        finally:
            if schema:
                with engine.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()
