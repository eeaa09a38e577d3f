"""gateway: the `metrics` role (only GET /metrics); `desk` accepted too, every role of api.md

Revision ID: 0002_metrics_role
Revises: 0001
Create Date: 2026-11-27 01:45:00
"""

from alembic import op

revision = '0002_metrics_role'
down_revision = '0001'
branch_labels = None
depends_on = None

OLD = "role IN ('admin', 'station', 'warehouse', 'billing')"
NEW = "role IN ('admin', 'station', 'desk', 'metrics', 'warehouse', 'billing')"


def upgrade() -> None:
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_api_key_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_api_key_role'), NEW)


def downgrade() -> None:
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_api_key_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_api_key_role'), OLD)
