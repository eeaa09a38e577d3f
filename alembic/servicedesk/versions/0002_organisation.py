"""servicedesk: the organisation as data (sites, technicians), who did each step, messages to stations,
Idempotency-Key records and the audit trail

Timeline entries keep their actor id in `by` and gain `by_kind`/`by_name`: rows written before this
revision held `role:key-id` (or `system`), so they become a key named after its role, never its id.

Revision ID: 0002_organisation
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from shared import audit

revision = '0002_organisation'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('site',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('parent', sa.String(length=40), nullable=True),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('webhook_kind', sa.String(length=10), nullable=True),
    sa.Column('webhook_url', sa.String(length=1000), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('central', 'service_center', 'repair_station')", name=op.f('ck_site_kind')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_site_status')),
    sa.CheckConstraint("webhook_kind IS NULL OR webhook_kind IN ('wecom', 'dingtalk')",
                       name=op.f('ck_site_webhook_kind')),
    sa.ForeignKeyConstraint(['parent'], ['site.code'], name=op.f('fk_site_parent_site')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_site'))
    )
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_parent'), ['parent'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_region'), ['region'], unique=False)

    op.create_table('technician',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('station', sa.String(length=40), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['station'], ['site.code'], name=op.f('fk_technician_station_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_technician'))
    )
    with op.batch_alter_table('technician', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_technician_station'), ['station'], unique=False)

    op.create_table('station_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('site', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('dispatch', 'redispatch')", name=op.f('ck_station_message_kind')),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f('ck_station_message_status')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_station_message_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_station_message'))
    )
    with op.batch_alter_table('station_message', schema=None) as batch_op:
        batch_op.create_index('ix_station_message_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_station_message_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('idempotency_record',
    sa.Column('scope', sa.String(length=300), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_idempotency_record'))
    )

    audit.create_table_ops(op, sa)

    # Added in place, never by copying `ticket` (SQLite copies a table to add a constraint, and cannot
    # drop the old one while timeline rows point at it).
    new_columns = (("technician_id", "technician"), ("caller_told_at", None), ("follow_on_of", "ticket"),
                   ("complaint_id", None))
    for name, parent in new_columns:
        when = name.endswith("_at")
        if op.get_bind().dialect.name == "sqlite":
            references = f" REFERENCES {parent} (id)" if parent else ""
            op.execute(f"ALTER TABLE ticket ADD COLUMN {name} {'DATETIME' if when else 'INTEGER'}{references}")
        else:
            op.add_column('ticket', sa.Column(name, sa.DateTime(timezone=True) if when else sa.Integer(),
                                              nullable=True))
            if parent:
                op.create_foreign_key(op.f(f'fk_ticket_{name}_{parent}'), 'ticket', parent, [name], ['id'])
        if not when:
            op.create_index(op.f(f'ix_ticket_{name}'), 'ticket', [name], unique=False)

    with op.batch_alter_table('ticket_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('by_kind', sa.String(length=16), nullable=False, server_default='key'))
        batch_op.add_column(sa.Column('by_name', sa.String(length=200), nullable=False, server_default=''))
    # `role:key-id` or `role` or `system`: the role is the only name these rows have (never show a key id).
    role_part = ('CASE WHEN instr("by", \':\') > 0 THEN substr("by", 1, instr("by", \':\') - 1) ELSE "by" END'
                 if op.get_bind().dialect.name == "sqlite" else 'split_part("by", \':\', 1)')
    op.execute('UPDATE ticket_event SET by_kind = \'system\', by_name = \'system\' WHERE "by" = \'system\'')
    op.execute(f'UPDATE ticket_event SET by_name = {role_part} WHERE "by" <> \'system\'')
    op.execute(f'UPDATE follow_up_attempt SET "by" = {role_part}')
    with op.batch_alter_table('ticket_event', schema=None) as batch_op:
        batch_op.alter_column('by_kind', server_default=None)
        batch_op.alter_column('by_name', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('ticket_event', schema=None) as batch_op:
        batch_op.drop_column('by_name')
        batch_op.drop_column('by_kind')
    for name in ("complaint_id", "follow_on_of", "technician_id"):
        op.drop_index(op.f(f'ix_ticket_{name}'), table_name='ticket')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        for name in ("complaint_id", "follow_on_of", "caller_told_at", "technician_id"):
            batch_op.drop_column(name)
    audit.drop_table_ops(op)
    op.drop_table('idempotency_record')
    op.drop_table('station_message')
    op.drop_table('technician')
    op.drop_table('site')
