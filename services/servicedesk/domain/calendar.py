"""Business time on the PRC working calendar, in China Standard Time.

A working day is Monday to Friday, less the year's public holidays, plus the
weekend days declared working days in lieu (调休). Business time is the
opening hours of working days. China has kept UTC+8 without daylight saving
since 1991, so a fixed offset is exact and needs no time-zone database.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")
TIMEZONE_NAME = "Asia/Shanghai"
OPEN, CLOSE = time(8, 30), time(17, 0)
MAX_DAYS = 3660  # no commitment spans ten years of calendar: a guard against an all-holiday calendar


@dataclass(frozen=True, slots=True)
class YearSchedule:
    year: int
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    provisional: bool = False
    opens: time = OPEN
    closes: time = CLOSE

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


@dataclass(frozen=True, slots=True)
class Span:
    """A result in business time: `provisional` when any day it crossed is in an unpublished year."""

    at: datetime | None = None
    minutes: int = 0
    provisional: bool = False


@dataclass
class WorkCalendar:
    """The working calendar, one year at a time from `year_of` (read once per year)."""

    year_of: Callable[[int], YearSchedule]
    _years: dict[int, YearSchedule] = field(default_factory=dict)

    def schedule(self, year: int) -> YearSchedule:
        if year not in self._years:
            self._years[year] = self.year_of(year)
        return self._years[year]

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The opening hours of `day` as aware instants, or None on a day off."""
        year = self.schedule(day.year)
        if not year.is_working_day(day):
            return None
        return (datetime.combine(day, year.opens, CHINA), datetime.combine(day, year.closes, CHINA))


def _local(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("business time needs aware instants")
    return at.astimezone(CHINA)


def add_business_minutes(calendar: WorkCalendar, start: datetime, minutes: int) -> Span:
    """The instant `minutes` of business time after `start` (start itself when minutes is 0)."""
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    at = _local(start)
    if minutes == 0:
        return Span(at=start.astimezone(UTC), minutes=0)
    # In seconds, so that an instant with seconds counts back to exactly the minutes added.
    remaining, provisional, day = timedelta(minutes=minutes), False, at.date()
    for _ in range(MAX_DAYS):
        provisional = provisional or calendar.schedule(day.year).provisional
        window = calendar.window(day)
        if window is not None:
            opens, closes = window
            begin = max(at, opens)
            if begin < closes:
                if remaining <= closes - begin:
                    return Span(at=(begin + remaining).astimezone(UTC), minutes=minutes, provisional=provisional)
                remaining -= closes - begin
        day += timedelta(days=1)
        at = datetime.combine(day, time(0), CHINA)
    raise ValueError("no working time within ten years of calendar")


def business_seconds_between(calendar: WorkCalendar, start: datetime, end: datetime) -> tuple[float, bool]:
    """Business seconds from `start` to `end` (0 when end is not after start), and whether provisional."""
    a, b = _local(start), _local(end)
    if b <= a:
        return 0.0, False
    seconds, provisional, day = 0.0, False, a.date()
    while day <= b.date():
        provisional = provisional or calendar.schedule(day.year).provisional
        window = calendar.window(day)
        if window is not None:
            lo, hi = max(a, window[0]), min(b, window[1])
            if hi > lo:
                seconds += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return seconds, provisional


def business_minutes_between(calendar: WorkCalendar, start: datetime, end: datetime) -> Span:
    """Business minutes from `start` to `end` (0 when end is not after start), floored to whole minutes."""
    seconds, provisional = business_seconds_between(calendar, start, end)
    return Span(minutes=int(seconds // 60), provisional=provisional)


def add_clock_minutes(calendar: WorkCalendar, clock: str, start: datetime, minutes: int) -> Span:
    if clock == "round_the_clock":
        return Span(at=start.astimezone(UTC) + timedelta(minutes=minutes), minutes=minutes)
    return add_business_minutes(calendar, start, minutes)


def clock_minutes_between(calendar: WorkCalendar, clock: str, start: datetime, end: datetime) -> Span:
    if clock == "round_the_clock":
        return Span(minutes=max(0, int((end - start).total_seconds() // 60)))
    return business_minutes_between(calendar, start, end)


def clock_seconds_between(calendar: WorkCalendar, clock: str, start: datetime, end: datetime) -> tuple[float, bool]:
    """Seconds on `clock` from `start` to `end`, and whether provisional: what `at_risk` is judged on."""
    if clock == "round_the_clock":
        return max(0.0, (end - start).total_seconds()), False
    return business_seconds_between(calendar, start, end)
