"""gateway: people (user), sign-in failures, sessions of people, station-bound keys, the audit trail

Revision ID: 0004_people
Revises: 0003_web_sessions
Create Date: 2026-12-04 17:00:00
"""

import sqlalchemy as sa

from alembic import op
from shared import audit

revision = '0004_people'
down_revision = '0003_web_sessions'
branch_labels = None
depends_on = None

PERSON_ROLES = "role IN ('admin', 'desk', 'station', 'warehouse', 'billing', 'manager')"


def upgrade() -> None:
    op.create_table('user',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('station', sa.String(length=40), nullable=False),
    sa.Column('warehouses', sa.String(length=2000), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('must_change_password', sa.Boolean(), nullable=False),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_sign_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(PERSON_ROLES, name=op.f('ck_user_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('login', name=op.f('uq_user_login'))
    )
    op.create_table('auth_failure',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('login', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_failure'))
    )
    op.create_index(op.f('ix_auth_failure_at'), 'auth_failure', ['at'], unique=False)
    op.create_index(op.f('ix_auth_failure_address'), 'auth_failure', ['address'], unique=False)
    op.create_index(op.f('ix_auth_failure_login'), 'auth_failure', ['login'], unique=False)
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('station', sa.String(length=40), server_default='', nullable=False))
    # Sessions were opened with API keys; now people sign in. Whoever was signed in signs in again.
    op.drop_index(op.f('ix_web_session_key_hash'), table_name='web_session')
    op.drop_table('web_session')
    op.create_table('web_session',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_web_session_user_id_user'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_web_session'))
    )
    op.create_index(op.f('ix_web_session_user_id'), 'web_session', ['user_id'], unique=False)
    audit.create_table_ops(op, sa)


def downgrade() -> None:
    audit.drop_table_ops(op)
    op.drop_index(op.f('ix_web_session_user_id'), table_name='web_session')
    op.drop_table('web_session')
    op.create_table('web_session',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_web_session'))
    )
    op.create_index(op.f('ix_web_session_key_hash'), 'web_session', ['key_hash'], unique=False)
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_column('station')
    op.drop_index(op.f('ix_auth_failure_login'), table_name='auth_failure')
    op.drop_index(op.f('ix_auth_failure_address'), table_name='auth_failure')
    op.drop_index(op.f('ix_auth_failure_at'), table_name='auth_failure')
    op.drop_table('auth_failure')
    op.drop_table('user')
