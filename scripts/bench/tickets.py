"""A year of synthetic service-desk work, for timing the manager's figures (GET /reports/service).

    python -m scripts.bench.tickets --db sqlite:///data/servicedesk.sqlite3 --tickets 100000 --complaints 3000 \
        --year 2026
    python -m scripts.bench.tickets --db postgresql+psycopg://.../db --schema servicedesk ...

The database must be migrated (`make migrate`, or `--migrate` here). Added, with bulk Core inserts:
the seed organisation when it is not there (domain.md section 7: the central warehouse, 23 service
centres, 29 repair stations, 110 technicians), `--tickets` tickets reported over the year (up to now
when the year is running) and `--complaints` complaints about them. The tickets have levels, channels,
dispatches to the stations (a few straight to a centre), arrivals, resolutions (a few by phone),
customer pauses, follow-up calls with scores, loaners and emergency measures, cancellations, reports
still incomplete, promises met, met late, breached and pending, and repeats on the same unit (one unit
in five comes back). Each ticket's figure columns (due times, business minutes) and `next_due_at` are
derived by the service's own code (figure_facts.settle after the milestones tickets.refresh computes),
so the figures read them as they read a real ticket's. Not written: the timeline (ticket_event), which
the figures do not read. Same `--seed`, same data.
"""

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from services.servicedesk import calendars, commitments, figure_facts, views
from services.servicedesk.domain import milestones as clocks
from services.servicedesk.domain.calendar import CHINA
from services.servicedesk.models import Complaint, Site, Technician, Ticket, TicketCounter
from shared import migrations
from shared.db import create_db_engine

REGIONS = ("shandong", "hebei", "henan", "jiangsu", "anhui", "shanxi")
CENTRES = 23
STATIONS = 29
TECHNICIANS = 110
CHUNK = 5000
COMPONENTS = ("unit", "cooling_system", "compressor")
FAR_NOW = datetime(2100, 1, 1, tzinfo=UTC)  # a reading long after: no "at risk" arithmetic for due times


def organisation(now: datetime) -> tuple[list[dict], list[dict]]:
    """The sites and technicians of the seed organisation, as rows."""
    base = {"address": "山东省济南市历下区经十路 1 号", "phone": "0531-80000000", "webhook_kind": None,
            "webhook_url": None, "status": "open", "created_at": now, "updated_at": now}
    sites = [{**base, "code": "CENTRAL", "name": "中央仓库", "kind": "central", "parent": None,
              "region": "shandong"}]
    for i in range(1, CENTRES + 1):
        sites.append({**base, "code": f"SC-B{i:02d}", "name": f"第{i}服务中心", "kind": "service_center",
                      "parent": None, "region": REGIONS[i % len(REGIONS)]})
    for i in range(1, STATIONS + 1):
        parent = f"SC-B{(i - 1) % CENTRES + 1:02d}"
        sites.append({**base, "code": f"ST-B{i:02d}", "name": f"第{i}维修站", "kind": "repair_station",
                      "parent": parent, "region": REGIONS[((i - 1) % CENTRES + 1) % len(REGIONS)]})
    technicians = [{"name": f"技师{i:03d}", "phone": f"139{i:08d}", "station": f"ST-B{(i - 1) % STATIONS + 1:02d}",
                    "skills": ["cooling", "electrical"], "active": True, "created_at": now, "updated_at": now}
                   for i in range(1, TECHNICIANS + 1)]
    return sites, technicians


