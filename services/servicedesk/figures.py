"""The service desk's figures for a manager (domain.md section 9), by service centre, station, technician or
month: fault reports by level and channel, each promise's on-time rate, business minutes to dispatch, to
site and to fix (mean and 90th percentile), the share fixed at the first visit, loaners, follow-up calls
and satisfaction, complaints answered on time.

A period from D1 to D2 holds the tickets **reported** from D1 00:00 to D2 24:00 China time, and the
complaints **made** then; each is counted once, in the group of the station it was dispatched to (a
complaint: its ticket's), or `none` when it was not dispatched. Everything a ticket adds is read with
one GROUP BY from the one index that holds what the figures read (ix_ticket_figures): the due times,
business minutes and `came_back` it keeps for this (figure_facts.py, derived with its urgency at every
event and calendar correction); the 90th percentiles in the same query (PostgreSQL's percentile_disc,
SQLite's json_group_array of the minutes ranked here). States are judged now, as a reading of the ticket
would: a milestone still pending, paused or not needed is left out of its rate; a rate with nothing to
judge is null. Complaints likewise, from the answer's due time each keeps (complaints.read judges the same).
"""

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Float, String, and_, case, cast, false, func, literal, literal_column, or_, select
from sqlalchemy.orm import Session

from services.servicedesk import commitments, tickets
from services.servicedesk.domain import tickets as rules
from services.servicedesk.domain.calendar import CHINA
from services.servicedesk.domain.commitments import MILESTONES
from services.servicedesk.domain.figures import nearest_rank
from services.servicedesk.models import CommitmentVersion, Complaint, Site, Technician, Ticket
from shared import context
from shared.db import UtcDateTime

GROUPS = ("centre", "station", "technician", "month")
NONE = "none"  # the group of what was never dispatched
NONE_NAME = "未派工"
LEVELS = ("1", "2", "3", "4")
# PostgreSQL's percentile_disc(0.9) is the ceil(0.9 * n)-th value with 0.9 * n in floating point, which is
# the exact nearest rank (domain/figures.nearest_rank) for every n up to 2 000 000 at least (checked one by
# one; tests/servicedesk/test_servicedesk_figures_fast.py compares the two on random groups).
SHARE = 0.9
MET_AT = {"dispatch": "dispatched_at", "on_site": "arrived_at", "fixed": "resolved_at"}
MINUTES = {"dispatch": "minutes_to_dispatch", "on_site": "minutes_to_site", "fixed": "minutes_to_fix"}


