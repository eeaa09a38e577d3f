"""inventory: loaner classes on models and parts (domain.md section 8), the audit trail (section 7), and the
ledger's issues by time for the parts figures (section 9)

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
    with op.batch_alter_table('movement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_price', sa.Numeric(precision=12, scale=2), nullable=True))
    # Issues written before: the price their reservation line recorded.
    op.execute("UPDATE movement SET list_price = (SELECT reservation_line.list_price FROM reservation_line "
               "WHERE reservation_line.reservation_id = movement.reservation_id "
               "AND reservation_line.part_number = movement.part_number) WHERE kind = 'issue'")
    with op.batch_alter_table('movement', schema=None) as batch_op:
        batch_op.create_index('ix_movement_kind_created_at',
                              ['kind', 'created_at', 'part_number', 'warehouse', 'qty', 'list_price'], unique=False)
    audit.create_table_ops(op, sa)


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later): a batch copy of `part` would trip the
    # foreign keys that point at it.
    audit.drop_table_ops(op)
    op.drop_index('ix_movement_kind_created_at', table_name='movement')
    op.drop_column('movement', 'list_price')
    op.drop_column('model', 'loaner_class')
    op.drop_index(op.f('ix_part_loaner_class'), table_name='part')
    op.drop_column('part', 'loaner_class')
