"""inventory: catalogue, warehouses, stock with its ledger, reservations, idempotency records

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 17:51:55.669464
"""

import sqlalchemy as sa

from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
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
    op.create_table('model',
    sa.Column('model_code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('discontinued_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('model_code', name=op.f('pk_model'))
    )
    op.create_table('part',
    sa.Column('part_number', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('uom', sa.String(length=16), nullable=False),
    sa.Column('list_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('out_of_warranty_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('min_stock', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'retired')", name=op.f('ck_part_status')),
    sa.CheckConstraint('list_price >= 0', name=op.f('ck_part_list_price_not_negative')),
    sa.CheckConstraint('min_stock >= 0', name=op.f('ck_part_min_stock_not_negative')),
    sa.CheckConstraint('out_of_warranty_price >= 0 AND out_of_warranty_price <= list_price', name=op.f('ck_part_oow_price_within_list')),
    sa.PrimaryKeyConstraint('part_number', name=op.f('pk_part'))
    )
    op.create_table('warehouse',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('central', 'service_center', 'repair_station')", name=op.f('ck_warehouse_kind')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_warehouse'))
    )
    op.create_table('bom_line',
    sa.Column('model_code', sa.String(length=40), nullable=False),
    sa.Column('part_number', sa.String(length=40), nullable=False),
    sa.Column('qty_per_unit', sa.Integer(), nullable=False),
    sa.CheckConstraint('qty_per_unit > 0', name=op.f('ck_bom_line_qty_per_unit_positive')),
    sa.ForeignKeyConstraint(['model_code'], ['model.model_code'], name=op.f('fk_bom_line_model_code_model')),
    sa.ForeignKeyConstraint(['part_number'], ['part.part_number'], name=op.f('fk_bom_line_part_number_part')),
    sa.PrimaryKeyConstraint('model_code', 'part_number', name=op.f('pk_bom_line'))
    )
    with op.batch_alter_table('bom_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bom_line_part_number'), ['part_number'], unique=False)

    op.create_table('reservation',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('warehouse', sa.String(length=40), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('active', 'consumed', 'released', 'expired')", name=op.f('ck_reservation_status')),
    sa.ForeignKeyConstraint(['warehouse'], ['warehouse.code'], name=op.f('fk_reservation_warehouse_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservation'))
    )
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.create_index('ix_reservation_status_expires_at', ['status', 'expires_at'], unique=False)
        batch_op.create_index('ix_reservation_warehouse_status_expires_at', ['warehouse', 'status', 'expires_at'], unique=False)

    op.create_table('stock',
    sa.Column('warehouse', sa.String(length=40), nullable=False),
    sa.Column('part_number', sa.String(length=40), nullable=False),
    sa.Column('on_hand', sa.BigInteger(), nullable=False),
    sa.Column('reserved', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('on_hand >= reserved AND reserved >= 0', name=op.f('ck_stock_reserved_within_on_hand')),
    sa.ForeignKeyConstraint(['part_number'], ['part.part_number'], name=op.f('fk_stock_part_number_part')),
    sa.ForeignKeyConstraint(['warehouse'], ['warehouse.code'], name=op.f('fk_stock_warehouse_warehouse')),
    sa.PrimaryKeyConstraint('warehouse', 'part_number', name=op.f('pk_stock'))
    )
    with op.batch_alter_table('stock', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_part_number'), ['part_number'], unique=False)

    op.create_table('movement',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('warehouse', sa.String(length=40), nullable=False),
    sa.Column('part_number', sa.String(length=40), nullable=False),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('receipt', 'issue', 'transfer_out', 'transfer_in', 'adjustment')", name=op.f('ck_movement_kind')),
    sa.CheckConstraint('qty <> 0', name=op.f('ck_movement_qty_not_zero')),
    sa.ForeignKeyConstraint(['part_number'], ['part.part_number'], name=op.f('fk_movement_part_number_part')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservation.id'], name=op.f('fk_movement_reservation_id_reservation')),
    sa.ForeignKeyConstraint(['warehouse'], ['warehouse.code'], name=op.f('fk_movement_warehouse_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_movement'))
    )
    with op.batch_alter_table('movement', schema=None) as batch_op:
        batch_op.create_index('ix_movement_part_number_id', ['part_number', 'id'], unique=False)
        batch_op.create_index('ix_movement_warehouse_id', ['warehouse', 'id'], unique=False)

    op.create_table('reservation_line',
    sa.Column('reservation_id', sa.Integer(), nullable=False),
    sa.Column('part_number', sa.String(length=40), nullable=False),
    sa.Column('qty', sa.BigInteger(), nullable=False),
    sa.Column('consumed_qty', sa.BigInteger(), nullable=False),
    sa.Column('list_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('out_of_warranty_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.CheckConstraint('consumed_qty >= 0 AND consumed_qty <= qty', name=op.f('ck_reservation_line_consumed_within_qty')),
    sa.CheckConstraint('qty > 0', name=op.f('ck_reservation_line_qty_positive')),
    sa.ForeignKeyConstraint(['part_number'], ['part.part_number'], name=op.f('fk_reservation_line_part_number_part')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservation.id'], name=op.f('fk_reservation_line_reservation_id_reservation')),
    sa.PrimaryKeyConstraint('reservation_id', 'part_number', name=op.f('pk_reservation_line'))
    )


def downgrade() -> None:
    op.drop_table('reservation_line')
    with op.batch_alter_table('movement', schema=None) as batch_op:
        batch_op.drop_index('ix_movement_warehouse_id')
        batch_op.drop_index('ix_movement_part_number_id')

    op.drop_table('movement')
    with op.batch_alter_table('stock', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_part_number'))

    op.drop_table('stock')
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.drop_index('ix_reservation_warehouse_status_expires_at')
        batch_op.drop_index('ix_reservation_status_expires_at')

    op.drop_table('reservation')
    with op.batch_alter_table('bom_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bom_line_part_number'))

    op.drop_table('bom_line')
    op.drop_table('warehouse')
    op.drop_table('part')
    op.drop_table('model')
    op.drop_table('idempotency_record')
