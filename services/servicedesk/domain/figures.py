"""What a ticket adds to a manager's figures (domain.md section 9), from its clocks: business minutes to
each step, less the time the customer stopped the clock, and the 90th percentile a manager reads.

Business minutes are the working calendar's opening hours (08:30-17:00 China time on working days)
whatever the ticket's level: the figure compares stations on one scale, and a level 1 ticket reported
at night and dispatched at 08:35 took 5 business minutes, as its station's day saw it.
"""

import math
from collections.abc import Sequence
from datetime import datetime

from services.servicedesk.domain.calendar import WorkCalendar, business_seconds_between
from services.servicedesk.domain.milestones import Pause


def business_minutes(calendar: WorkCalendar, start: datetime, end: datetime | None,
                     pauses: Sequence[Pause] = ()) -> int | None:
    """Whole business minutes from `start` to `end` (None when `end` is None), less the business time of
    the pauses between them; never negative (a step logged before the report was complete took 0)."""
    if end is None:
        return None
    seconds, _ = business_seconds_between(calendar, start, end)
    for pause in pauses:
        lo, hi = max(pause.start, start), min(pause.end or end, end)
        if hi > lo:
            seconds -= business_seconds_between(calendar, lo, hi)[0]
    return max(0, int(seconds // 60))


def nearest_rank(count: int, share: float = 0.9) -> int:
    """The rank (1-based, in ascending order) of the `share` percentile of `count` values, nearest-rank
    method: the smallest value with at least `share` of the values at or below it."""
    return max(1, math.ceil(share * count - 1e-9))


def percentile(values: Sequence[int], share: float = 0.9) -> int | None:
    if not values:
        return None
    return sorted(values)[nearest_rank(len(values), share) - 1]
