"""The business day: bills, fapiao and contracts follow the calendar of China Standard Time."""

from datetime import date, datetime, timedelta, timezone

# UTC+8 all year: China has one time zone and no daylight saving.
BUSINESS_TZ = timezone(timedelta(hours=8), "CST")


def business_day(at: datetime) -> date:
    return at.astimezone(BUSINESS_TZ).date()
