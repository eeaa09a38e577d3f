"""web app sessions

Revision ID: 0003_web_sessions
Revises: 0002_metrics_role
Create Date: 2026-11-27 01:05:00
"""

import sqlalchemy as sa

from alembic import op

revision = '0003_web_sessions'
down_revision = '0002_metrics_role'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_session',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_web_session'))
    )
    op.create_index(op.f('ix_web_session_key_hash'), 'web_session', ['key_hash'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_web_session_key_hash'), table_name='web_session')
    op.drop_table('web_session')
