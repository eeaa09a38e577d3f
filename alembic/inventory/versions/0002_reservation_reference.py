"""inventory: reservations looked up by reference (GET /inventory/reservations?reference=)

Revision ID: 0002_reservation_reference
Revises: 0001
Create Date: 2026-11-27 01:10:00
"""

from alembic import op

revision = '0002_reservation_reference'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.create_index('ix_reservation_reference_id', ['reference', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.drop_index('ix_reservation_reference_id')
