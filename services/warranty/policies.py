"""Policy versions and region season calendars: data, versioned, never edited.

A unit keeps the policy version and the calendar version in force on its
acceptance day; a new version applies to units accepted from its effective day.
"""

from datetime import date, datetime

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.orm import Session

from services.warranty import errors, trail
from services.warranty.domain import terms as domain
from services.warranty.models import PolicyVersion, RegionCalendar, Unit
from shared import db, pagination
from shared.context import Caller
from shared.seasons import MonthDay, Season


def rules_of(policy: PolicyVersion) -> list[domain.TermRule]:
    return [domain.TermRule(t["component"], domain.TermKind(t["kind"]), t["length"]) for t in policy.terms]


def calendar_of(row: RegionCalendar) -> domain.RegionCalendar:
    return domain.RegionCalendar(
        heating=Season(MonthDay.parse(row.heating_start), MonthDay.parse(row.heating_end)),
        cooling=Season(MonthDay.parse(row.cooling_start), MonthDay.parse(row.cooling_end)),
    )


# Core statements, so that a read on a plain connection (the hot coverage read) fills the cache too.
_POLICY_BY_VERSION = select(PolicyVersion.__table__).where(PolicyVersion.__table__.c.version == bindparam("key"))
_CALENDAR_BY_ID = select(RegionCalendar.__table__).where(RegionCalendar.__table__.c.id == bindparam("key"))


TERMS_KEPT = 4096  # units' terms kept per process, by (policy version, calendar, commissioning day)


class Pinned:
    """Policy rules and calendars by id, kept by the process: their rows never change. So neither do the
    terms they give a unit commissioned on a day: those are kept too, for the days most asked about."""

    def __init__(self) -> None:
        self._rules: dict[int, list[domain.TermRule]] = {}
        self._calendars: dict[int, domain.RegionCalendar] = {}
        self._terms: dict[tuple[int, int, date], tuple[domain.Term, ...]] = {}

    def terms(self, session: Session | Connection, version: int, calendar_id: int,
              accepted_on: date) -> tuple[domain.Term, ...]:
        """`domain.compute_terms` of the version's rules and the calendar, for a unit accepted that day."""
        key = (version, calendar_id, accepted_on)
        found = self._terms.get(key)
        if found is None:
            found = tuple(domain.compute_terms(self.rules(session, version), accepted_on,
                                               self.calendar(session, calendar_id)))
            if len(self._terms) >= TERMS_KEPT:
                self._terms.clear()  # a bound, not a policy: the days asked about come back at once
            self._terms[key] = found
        return found

    def rules(self, session: Session | Connection, version: int) -> list[domain.TermRule]:
        if version not in self._rules:
            self._rules[version] = rules_of(session.execute(_POLICY_BY_VERSION, {"key": version}).one())
        return self._rules[version]

    def calendar(self, session: Session | Connection, calendar_id: int) -> domain.RegionCalendar:
        if calendar_id not in self._calendars:
            self._calendars[calendar_id] = calendar_of(session.execute(_CALENDAR_BY_ID, {"key": calendar_id}).one())
        return self._calendars[calendar_id]


def policy_in_force(session: Session, on: date) -> PolicyVersion:
    """The latest version effective on `on`; before the first one, the first one."""
    found = db.in_force(session, PolicyVersion, on, newer=PolicyVersion.version)
    return found or session.scalars(select(PolicyVersion).order_by(PolicyVersion.version).limit(1)).one()


def list_policies(session: Session, *, after: int | None, limit: int) -> list[PolicyVersion]:
    query = pagination.keyset(select(PolicyVersion), PolicyVersion.version, after=after, limit=limit)
    return list(session.scalars(query))


def create_policy(
    session: Session, *, rules: list[domain.TermRule], effective_from: date | None, today: date, now: datetime,
    caller: Caller | None = None,
) -> PolicyVersion:
    effective_from = effective_from or today
    if effective_from < today:
        # A back-dated version would change the terms of units already accepted.
        raise errors.EffectiveInPast(f"effective_from {effective_from} is before today ({today})")
    problems = domain.policy_problems(rules)
    if problems:
        field_errors = [{"field": f"terms.{p.component or ''}", "message": p.message} for p in problems]
        kind = errors.BelowLegalMinimum if all(p.code == "below_legal_minimum" for p in problems) \
            else errors.InvalidPolicy
        raise kind("; ".join(p.message for p in problems), errors=field_errors,
                   problems=[p.code for p in problems])
    ordered = sorted(rules, key=lambda r: domain.COMPONENTS.index(r.component))
    latest = session.scalars(select(PolicyVersion).order_by(PolicyVersion.version.desc()).limit(1)).first()
    policy = PolicyVersion(
        effective_from=effective_from,
        terms=[{"component": r.component, "kind": str(r.kind), "length": r.length} for r in ordered],
        created_at=now,
    )
    session.add(policy)
    session.flush()
    # A new version, shown against the one before it: the entry says which terms changed.
    trail.record(session, caller, action="create", object_type="policy", object_id=policy.version, at=now,
                 before={"terms": latest.terms, "effective_from": latest.effective_from} if latest else None,
                 after={"terms": policy.terms, "effective_from": policy.effective_from})
    return policy


