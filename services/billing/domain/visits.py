"""Visits a maintenance contract plans, for the season calendar of its region.

For every heating or cooling season that overlaps the contract: a
maintenance visit on the season's first day, and an inspection every two
months after it while the season lasts. The worked example of the spec
(shandong, 2025) has inspections in the heating season too, so both seasons
get them, not only cooling.
"""

from dataclasses import dataclass
from datetime import date

from shared import periods, seasons

MAINTENANCE = "maintenance"
INSPECTION = "inspection"
INSPECTION_EVERY_MONTHS = 2

# Maintenance sorts before an inspection on the same day: it is the bigger visit
# and the technician does the inspection as part of it.
_KIND_ORDER = {MAINTENANCE: 0, INSPECTION: 1}


@dataclass(frozen=True, slots=True)
class PlannedVisit:
    date: date
    kind: str


def _season_visits(first: date, last: date) -> list[PlannedVisit]:
    visits = [PlannedVisit(first, MAINTENANCE)]
    step = 1
    while True:
        # Counted from the first day, never chained: from 12-31, chaining would give
        # 02-28 then 04-28, while the date rule of the spec gives 02-28 then 04-30.
        day = periods.add_months(first, INSPECTION_EVERY_MONTHS * step)
        if day > last:
            return visits
        visits.append(PlannedVisit(day, INSPECTION))
        step += 1


def plan_visits(
    *, starts_on: date, ends_on: date, heating: seasons.Season, cooling: seasons.Season
) -> list[PlannedVisit]:
    if ends_on < starts_on:
        raise ValueError(f"contract ends on {ends_on} before it starts on {starts_on}")
    planned: set[PlannedVisit] = set()
    for season in (heating, cooling):
        # A season begun before the contract still yields its inspections that fall
        # inside it: the contract buys the visits of its own days, wherever the season began.
        for first, last in season.windows_overlapping(starts_on, ends_on):
            planned.update(v for v in _season_visits(first, last) if starts_on <= v.date <= ends_on)
    return sorted(planned, key=lambda v: (v.date, _KIND_ORDER[v.kind]))
