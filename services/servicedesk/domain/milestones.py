"""Milestones and their states, computed from a ticket's events at the moment of reading.

Nothing here is stored: a breach is found by reading, never by a batch job.
A pause (only the customer can stop the clock) stops `on_site` and `fixed`,
never `dispatch`, and moves their due times by the paused time as that
milestone's own clock counts it.
"""

from dataclasses import dataclass, fields
from datetime import datetime

from services.servicedesk.domain.calendar import (
    WorkCalendar,
    add_clock_minutes,
    clock_minutes_between,
    clock_seconds_between,
)
from services.servicedesk.domain.commitments import MILESTONES, LevelPromises, Promise

PAUSABLE = ("on_site", "fixed")
UNMET = ("pending", "at_risk", "breached", "paused")
# `not_needed`: an on-site promise of a ticket fixed on the phone or remotely: neither met nor breached.


@dataclass(frozen=True, slots=True)
class Pause:
    start: datetime
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Milestone:
    name: str
    minutes: int
    clock: str
    due_at: datetime | None
    met_at: datetime | None
    state: str
    provisional: bool

    def to_json(self) -> dict:
        # Every field as it stands: the wire model (schemas.MilestoneRead) is built from the same fields.
        return {f.name: getattr(self, f.name) for f in fields(self)}


def evaluate(
    calendar: WorkCalendar,
    name: str,
    promise: Promise,
    *,
    start: datetime,
    met_at: datetime | None,
    now: datetime,
    pauses: tuple[Pause, ...] = (),
) -> Milestone:
    """One milestone's due time and state at `now`."""
    extra, provisional = 0, False
    for pause in pauses:
        if met_at is not None and pause.start >= met_at:
            continue  # a pause after the milestone was met does not concern it
        if pause.end is None:
            if met_at is None:
                return Milestone(name, promise.minutes, promise.clock, None, None, "paused", provisional)
            continue
        span = clock_minutes_between(calendar, promise.clock, pause.start, pause.end)
        extra += span.minutes
        provisional = provisional or span.provisional
    due = add_clock_minutes(calendar, promise.clock, start, promise.minutes + extra)
    provisional = provisional or due.provisional
    if met_at is not None:
        state = "met" if met_at <= due.at else "met_late"
    elif now > due.at:
        state = "breached"
    else:
        # Counted in seconds: 2 min 45 s left of 10 minutes is more than a quarter (not yet at risk).
        left, left_provisional = clock_seconds_between(calendar, promise.clock, now, due.at)
        provisional = provisional or left_provisional
        state = "at_risk" if left * 4 < promise.minutes * 60 else "pending"
    return Milestone(name, promise.minutes, promise.clock, due.at, met_at, state, provisional)


def ticket_milestones(
    calendar: WorkCalendar,
    promises: LevelPromises,
    *,
    complete_at: datetime,
    met: dict[str, datetime | None],
    pauses: tuple[Pause, ...],
    now: datetime,
) -> list[Milestone]:
    """dispatch, on_site and fixed of a complete ticket, all counted from `complete_at`."""
    return [
        evaluate(calendar, name, promises.milestone(name), start=complete_at, met_at=met.get(name), now=now,
                 pauses=pauses if name in PAUSABLE else ())
        for name in MILESTONES
    ]


def most_urgent_due(milestones: list[Milestone]) -> datetime | None:
    """The earliest due time among milestones still to meet (a paused one has none)."""
    dues = [m.due_at for m in milestones if m.state in UNMET and m.due_at is not None]
    return min(dues) if dues else None


def not_needed(milestone: Milestone) -> Milestone:
    return Milestone(milestone.name, milestone.minutes, milestone.clock, None, None, "not_needed",
                     milestone.provisional)
