"""billing: a bill a customer signs and a clerk settles; the company; void and reissue; the audit trail

- `company`: dated versions of the company named on every bill (GET/PUT /company).
- `bill`: the customer (copied when the bill is planned), the company version, who issued it, the
  payment (method, reference, who took it), who voided it, the VAT invoice (fapiao), and the bills
  it replaces / is replaced by; an index on `issued_at` for the month-end figures.
- `bill_reservation.from_bill_id`: a consumed reservation taken over from a void bill.
- `audit_entry`: the service's audit trail (shared/audit.py), append-only.

Every new column is nullable and added in place: no table is rebuilt (on SQLite a rebuild of
`bill` would cascade to its lines and links), so `company_version` and `from_bill_id` carry no
foreign key, and the payment method is checked by the API.

Revision ID: 0004_settlement
Revises: 0003_contract_cancellation
Create Date: 2026-11-28 09:00:00
"""

import sqlalchemy as sa

from alembic import op
from shared import audit

revision = '0004_settlement'
down_revision = '0003_contract_cancellation'
branch_labels = None
depends_on = None

BILL_COLUMNS = (
    ("customer_name", sa.String(200)),
    ("customer_address", sa.String(300)),
    ("company_version", sa.Integer()),
    ("issued_by", sa.JSON()),
    ("replaces", sa.String(20)),
    ("replaced_by", sa.String(20)),
    ("payment_method", sa.String(16)),
    ("payment_reference", sa.String(100)),
    ("paid_by", sa.JSON()),
    ("voided_by", sa.JSON()),
    ("fapiao_number", sa.String(20)),
    ("fapiao_issued_on", sa.Date()),
    ("fapiao_recorded_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table(
        'company',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('address', sa.String(300), nullable=False),
        sa.Column('taxpayer_id', sa.String(20), nullable=False),
        sa.Column('bank', sa.String(200), nullable=False),
        sa.Column('account', sa.String(40), nullable=False),
        sa.Column('phone', sa.String(40), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_company')),
    )
    for name, kind in BILL_COLUMNS:
        op.add_column('bill', sa.Column(name, kind, nullable=True))
    op.create_index('ix_bill_issued_at', 'bill', ['issued_at'])
    op.add_column('bill_reservation', sa.Column('from_bill_id', sa.Integer(), nullable=True))
    audit.create_table_ops(op, sa)


def downgrade() -> None:
    audit.drop_table_ops(op)
    op.drop_column('bill_reservation', 'from_bill_id')
    op.drop_index('ix_bill_issued_at', table_name='bill')
    for name, _kind in reversed(BILL_COLUMNS):
        op.drop_column('bill', name)
    op.drop_table('company')
