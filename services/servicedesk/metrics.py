"""Tickets by milestone state, for a metrics collector to read (no Prometheus code here).

`tickets_by_milestone_state(session, now)` counts the tickets still on the
board (open, dispatched, on site, and resolved ones awaiting their follow-up
call) by each promise's state at `now`: {("dispatch", "met"): 12, ("fixed",
"breached"): 1, ("follow_up", "pending"): 4, ...}. States are computed as on
reading a ticket, so the figure is right whatever process answers. A read
unit of work: `await uow.read(tickets_by_milestone_state, now)`.
"""

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.servicedesk import calendars, views
from services.servicedesk.domain import tickets as rules
from services.servicedesk.models import Ticket

ON_THE_BOARD = (*rules.ACTIVE, "resolved")


def tickets_by_milestone_state(session: Session, now: datetime) -> dict[tuple[str, str], int]:
    counts: Counter = Counter()
    calendar = calendars.work_calendar(session)
    for ticket in session.scalars(select(Ticket).where(Ticket.status.in_(ON_THE_BOARD))):
        for milestone, state in views.states(session, calendar, ticket, now).items():
            counts[(milestone, state)] += 1
    return dict(counts)
