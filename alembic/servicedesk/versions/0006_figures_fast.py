"""servicedesk: a year's figures in under a second (GET /reports/service)

Each ticket keeps `came_back` (its repair was followed by another ticket for the unit within 30 days),
each complaint `answer_due_at`; the figures read a period's tickets from one index holding every column
they read (`ix_ticket_figures`: on PostgreSQL `reported_at` INCLUDE the others, on SQLite, which has no
INCLUDE, all of them as keys), which takes over from `ix_ticket_reported_at`. The rows already there get
theirs here, by the rules of services/servicedesk/figure_facts.py.

Revision ID: 0006_figures_fast
Revises: 0005_service_figures
"""

from datetime import date, time

import sqlalchemy as sa
from alembic import op

from services.servicedesk import calendars, figure_facts
from services.servicedesk.domain.calendar import WorkCalendar, YearSchedule
from services.servicedesk.domain.commitments import Commitments
from services.servicedesk.models import FIGURE_COLUMNS
from shared.db import UtcDateTime

revision = '0006_figures_fast'
down_revision = '0005_service_figures'
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column('ticket', sa.Column('came_back', sa.Boolean(), nullable=True))
    op.add_column('complaint', sa.Column('answer_due_at', sa.DateTime(timezone=True), nullable=True))
    ticket = sa.Table('ticket', sa.MetaData(), sa.Column('id', sa.Integer()), sa.Column('status', sa.String()),
                      sa.Column('serial_number', sa.String()), sa.Column('reported_at', UtcDateTime()),
                      sa.Column('resolved_at', UtcDateTime()), sa.Column('came_back', sa.Boolean()))
    conn.execute(ticket.update().where(ticket.c.resolved_at.is_not(None), ticket.c.serial_number.is_not(None))
                 .values(came_back=figure_facts.came_back(conn.dialect.name, ticket)))
    _derive_complaints(conn)
    op.drop_index('ix_ticket_reported_at', table_name='ticket')
    if conn.dialect.name == 'postgresql':
        op.create_index('ix_ticket_figures', 'ticket', ['reported_at'], unique=False,
                        postgresql_include=list(FIGURE_COLUMNS))
    else:
        op.create_index('ix_ticket_figures', 'ticket', ['reported_at', *FIGURE_COLUMNS], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ticket_figures', table_name='ticket')
    op.create_index('ix_ticket_reported_at', 'ticket', ['reported_at'], unique=False)
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), as 0005.
    op.drop_column('complaint', 'answer_due_at')
    op.drop_column('ticket', 'came_back')


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


def _derive_complaints(conn) -> None:
    """Each complaint's answer due time, as complaints.open_complaint sets it."""
    complaint = sa.table('complaint', sa.column('id', sa.Integer()), sa.column('made_at', UtcDateTime()),
                         sa.column('commitments_version', sa.Integer()), sa.column('answer_due_at', UtcDateTime()))
    versions = {r.id: Commitments.from_json(r.body) for r in conn.execute(
        sa.select(sa.column('id', sa.Integer()), sa.column('body', sa.JSON())).select_from(
            sa.table('commitment_version')))}
    calendar = _calendar(conn)
    for row in conn.execute(sa.select(complaint)).all():
        due = figure_facts.complaint_due(calendar, versions[row.commitments_version].complaint_answer, row.made_at)
        conn.execute(complaint.update().where(complaint.c.id == row.id).values(answer_due_at=due))
