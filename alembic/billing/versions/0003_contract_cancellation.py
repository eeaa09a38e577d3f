"""billing: contracts can be ended early (POST /billing/contracts/{id}/cancel)

Revision ID: 0003_contract_cancellation
Revises: 0002_saga_states
Create Date: 2026-11-27 01:15:00
"""

import sqlalchemy as sa

from alembic import op

revision = '0003_contract_cancellation'
down_revision = '0002_saga_states'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('original_ends_on', sa.Date(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_contract_status'), "status IN ('active', 'cancelled')")


def downgrade() -> None:
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_contract_status'), type_='check')
        batch_op.drop_column('original_ends_on')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('status')
