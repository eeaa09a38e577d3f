"""servicedesk: what each ticket keeps for the manager's figures (GET /reports/service)

Each promise's due time and the business minutes to each step, derived from the ticket's events and
the working calendar whenever its urgency is (services/servicedesk/figure_facts.py), and two indexes:
a period's tickets by when they were reported, a unit's next ticket after a repair. The tickets already
there get theirs here, computed by the same rules from the rows as they are.

Revision ID: 0005_service_figures
Revises: 0004_visit_scope
"""

from datetime import UTC, date, datetime, time
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

from services.servicedesk import calendars, figure_facts
from services.servicedesk.domain import milestones as clocks
from services.servicedesk.domain.calendar import WorkCalendar, YearSchedule
from services.servicedesk.domain.commitments import Commitments
from shared.db import UtcDateTime

revision = '0005_service_figures'
down_revision = '0004_visit_scope'
branch_labels = None
depends_on = None

DUES = ('dispatch_due_at', 'on_site_due_at', 'fixed_due_at', 'follow_up_due_at')
MINUTES = ('dispatch_minutes', 'on_site_minutes', 'fixed_minutes')
WITHOUT_VISIT = ('phone', 'remote')


def upgrade() -> None:
    for name in DUES:
        op.add_column('ticket', sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    for name in MINUTES:
        op.add_column('ticket', sa.Column(name, sa.Integer(), nullable=True))
    op.create_index('ix_ticket_reported_at', 'ticket', ['reported_at'], unique=False)
    op.create_index('ix_ticket_serial_reported', 'ticket', ['serial_number', 'reported_at'], unique=False)
    _derive(op.get_bind())


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later): a batch copy of `ticket` would trip the
    # foreign keys that point at it.
    op.drop_index('ix_ticket_serial_reported', table_name='ticket')
    op.drop_index('ix_ticket_reported_at', table_name='ticket')
    for name in (*MINUTES, *DUES):
        op.drop_column('ticket', name)


def _calendar(conn) -> WorkCalendar:
    years = sa.table('calendar_year', sa.column('year', sa.Integer()), sa.column('holidays', sa.JSON()),
                     sa.column('workdays', sa.JSON()), sa.column('provisional', sa.Boolean()),
                     sa.column('opens', sa.String()), sa.column('closes', sa.String()))
    rows = {r.year: r for r in conn.execute(sa.select(years))}

    def year_of(year: int) -> YearSchedule:
        row = rows.get(year)
        if row is None:
            return calendars.package_schedule(year)
        return YearSchedule(year=year, holidays=frozenset(map(date.fromisoformat, row.holidays)),
                            workdays=frozenset(map(date.fromisoformat, row.workdays)),
                            provisional=bool(row.provisional), opens=time.fromisoformat(row.opens),
                            closes=time.fromisoformat(row.closes))

    return WorkCalendar(year_of=year_of)


def _derive(conn) -> None:
    """The figures of the tickets already there, by the rules of figure_facts (as tickets.refresh would)."""
    ticket = sa.table('ticket', *(sa.column(n, UtcDateTime()) for n in (
        'complete_at', 'dispatched_at', 'arrived_at', 'resolved_at', 'closed_at', 'cancelled_at', *DUES)),
        sa.column('id', sa.Integer()), sa.column('level', sa.Integer()), sa.column('status', sa.String()),
        sa.column('commitments_version', sa.Integer()), sa.column('pauses', sa.JSON()),
        sa.column('resolution', sa.JSON()), *(sa.column(n, sa.Integer()) for n in MINUTES))
    versions = {r.id: Commitments.from_json(r.body) for r in conn.execute(
        sa.select(sa.column('id', sa.Integer()), sa.column('body', sa.JSON())).select_from(
            sa.table('commitment_version')))}
    calendar, now = _calendar(conn), datetime.now(UTC)
    rows = conn.execute(sa.select(ticket).where(ticket.c.complete_at.is_not(None), ticket.c.level.is_not(None),
                                                ticket.c.commitments_version.is_not(None))).all()
    for row in rows:
        t = SimpleNamespace(**row._mapping)
        t.pauses = t.pauses or []
        promised = versions[t.commitments_version]
        pauses = tuple(clocks.Pause(datetime.fromisoformat(a), datetime.fromisoformat(b) if b else None)
                       for a, b in t.pauses)
        reading = min(now, t.cancelled_at) if t.cancelled_at else now
        found = clocks.ticket_milestones(calendar, promised.level(t.level), complete_at=t.complete_at,
                                         met={"dispatch": t.dispatched_at, "on_site": t.arrived_at,
                                              "fixed": t.resolved_at}, pauses=pauses, now=reading)
        if t.arrived_at is None and (t.resolution or {}).get('way') in WITHOUT_VISIT:
            found = [clocks.not_needed(m) if m.name == 'on_site' else m for m in found]
        after = None if t.resolved_at is None else clocks.evaluate(
            calendar, 'follow_up', promised.follow_up, start=t.resolved_at, met_at=t.closed_at, now=now)
        figure_facts.settle(calendar, t, found, after)
        conn.execute(ticket.update().where(ticket.c.id == t.id).values(
            **{n: getattr(t, n) for n in (*DUES, *MINUTES)}))