def china_day(at: datetime) -> date:
    return at.astimezone(CHINA).date()


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period as UTC instants: [start 00:00, the day after end 00:00) in China time."""
    return (datetime.combine(start, time(0), CHINA).astimezone(UTC),
            datetime.combine(end + timedelta(days=1), time(0), CHINA).astimezone(UTC))


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _month(session: Session, column):
    if _postgres(session):
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


@dataclass(frozen=True, slots=True)
class Grouping:
    key: object  # a SQL expression (null for `none`); None: one group, the totals
    joins_site: bool

    def label(self):
        return (self.key if self.key is not None else literal_column("'total'")).label("key")

    def grouped(self, query):
        return query.group_by(self.key) if self.key is not None else query


def _grouping(session: Session, group_by: str, t, site, when) -> Grouping:
    if group_by == "total":
        return Grouping(None, False)
    if group_by == "station":
        return Grouping(t.station, False)
    if group_by == "centre":  # a repair station's centre; a centre dispatched to directly is its own
        return Grouping(case((site.kind == "repair_station", site.parent), else_=t.station), True)
    if group_by == "technician":
        return Grouping(cast(t.technician_id, String), False)
    return Grouping(_month(session, when), False)


def _count(condition):
    # COUNT(*) FILTER (WHERE ...): both databases have it, and it costs less per row than SUM(CASE ...).
    return func.count().filter(condition)


def _loaner_levels(session: Session, t):
    """Tickets on a level whose commitments (in the ticket's version) owe a loaner when `fixed` is missed."""
    pairs = []
    for version in session.scalars(select(CommitmentVersion.id)):
        promised = commitments.of_version(session, version)
        pairs += [(version, level) for level in range(1, 5) if promised.level(level).loaner]
    return or_(*(and_(t.commitments_version == v, t.level == lv) for v, lv in pairs)) if pairs else false()


def _ticket_columns(session: Session, t, now: datetime) -> list:
    at_now = literal(now, UtcDateTime())
    reading = func.coalesce(t.cancelled_at, at_now)  # a cancelled ticket's clocks stopped then
    columns = [func.count().label("reports")]
    columns += [_count(t.level == int(level)).label(f"level_{level}") for level in LEVELS]
    columns += [_count(t.channel == channel).label(f"channel_{channel}") for channel in rules.CHANNELS]
    for name in MILESTONES:
        met, due = getattr(t, MET_AT[name]), getattr(t, f"{name}_due_at")
        columns += [_count(and_(met.is_not(None), due.is_not(None), met <= due)).label(f"{name}_met"),
                    _count(and_(met.is_not(None), due.is_not(None), met > due)).label(f"{name}_late"),
                    _count(and_(met.is_(None), due.is_not(None), due < reading)).label(f"{name}_breached"),
                    func.sum(getattr(t, f"{name}_minutes")).label(f"{name}_sum"),
                    func.count(getattr(t, f"{name}_minutes")).label(f"{name}_n")]
    fixed_late = and_(t.resolved_at.is_not(None), t.fixed_due_at.is_not(None), t.resolved_at > t.fixed_due_at)
    fixed_breached = and_(t.resolved_at.is_(None), t.fixed_due_at.is_not(None), t.fixed_due_at < reading)
    judged = and_(t.resolved_at.is_not(None), t.serial_number.is_not(None))
    follow_due = t.follow_up_due_at
    columns += [
        _count(judged).label("fix_judged"),
        _count(and_(judged, t.came_back.is_not(True))).label("fixed_first"),
        _count(and_(_loaner_levels(session, t), or_(fixed_late, fixed_breached))).label("loaners_owed"),
        _count(t.loaner_status.in_(("provided", "returned"))).label("loaners_provided"),
        _count(and_(t.loaner_status == "not_due",
                    t.loaner["emergency_measures"].as_string().is_not(None))).label("loaners_measures_taken"),
        _count(t.closed_at.is_not(None)).label("follow_ups_done"),
        _count(and_(t.closed_at.is_not(None), follow_due.is_not(None), t.closed_at <= follow_due))
        .label("follow_ups_on_time"),
        _count(and_(t.closed_at.is_not(None), follow_due.is_not(None), t.closed_at > follow_due))
        .label("follow_ups_late"),
        _count(and_(t.closed_at.is_(None), follow_due.is_not(None), follow_due < at_now)).label("follow_ups_overdue"),
        func.sum(t.satisfaction).label("satisfaction_sum"),
        func.count(t.satisfaction).label("satisfaction_n"),
    ]
    return columns


def _percentiles(session: Session, t) -> list:
    """Per measure, what gives its 90th percentile: PostgreSQL's own (nearest rank, see SHARE); on SQLite,
    which has none, the group's minutes as one JSON array (ranked by `_ranked`): a window function's sort per
    group cost more than reading them (docs/decisions.md, branch yearfig)."""
    measured = [getattr(t, f"{name}_minutes") for name in MILESTONES]
    if _postgres(session):
        return [func.percentile_disc(literal(SHARE, Float())).within_group(m).label(f"{name}_p90")
                for name, m in zip(MILESTONES, measured, strict=True)]
    return [func.json_group_array(m).filter(m.is_not(None)).label(f"{name}_p90")
            for name, m in zip(MILESTONES, measured, strict=True)]


def _ranked(value) -> int | list | None:
    """A percentile column as read: PostgreSQL's value, or SQLite's minutes (sorted, for the totals)."""
    if value is None or isinstance(value, int):
        return value
    return sorted(json.loads(value))


def _tickets(session: Session, group_by: str, since: datetime, until: datetime, scope,
             now: datetime) -> tuple[dict, dict]:
    """Per group key: the sums the figures are made of ({name: number}, each measure's p90 or its minutes),
    and the totals' percentiles ({name: p90})."""
    t, site = Ticket.__table__.c, Site.__table__.c
    grouping = _grouping(session, group_by, t, site, t.reported_at)
    source = Ticket.__table__
    if grouping.joins_site:
        source = source.outerjoin(Site.__table__, site.code == t.station)
    where = [t.reported_at >= since, t.reported_at < until]
    if scope is not None:
        where.append(t.station.in_(scope))
    key = grouping.label()
    ranks = {f"{name}_p90" for name in MILESTONES}
    sums = {row.key: {k: _ranked(v) if k in ranks else v or 0 for k, v in row._mapping.items() if k != "key"}
            for row in session.execute(grouping.grouped(
                select(key, *_ticket_columns(session, t, now), *_percentiles(session, t))
                .select_from(source).where(*where)))}
    if _postgres(session):  # the totals' own: a percentile is not made of the groups' ones
        row = session.execute(select(*_percentiles(session, t)).where(*where)).one() if sums else None
        totals = {name: row._mapping[f"{name}_p90"] if row else None for name in MILESTONES}
    else:  # every group's minutes, sorted: one sort of the sorted runs
        totals = {}
        for name in MILESTONES:
            everything: list = []
            for group in sums.values():
                everything += group[f"{name}_p90"]
            everything.sort()
            totals[name] = everything
    return sums, totals


def _complaints(session: Session, group_by: str, since: datetime, until: datetime, scope, now: datetime):
    """Per group: complaints made, answered on time, and judged (met, met late or breached), from the answer's
    due time each keeps: its state as its reading computes it (complaints.read)."""
    c, t, site = Complaint.__table__.c, Ticket.__table__.c, Site.__table__.c
    grouping = _grouping(session, group_by, t, site, c.made_at)
    source = Complaint.__table__.outerjoin(Ticket.__table__, t.id == c.ticket_id)
    if grouping.joins_site:
        source = source.outerjoin(Site.__table__, site.code == t.station)
    due, answered = c.answer_due_at, c.answered_at
    answered_judged = and_(answered.is_not(None), due.is_not(None))
    breached = and_(answered.is_(None), due.is_not(None), due < literal(now, UtcDateTime()))
    query = (select(grouping.label(), func.count().label("complaints"),
                    _count(and_(answered_judged, answered <= due)).label("on_time"),
                    _count(or_(answered_judged, breached)).label("judged"))
             .select_from(source).where(c.made_at >= since, c.made_at < until))
    if scope is not None:
        query = query.where(t.station.in_(scope))
    return {row.key: {k: v or 0 for k, v in row._mapping.items() if k != "key"}
            for row in session.execute(grouping.grouped(query))}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(total, count: int) -> float | None:
    return round(float(total) / count, 1) if count else None


def _p90(ranked) -> int | None:
    if isinstance(ranked, list):  # SQLite: the group's minutes, sorted
        return ranked[nearest_rank(len(ranked), SHARE) - 1] if ranked else None
    return ranked


def _figures(sums: dict, p90: dict, complained: dict) -> dict:
    """One row's figures from its sums (empty: nothing of that kind in the group) and each measure's 90th
    percentile ({name: value or SQLite's minutes})."""
    def get(name: str) -> int:
        return sums.get(name, 0)

    figures = {
        "reports": get("reports"),
        "by_level": {level: get(f"level_{level}") for level in LEVELS},
        "by_channel": {channel: get(f"channel_{channel}") for channel in rules.CHANNELS},
        "on_time_rate": {name: _rate(get(f"{name}_met"), get(f"{name}_met") + get(f"{name}_late")
                                     + get(f"{name}_breached")) for name in MILESTONES},
    }
    for name in MILESTONES:
        figures[MINUTES[name]] = {"mean": _mean(get(f"{name}_sum"), get(f"{name}_n")),
                                  "p90": _p90(p90.get(name))}
    done, on_time = get("follow_ups_done"), get("follow_ups_on_time")
    figures.update(
        first_visit_fix_rate=_rate(get("fixed_first"), get("fix_judged")),
        loaners_owed=get("loaners_owed"), loaners_provided=get("loaners_provided"),
        loaners_measures_taken=get("loaners_measures_taken"),
        follow_ups_done=done, follow_ups_on_time=on_time,
        follow_up_on_time_rate=_rate(on_time, done + get("follow_ups_overdue")),
        mean_satisfaction=_mean(get("satisfaction_sum"), get("satisfaction_n")),
        complaints=complained.get("complaints", 0), complaints_answered_on_time=complained.get("on_time", 0),
        complaint_on_time_rate=_rate(complained.get("on_time", 0), complained.get("judged", 0)),
    )
    return figures


def _names(session: Session, group_by: str, keys: list) -> dict:
    codes = [k for k in keys if k is not None]
    if group_by in ("station", "centre") and codes:
        return dict(session.execute(select(Site.code, Site.name).where(Site.code.in_(codes))).all())
    if group_by == "technician" and codes:
        found = session.execute(select(Technician.id, Technician.name)
                                .where(Technician.id.in_([int(k) for k in codes])))
        return {str(i): name for i, name in found}
    return {}


def _added(parts) -> dict:
    total: dict = defaultdict(int)
    for part in parts:
        for name, value in part.items():
            total[name] += value
    return total


def service_report(session: Session, *, start: date, end: date, group_by: str, caller: context.Caller | None,
                   now: datetime) -> dict:
    """`{"from", "to", "group_by", "rows": [{"key", "name", ...figures}], "totals": {...}}`, rows by key
    (`none` last); the totals add the rows up (each ticket and complaint is in exactly one row)."""
    since, until = bounds(start, end)
    scope = tickets.scope_of(session, caller)
    sums, p90 = _tickets(session, group_by, since, until, scope, now)
    complained = _complaints(session, group_by, since, until, scope, now)
    keys = sorted(set(sums) | set(complained), key=lambda k: (k is None, str(k)))
    names = _names(session, group_by, keys)

    def ranked(group: dict) -> dict:
        return {name: group.get(f"{name}_p90") for name in MILESTONES}

    rows = [{"key": NONE if key is None else str(key),
             "name": NONE_NAME if key is None else names.get(str(key), str(key)),
             **_figures(sums.get(key, {}), ranked(sums.get(key, {})), complained.get(key, {}))} for key in keys]
    counted = [{k: v for k, v in group.items() if not k.endswith("_p90")} for group in sums.values()]
    totals = {"key": "total", "name": "合计", **_figures(_added(counted), p90, _added(complained.values()))}
    return {"from": start, "to": end, "group_by": group_by, "rows": rows, "totals": totals}
