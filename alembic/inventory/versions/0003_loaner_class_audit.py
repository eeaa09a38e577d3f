"""inventory: loaner classes on models and parts (domain.md section 8), and the audit trail (section 7)

Revision ID: 0003_loaner_class_audit
Revises: 0002_reservation_reference
Create Date: 2026-12-04 17:00:00
"""

import sqlalchemy as sa

from alembic import op
from shared import audit

revision = '0003_loaner_class_audit'
down_revision = '0002_reservation_reference'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('part', schema=None) as batch_op:
        batch_op.add_column(sa.Column('loaner_class', sa.String(length=60), nullable=True))
        batch_op.create_index(batch_op.f('ix_part_loaner_class'), ['loaner_class'], unique=False)
    with op.batch_alter_table('model', schema=None) as batch_op:
        batch_op.add_column(sa.Column('loaner_class', sa.String(length=60), nullable=True))
    audit.create_table_ops(op, sa)


def downgrade() -> None:
    audit.drop_table_ops(op)
    with op.batch_alter_table('model', schema=None) as batch_op:
        batch_op.drop_column('loaner_class')
    with op.batch_alter_table('part', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_part_loaner_class'))
        batch_op.drop_column('loaner_class')
