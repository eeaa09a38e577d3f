"""Season windows of a region's calendar.

A season is a month-day start and a month-day end; when the end comes before
the start in the year, the season crosses the new year. A season is named by
the year in which it starts.
"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class MonthDay:
    month: int
    day: int

    def __post_init__(self) -> None:
        # 02-29 would make a season exist only in leap years, so calendars refuse it.
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is not 1-12")
        days = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[self.month - 1]
        if not 1 <= self.day <= days:
            raise ValueError(f"day {self.day} does not exist in month {self.month} of every year")

    @classmethod
    def parse(cls, text: str) -> "MonthDay":
        """Parse 'MM-DD'."""
        parts = text.split("-")
        if len(parts) != 2 or not all(p.isascii() and p.isdigit() and len(p) == 2 for p in parts):
            raise ValueError(f"{text!r} is not MM-DD")
        return cls(int(parts[0]), int(parts[1]))

    def in_year(self, year: int) -> date:
        return date(year, self.month, self.day)

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.day:02d}"


@dataclass(frozen=True, slots=True)
class Season:
    start: MonthDay
    end: MonthDay

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("a season must last more than one day")

    @property
    def crosses_new_year(self) -> bool:
        return (self.end.month, self.end.day) < (self.start.month, self.start.day)

    def window(self, year: int) -> tuple[date, date]:
        """First and last day of the season that starts in `year`."""
        end_year = year + 1 if self.crosses_new_year else year
        return self.start.in_year(year), self.end.in_year(end_year)

    def first_starting_on_or_after(self, day: date) -> int:
        """The year of the first season that starts on or after `day`."""
        return day.year if self.start.in_year(day.year) >= day else day.year + 1

    def covered_through(self, accepted_on: date, seasons: int) -> date:
        """Last day covered by a term of `seasons` seasons from `accepted_on`.

        A season already under way on the acceptance day is covered for its
        remainder but not counted; the span between seasons is covered too.
        """
        if seasons < 1:
            raise ValueError("a season term counts at least one season")
        first = self.first_starting_on_or_after(accepted_on)
        return self.window(first + seasons - 1)[1]

    def windows_overlapping(self, first_day: date, last_day: date) -> list[tuple[date, date]]:
        """Every season window that shares at least one day with [first_day, last_day]."""
        found = []
        for year in range(first_day.year - 1, last_day.year + 1):
            start, end = self.window(year)
            if start <= last_day and end >= first_day:
                found.append((start, end))
        return found
