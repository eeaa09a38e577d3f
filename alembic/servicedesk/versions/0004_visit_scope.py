"""servicedesk: visits scoped by region, one store of Idempotency-Key answers

A station sees the visits of the units in its stations' regions (services/servicedesk/visits.py `Scope`):
the visits are read by region, so `visit.region` gets an index. The answers `POST /visits/{id}/record`
stored per Idempotency-Key move into the service desk's one `idempotency_record` table (their scope
holds the path, so they meet no other row) and `visit_idempotency_record` goes.

Revision ID: 0004_visit_scope
Revises: 0003_visits
"""

import sqlalchemy as sa
from alembic import op

revision = '0004_visit_scope'
down_revision = '0003_visits'
branch_labels = None
depends_on = None

COLUMNS = "scope, key, fingerprint, state, response_status, response_body, created_at, updated_at"
# The visits' answers, told from the tickets' by their path (the scope is `who:path`).
VISIT_ANSWERS = "scope LIKE '%/visits/%/record'"


def upgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_region'), ['region'], unique=False)
    op.execute(f"INSERT INTO idempotency_record ({COLUMNS}) SELECT {COLUMNS} FROM visit_idempotency_record v "
               "WHERE NOT EXISTS (SELECT 1 FROM idempotency_record r WHERE r.scope = v.scope AND r.key = v.key)")
    op.drop_table('visit_idempotency_record')


def downgrade() -> None:
    op.create_table('visit_idempotency_record',
    sa.Column('scope', sa.String(length=300), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_visit_idempotency_record'))
    )
    op.execute(f"INSERT INTO visit_idempotency_record ({COLUMNS}) SELECT {COLUMNS} FROM idempotency_record "
               f"WHERE {VISIT_ANSWERS}")
    op.execute(f"DELETE FROM idempotency_record WHERE {VISIT_ANSWERS}")
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_region'))