def calendar_in_force(session: Session, region: str, on: date) -> RegionCalendar:
    rows = session.scalars(
        select(RegionCalendar).where(RegionCalendar.region == region).order_by(RegionCalendar.version)
    ).all()
    if not rows:
        raise errors.UnknownRegion(
            f"No season calendar for region {region!r}",
            errors=[{"field": "site.region", "message": f"unknown region {region!r}"}],
        )
    in_force = [r for r in rows if r.effective_from <= on]
    return in_force[-1] if in_force else rows[0]


def latest_calendar(session: Session, region: str) -> RegionCalendar:
    row = session.scalars(
        select(RegionCalendar)
        .where(RegionCalendar.region == region)
        .order_by(RegionCalendar.version.desc())
        .limit(1)
    ).first()
    if row is None:
        raise errors.RegionNotFound(f"No season calendar for region {region!r}")
    return row


def list_calendars(session: Session) -> list[RegionCalendar]:
    latest = (
        select(RegionCalendar.region, func.max(RegionCalendar.version).label("version"))
        .group_by(RegionCalendar.region)
        .subquery()
    )
    return list(session.scalars(
        select(RegionCalendar)
        .join(latest, (RegionCalendar.region == latest.c.region) & (RegionCalendar.version == latest.c.version))
        .order_by(RegionCalendar.region)
    ))


def parse_season(start: str, end: str, field: str) -> Season:
    try:
        return Season(MonthDay.parse(start), MonthDay.parse(end))
    except ValueError as exc:
        raise errors.InvalidSeason(str(exc), errors=[{"field": field, "message": str(exc)}]) from exc


def put_calendar(
    session: Session,
    *,
    region: str,
    heating: Season,
    cooling: Season,
    effective_from: date | None,
    apply_to_existing_units: bool,
    today: date,
    now: datetime,
    caller: Caller | None = None,
) -> tuple[RegionCalendar, int]:
    """A new calendar version; returns it and how many units were moved onto it."""
    effective_from = effective_from or today
    current = session.scalars(
        select(RegionCalendar).where(RegionCalendar.region == region)
        .order_by(RegionCalendar.version.desc()).limit(1)
    ).first()
    if current is not None and effective_from < today:
        raise errors.EffectiveInPast(f"effective_from {effective_from} is before today ({today})")
    row = RegionCalendar(
        region=region,
        version=(current.version + 1) if current else 1,
        # A brand-new region's first calendar serves every acceptance day.
        effective_from=effective_from if current else date(1900, 1, 1),
        heating_start=str(heating.start), heating_end=str(heating.end),
        cooling_start=str(cooling.start), cooling_end=str(cooling.end),
        created_at=now,
    )
    session.add(row)
    session.flush()
    moved = _move_units(session, row, effective_from) if apply_to_existing_units and current else 0
    trail.record(session, caller, action="update" if current else "create", object_type="region_calendar",
                 object_id=region, at=now, before=trail.fields(current, trail.CALENDAR_FIELDS) if current else None,
                 after={**trail.fields(row, trail.CALENDAR_FIELDS), "units_moved": moved})
    return row, moved


def _move_units(session: Session, row: RegionCalendar, effective_from: date) -> int:
    """Units whose season terms end after the change adopt the new calendar."""
    pinned = Pinned()
    moving = []
    units = session.execute(
        select(Unit.serial_number, Unit.accepted_on, Unit.calendar_id, Unit.policy_version)
        .where(Unit.region == row.region, Unit.calendar_id != row.id)
    ).all()
    for serial, accepted_on, calendar_id, policy_version in units:
        calendar = pinned.calendar(session, calendar_id)
        season_rules = [r for r in pinned.rules(session, policy_version) if r.kind != domain.TermKind.MONTHS]
        ends = [domain.compute_term(r, accepted_on, calendar).covered_through for r in season_rules]
        if any(end >= effective_from for end in ends):
            moving.append(serial)
    for start in range(0, len(moving), 500):
        session.execute(
            update(Unit).where(Unit.serial_number.in_(moving[start:start + 500])).values(calendar_id=row.id)
        )
    return len(moving)