def _reported(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A call's time: any day of the period, mostly in the day (07:00-22:00 China time), more in summer."""
    span = (end - start).total_seconds()
    while True:
        at = start + timedelta(seconds=rng.random() * span)
        local = at.astimezone(CHINA)
        summer = 1.0 if local.month in (6, 7, 8) else 0.6
        day = 1.0 if 7 <= local.hour < 22 else 0.08
        if rng.random() < summer * day:
            return at


def _minutes(rng: random.Random, typical: float, spread: float = 0.9) -> timedelta:
    return timedelta(minutes=max(0.5, rng.lognormvariate(0, spread) * typical))


def ticket_rows(rng: random.Random, count: int, start: datetime, end: datetime, now: datetime,
                technicians: dict[str, list[tuple[int, str]]], version: int) -> list[SimpleNamespace]:
    """`count` tickets reported from `start` to `end` (sorted by that), their steps as far as `now`."""
    stations = sorted(technicians)
    centres = sorted({f"SC-B{(int(s[4:]) - 1) % CENTRES + 1:02d}" for s in stations})
    units = [f"BENCH-{i:07d}" for i in range(int(count * 0.8))]
    reported = sorted(_reported(rng, start, end) for _ in range(count))
    rows = []
    for at in reported:
        level = rng.choices((1, 2, 3, 4), (5, 12, 58, 25))[0]
        channel = rng.choices(("phone", "web", "wechat"), (70, 18, 12))[0]
        serial = rng.choice(units) if rng.random() > 0.03 else None
        t = SimpleNamespace(
            status="open", level=level, channel=channel, serial_number=serial, unit_known=serial is not None,
            caller_name="王先生", caller_phone="13800000000", site_address="济南市历下区某某小区 3 号楼",
            description="空调不制冷，外机有异响", reported_at=at, complete_at=at, commitments_version=version,
            coverage=[{"component": c, "covered": True, "covered_from": "2024-03-01", "covered_through": "2027-03-01",
                       "days_left": 100, "reason": None} for c in COMPONENTS] if serial else None,
            coverage_pending=False, technician=None, technician_id=None, station=None,
            caller_told_at=None, follow_on_of=None, complaint_id=None, dispatched_at=None, arrived_at=None,
            resolved_at=None, closed_at=None, cancelled_at=None, pauses=[], resolution=None,
            loaner_status="not_due", loaner_reservation_id=None, loaner=None, history_delivered=None,
            satisfaction=None)
        if rng.random() < 0.05:  # the level or the address came a little later
            t.complete_at = at + _minutes(rng, 20)
        if rng.random() < 0.004 or t.complete_at > now:  # never completed
            t.status, t.complete_at, t.commitments_version = "incomplete", None, None
            t.level = None if rng.random() < 0.5 else level
        t.arrived = {k: at.isoformat() for k in ("description", "phone", "site_address", "serial_number", "level")
                     if k != "level" or t.level is not None}
        rows.append(t)
        if t.complete_at is None:
            continue
        fast = level <= 2
        steps = [("dispatched_at", _minutes(rng, 8 if fast else 40)),
                 ("arrived_at", _minutes(rng, 90 if fast else 360, 1.0)),
                 ("resolved_at", _minutes(rng, 300 if fast else 900, 1.1)),
                 ("closed_at", _minutes(rng, 600, 1.0))]
        when, stop = t.complete_at, rng.random()
        if stop < 0.02:  # cancelled (a duplicate, the customer fixed it) before or after the dispatch
            t.cancelled_at = when + _minutes(rng, 60)
            steps = steps[:1] if rng.random() < 0.5 else []
        by_phone = rng.random() < 0.04
        for name, gap in steps:
            when = when + gap
            if when > now or (t.cancelled_at and when > t.cancelled_at):
                break
            if name == "arrived_at" and by_phone:
                continue
            setattr(t, name, when)
        if t.dispatched_at is not None:
            station = rng.choice(stations) if rng.random() > 0.03 else rng.choice(centres)
            t.station = station
            if station in technicians:
                t.technician_id, t.technician = rng.choice(technicians[station])
            t.caller_told_at = t.dispatched_at + timedelta(minutes=2)
            t.status = "dispatched"
        if t.arrived_at is not None:
            t.status = "on_site"
            if rng.random() < 0.05:  # the customer asked to come back later
                pause_start = t.arrived_at + _minutes(rng, 20)
                pause_end = pause_start + _minutes(rng, 600)
                if t.resolved_at is not None and pause_end >= t.resolved_at:
                    pause_end = t.resolved_at
                if pause_start < (t.resolved_at or now):
                    t.pauses = [[pause_start.isoformat(), pause_end.isoformat()
                                 if t.resolved_at is not None or pause_end < now else None]]
        if t.resolved_at is not None:
            t.status = "resolved"
            t.resolution = {"way": "phone" if by_phone and t.arrived_at is None else "on_site",
                            "summary": "更换电容，试机正常"}
        if t.closed_at is not None:
            t.status = "closed"
            t.satisfaction = rng.choices((1, 2, 3, 4, 5), (2, 3, 8, 30, 57))[0]
        if t.cancelled_at is not None:
            t.status = "cancelled"
    return rows


def settle(session: Session, t: SimpleNamespace, now: datetime) -> None:
    """The ticket's figure columns and `next_due_at`, as tickets.refresh derives them."""
    calendar = calendars.work_calendar(session)
    if t.complete_at is None or t.level is None:
        found = []
    else:
        promises = commitments.of_version(session, t.commitments_version).level(t.level)
        met = {"dispatch": t.dispatched_at, "on_site": t.arrived_at, "fixed": t.resolved_at}
        found = clocks.ticket_milestones(calendar, promises, complete_at=t.complete_at, met=met,
                                         pauses=views.pauses_of(t), now=views.reading_time(t, now))
        if t.arrived_at is None and (t.resolution or {}).get("way") in views.WITHOUT_VISIT:
            found = [clocks.not_needed(m) if m.name == "on_site" else m for m in found]
    after = views.follow_up(session, calendar, t, now) if t.complete_at is not None else None
    t.next_due_at = views.next_due_of(t, found, after)
    figure_facts.settle(calendar, t, found, after)


def loaners(rng: random.Random, t: SimpleNamespace, loaner_levels: set[int]) -> None:
    """A loaner provided or emergency measures taken for some of the tickets whose fix was late on a level
    that owes one."""
    if t.level not in loaner_levels or t.fixed_due_at is None:
        return
    late = (t.resolved_at or t.cancelled_at or FAR_NOW) > t.fixed_due_at
    if late and rng.random() < 0.7:
        if rng.random() < 0.7:
            t.loaner_status = "returned" if t.resolved_at is not None else "provided"
            t.loaner = {"warehouse": "SC-B01", "part_number": "LOANER-KFR72"}
        else:
            t.loaner = {"emergency_measures": "临时移动空调"}


def complaint_rows(rng: random.Random, count: int, tickets: list[dict], now: datetime,
                   version: int) -> list[dict]:
    dispatched = [t for t in tickets if t["dispatched_at"] is not None]
    rows = []
    for _ in range(count):
        if rng.random() < 0.9 and dispatched:
            ticket = rng.choice(dispatched)
            ticket_id, serial, made = ticket["id"], ticket["serial_number"], ticket["dispatched_at"] + _minutes(
                rng, 600, 1.2)
        else:
            ticket = rng.choice(tickets)
            ticket_id, serial, made = None, ticket["serial_number"] or "BENCH-0000000", ticket["reported_at"]
        made = min(made, now - timedelta(minutes=1))
        answered = made + _minutes(rng, 150, 1.0) if rng.random() < 0.97 else None
        answered = answered if answered is not None and answered <= now else None
        resolved = answered + _minutes(rng, 900) if answered is not None and rng.random() < 0.8 else None
        resolved = resolved if resolved is not None and resolved <= now else None
        status = "resolved" if resolved else "answered" if answered else "open"
        rows.append({
            "ticket_id": ticket_id, "serial_number": serial, "caller_name": "李女士", "caller_phone": "13900000000",
            "description": "上门太晚", "source": rng.choice(("caller", "follow_up")), "status": status,
            "made_at": made, "commitments_version": version, "answered_at": answered,
            "answer": {"by": "desk", "notes": "已致歉", "at": answered.isoformat()} if answered else None,
            "resolved_at": resolved,
            "resolution": {"by": "desk", "notes": "已处理", "at": resolved.isoformat()} if resolved else None,
            "created_at": made})
    return rows


TICKET_COLUMNS = [c.name for c in Ticket.__table__.columns if c.name not in ("id", "came_back")]


def fill(url: str, schema: str | None, *, tickets: int, complaints_count: int, year: int, seed: int,
         now: datetime, say=print) -> dict:
    engine = create_db_engine(url, schema=schema)
    rng = random.Random(seed)
    started = time.monotonic()
    with Session(engine) as session:
        sites, people = organisation(now)
        have = set(session.scalars(select(Site.code)))
        new_sites = [s for s in sites if s["code"] not in have]
        if new_sites:
            session.execute(insert(Site), new_sites)
        if not session.scalar(select(func.count()).select_from(Technician).where(Technician.station.like("ST-B%"))):
            session.execute(insert(Technician), people)
        technicians: dict[str, list[tuple[int, str]]] = {}
        for tid, name, station in session.execute(select(Technician.id, Technician.name, Technician.station)
                                                  .where(Technician.station.like("ST-B%"))):
            technicians.setdefault(station, []).append((tid, name))
        version = commitments.in_force(session, at=now).id
        loaner_levels = {lv for lv in range(1, 5) if commitments.of_version(session, version).level(lv).loaner}
        start = datetime(year, 1, 1, tzinfo=CHINA).astimezone(UTC)
        end = min(datetime(year + 1, 1, 1, tzinfo=CHINA).astimezone(UTC), now - timedelta(hours=1))
        rows = ticket_rows(rng, tickets, start, end, now, technicians, version)
        say(f"  {len(rows)} tickets drawn in {time.monotonic() - started:.1f} s")
        first = (session.scalar(select(TicketCounter.last).where(TicketCounter.year == year)) or 0)
        for i, t in enumerate(rows, start=first + 1):
            t.number = f"SR-{year}-{i:06d}"
            t.created_at = t.updated_at = t.reported_at
            settle(session, t, now)
            loaners(rng, t, loaner_levels)
        say(f"  figure columns derived in {time.monotonic() - started:.1f} s")
        counter = session.get(TicketCounter, year)
        if counter is None:
            session.add(TicketCounter(year=year, last=first + len(rows)))
        else:
            counter.last = first + len(rows)
        session.flush()
        table = Ticket.__table__
        last_id = session.scalar(select(func.max(table.c.id))) or 0
        written = []
        for lo in range(0, len(rows), CHUNK):
            chunk = [{"id": last_id + lo + i + 1, **{name: getattr(t, name) for name in TICKET_COLUMNS}}
                     for i, t in enumerate(rows[lo:lo + CHUNK])]
            session.execute(insert(table), chunk)
            written += [{k: row[k] for k in ("id", "serial_number", "reported_at", "dispatched_at")} for row in chunk]
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":  # ids given here: the sequence goes on after them
            session.execute(text("SELECT setval(pg_get_serial_sequence('ticket', 'id'), (SELECT max(id) FROM ticket))"))
        # Whether each repair came back, by the rule the service keeps it with (figure_facts.returns); all the
        # table's: a year written after another may bring back the units of its December.
        judged = figure_facts.came_back(dialect, table)
        session.execute(update(table).where(table.c.resolved_at.is_not(None), table.c.serial_number.is_not(None),
                                            table.c.came_back.is_distinct_from(judged)).values(came_back=judged))
        say(f"  tickets written, repairs that came back judged in {time.monotonic() - started:.1f} s")
        made = complaint_rows(rng, complaints_count, written, now, version)
        answer = commitments.of_version(session, version).complaint_answer
        calendar = calendars.work_calendar(session)
        for complaint in made:
            complaint["answer_due_at"] = figure_facts.complaint_due(calendar, answer, complaint["made_at"])
        if made:
            table = Complaint.__table__
            for lo in range(0, len(made), CHUNK):
                session.execute(insert(table), made[lo:lo + CHUNK])
        session.commit()
    if engine.dialect.name == "postgresql":  # as autovacuum leaves a settled table: the planner's statistics,
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # index-only scans
            conn.execute(text("VACUUM ANALYZE ticket"))
            conn.execute(text("VACUUM ANALYZE complaint"))
    else:  # the write-ahead log copied into the database, as a checkpoint leaves it (no ANALYZE: the service
        with engine.connect() as conn:  # never runs one, and the figures' plan is the same without it)
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    elapsed = round(time.monotonic() - started, 1)
    say(f"  {len(rows)} tickets and {len(made)} complaints in {elapsed} s")
    return {"tickets": len(rows), "complaints": len(made), "seconds": elapsed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="the servicedesk database URL")
    parser.add_argument("--schema", default=None, help="its PostgreSQL schema (the platform's: servicedesk)")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--complaints", type=int, default=3_000)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--migrate", action="store_true", help="apply the servicedesk migrations first")
    args = parser.parse_args(argv)
    if args.migrate:
        migrations.upgrade("servicedesk", args.db, args.schema)
    now = datetime.now(UTC).replace(microsecond=0)
    if date(args.year, 1, 1) > now.astimezone(CHINA).date():
        parser.error(f"{args.year} has not begun: tickets are not reported in the future")
    fill(args.db, args.schema, tickets=args.tickets, complaints_count=args.complaints, year=args.year,
         seed=args.seed, now=now)
    return 0


if __name__ == "__main__":
    sys.exit(main())
