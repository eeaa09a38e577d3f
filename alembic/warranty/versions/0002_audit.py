"""warranty: the audit trail (domain.md section 7), and claims by failure day for the figures (section 9)

Revision ID: 0002_audit
Revises: 0001
Create Date: 2026-12-04 17:30:00
"""

import sqlalchemy as sa

from alembic import op
from shared import audit

revision = '0002_audit'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    audit.create_table_ops(op, sa)
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.create_index('ix_claim_failed_on', ['failed_on', 'decision', 'serial_number'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_failed_on')
    audit.drop_table_ops(op)
