"""Periods counted as the PRC Civil Code counts them (arts. 201-202).

The start day is not counted; a period of N months ends on the day of the
final month that corresponds to the start day, or on that month's last day
when it has no such day. The end day itself is covered.
"""

import calendar
from datetime import date


def add_months(start: date, months: int) -> date:
    """The day N months after `start` by the Civil Code rule (N may be negative)."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


def add_years(start: date, years: int) -> date:
    return add_months(start, 12 * years)


def months_end(start: date, months: int) -> date:
    """The last covered day of a period of `months` months starting on `start`."""
    if months < 0:
        raise ValueError("a period cannot be negative")
    return add_months(start, months)
