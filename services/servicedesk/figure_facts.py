"""What each ticket keeps for the manager's figures (GET /reports/service), derived with the board's
urgency at every event and calendar correction (tickets.refresh), from the same promises a reading
computes: each promise's due time, and the business minutes to each step.

Stored so that a year of tickets is read with SQL aggregates (services/servicedesk/figures.py), not
re-timed on the working calendar ticket by ticket at every report.
"""

from services.servicedesk import views
from services.servicedesk.domain import figures as rules
from services.servicedesk.domain import milestones as clocks
from services.servicedesk.domain.calendar import WorkCalendar
from services.servicedesk.models import Ticket


def settle(calendar: WorkCalendar, ticket: Ticket, found: list[clocks.Milestone],
           after: clocks.Milestone | None) -> None:
    due = {m.name: m.due_at for m in found}  # none: paused, not needed, or no clocks yet
    ticket.dispatch_due_at, ticket.on_site_due_at = due.get("dispatch"), due.get("on_site")
    ticket.fixed_due_at = due.get("fixed")
    ticket.follow_up_due_at = after.due_at if after is not None else None
    if ticket.complete_at is None:
        ticket.dispatch_minutes = ticket.on_site_minutes = ticket.fixed_minutes = None
        return
    pauses = views.pauses_of(ticket)
    start = ticket.complete_at
    ticket.dispatch_minutes = rules.business_minutes(calendar, start, ticket.dispatched_at)
    ticket.on_site_minutes = rules.business_minutes(calendar, start, ticket.arrived_at, pauses)
    ticket.fixed_minutes = rules.business_minutes(calendar, start, ticket.resolved_at, pauses)
