"""The working calendar's data: each year from the pinned packages, unless an admin set it.

Published years (holidays and the 调休 working days) come from
`chinesecalendar`; a year it does not know is provisional: weekdays less the
statutory holidays, which `holidays` computes (lunar dates included) without
guessing the State Council's days in lieu.
"""

from datetime import date, datetime, time
from functools import lru_cache

import chinese_calendar
import holidays as holiday_rules
from chinese_calendar import constants as published
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from services.servicedesk import errors
from services.servicedesk.domain.calendar import CHINA, WorkCalendar, YearSchedule
from services.servicedesk.domain.tickets import ACTIVE
from services.servicedesk.models import CalendarYear, Ticket

PUBLISHED_YEARS = frozenset(d.year for d in published.holidays)
SOURCE_PUBLISHED = f"chinesecalendar {getattr(chinese_calendar, '__version__', '1.11.0')}"
SOURCE_PROVISIONAL = f"holidays {holiday_rules.__version__} (statutory holidays only)"


@lru_cache(maxsize=256)
def package_schedule(year: int) -> YearSchedule:
    if year in PUBLISHED_YEARS:
        return YearSchedule(
            year=year,
            holidays=frozenset(d for d in published.holidays if d.year == year),
            workdays=frozenset(d for d in published.workdays if d.year == year),
        )
    statutory = holiday_rules.China(years=year, observed=False)
    days = frozenset(d for d, name in statutory.items() if "substituted" not in name.lower())
    return YearSchedule(year=year, holidays=days, provisional=True)


def _clock_time(text: str) -> time:
    return time.fromisoformat(text)


def schedule_of(row: CalendarYear) -> YearSchedule:
    return YearSchedule(
        year=row.year,
        holidays=frozenset(date.fromisoformat(d) for d in row.holidays),
        workdays=frozenset(date.fromisoformat(d) for d in row.workdays),
        provisional=row.provisional,
        opens=_clock_time(row.opens),
        closes=_clock_time(row.closes),
    )


def year_schedule(session: Session, year: int) -> tuple[YearSchedule, str]:
    """The schedule in force for `year`, and where it comes from."""
    row = session.get(CalendarYear, year)
    if row is not None:
        return schedule_of(row), "admin"
    schedule = package_schedule(year)
    return schedule, SOURCE_PROVISIONAL if schedule.provisional else SOURCE_PUBLISHED


def work_calendar(session: Session) -> WorkCalendar:
    """A calendar reading each year it needs once, for one unit of work (kept in its session:
    re-timing every active ticket after a calendar change asked for the years once per ticket)."""
    calendar = session.info.get("work_calendar")
    if calendar is None:
        calendar = session.info["work_calendar"] = WorkCalendar(year_of=lambda year: year_schedule(session, year)[0])
    return calendar


def put_year(
    session: Session, *, year: int, holidays: list[date], workdays: list[date], provisional: bool,
    opens: time, closes: time, now: datetime,
) -> YearSchedule:
    problems = []
    for name, days in (("holidays", holidays), ("workdays", workdays)):
        if any(d.year != year for d in days):
            problems.append((name, f"every date must be in {year}"))
    if set(holidays) & set(workdays):
        problems.append(("workdays", "a day cannot be both a holiday and a working day"))
    if opens >= closes:
        problems.append(("hours", "opening must come before closing"))
    if problems:
        raise errors.invalid_many(problems)
    row = session.get(CalendarYear, year) or CalendarYear(year=year)
    row.holidays = sorted(d.isoformat() for d in set(holidays))
    row.workdays = sorted(d.isoformat() for d in set(workdays))
    row.provisional = provisional
    row.opens, row.closes = opens.strftime("%H:%M"), closes.strftime("%H:%M")
    row.updated_at = now
    session.add(row)
    session.flush()
    session.info.pop("work_calendar", None)  # what this unit reads from now on is the new schedule
    return schedule_of(row)


def tickets_to_retime(session: Session, year: int | None = None) -> list[Ticket]:
    """Tickets whose due times a calendar change can move: those whose clocks still run, and, for a change
    to `year`, those whose clocks ran in that year (their figures, GET /reports/service, are re-derived
    with the board's urgency: a correction moves a past promise's state as a reading would see it)."""
    running = Ticket.status.in_(ACTIVE)
    if year is None:
        return list(session.scalars(select(Ticket).where(running)))
    begin, end = (datetime.combine(date(y, 1, 1), time(0), CHINA) for y in (year, year + 1))
    stopped = func.coalesce(Ticket.closed_at, Ticket.cancelled_at)
    crossed = and_(Ticket.complete_at < end, or_(stopped.is_(None), stopped >= begin))
    return list(session.scalars(select(Ticket).where(or_(running, crossed))))

