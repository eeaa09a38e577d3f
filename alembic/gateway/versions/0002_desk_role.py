"""api keys: the service desk's `desk` role (and `metrics`, which the metrics work adds)

Revision ID: 0002_desk_role
Revises: 0001
"""

import sqlalchemy as sa

from alembic import op

revision = '0002_desk_role'
down_revision = '0001'
branch_labels = None
depends_on = None

NEW = "role IN ('admin', 'station', 'warehouse', 'billing', 'desk', 'metrics')"
OLD = "role IN ('admin', 'station', 'warehouse', 'billing')"


def upgrade() -> None:
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_api_key_role'), type_='check')
        batch_op.create_check_constraint('role', sa.text(NEW))


def downgrade() -> None:
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_api_key_role'), type_='check')
        batch_op.create_check_constraint('role', sa.text(OLD))
