"""When planned visits are due, and what state one is in on a given day.

A unit in warranty (domain.md section 8): for every heating and cooling
season of its region's calendar that starts within its warranty, a
`pre_season` visit due 15 days before the season's first day and a
`pre_shutdown` visit due 15 days before its last day. "Within its warranty"
is the unit's `unit` term (36 months in the contract): a season counts when
its first day lies between `accepted_on` and that term's covered-through day,
both included. The unit term is the warranty of the machine the checks are
for; the season terms (3 heating, 3 cooling seasons) cover those systems'
repairs and end, in the contract's calendars, with the same seasons or later.

A contract's visits are the ones billing plans for it (`GET
/billing/contracts/{id}/visits`); here they only get the season they fall in,
which sets the mode the unit runs in (the pressure ranges depend on it).

A visit can be recorded from 30 days before its due day to 30 days after it,
both included; from the 31st day after, a visit without a record is `missed`.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from shared.seasons import Season

LEAD = timedelta(days=15)
WINDOW = timedelta(days=30)
HEATING, COOLING = "heating", "cooling"


@dataclass(frozen=True, slots=True)
class PlannedVisit:
    kind: str  # pre_season | pre_shutdown | maintenance | inspection
    due_on: date
    season: str | None  # heating | cooling: the season it belongs to (None: between seasons)
    season_year: int | None  # the year the season starts in

    @property
    def key(self) -> str:
        """What tells two planned visits of one unit apart, whatever their due day becomes."""
        if self.kind in ("pre_season", "pre_shutdown"):
            return f"{self.kind}:{self.season}:{self.season_year}"
        return f"{self.kind}:{self.due_on.isoformat()}"


def warranty_visits(*, accepted_on: date, covered_through: date, heating: Season, cooling: Season
                    ) -> list[PlannedVisit]:
    """The pre-season and pre-shutdown visits of a unit whose `unit` term runs through `covered_through`."""
    planned = []
    for name, season in ((HEATING, heating), (COOLING, cooling)):
        for year in range(accepted_on.year - 1, covered_through.year + 1):
            first, last = season.window(year)
            if accepted_on <= first <= covered_through:
                planned.append(PlannedVisit("pre_season", first - LEAD, name, year))
                planned.append(PlannedVisit("pre_shutdown", last - LEAD, name, year))
    return sorted(planned, key=lambda v: (v.due_on, v.kind))


def season_of(day: date, *, heating: Season, cooling: Season) -> tuple[str, int] | tuple[None, None]:
    """The season under way on `day` (name and starting year), or (None, None) between seasons."""
    for name, season in ((HEATING, heating), (COOLING, cooling)):
        for first, _last in season.windows_overlapping(day, day):
            return name, first.year
    return None, None


def contract_visits(planned: list[tuple[date, str]], *, heating: Season, cooling: Season) -> list[PlannedVisit]:
    """Billing's planned visits of a contract, each with the season it falls in."""
    return [PlannedVisit(kind, day, *season_of(day, heating=heating, cooling=cooling)) for day, kind in planned]


def status_on(stored: str, due_on: date, today: date) -> str:
    """A visit's status read on `today`: a planned one more than 30 days past due is `missed`."""
    if stored == "planned" and today > due_on + WINDOW:
        return "missed"
    return stored


def recordable_on(due_on: date, day: date) -> str | None:
    """Why a visit due on `due_on` cannot be recorded as done on `day`, or None when it can."""
    if day < due_on - WINDOW:
        return f"it can be recorded from {due_on - WINDOW} (30 days before it is due on {due_on})"
    if day > due_on + WINDOW:
        return f"it was missed: due on {due_on}, it could be recorded until {due_on + WINDOW}"
    return None
