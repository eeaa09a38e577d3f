"""billing: the repair saga's state in the bill's one status field; bills found by repair order

`pending` becomes `begun`, `planned` or `consuming` (how far the bill got),
`failed` becomes `stopped` (services/billing/domain/saga.py).

On SQLite a CHECK constraint is changed by rebuilding the table, and dropping
`bill` would cascade to its lines and reservation links (foreign keys are on,
and cannot be turned off inside the migration's transaction): they are kept
aside in temporary tables and put back.

Revision ID: 0002_saga_states
Revises: 0001
Create Date: 2026-11-27 01:10:00
"""

import sqlalchemy as sa

from alembic import op

revision = "0002_saga_states"
down_revision = "0001"
branch_labels = None
depends_on = None

CHILDREN = ("bill_line", "bill_reservation")
OLD = ("pending", "failed", "issued", "paid", "void")
NEW = ("begun", "planned", "consuming", "stopped", "issued", "paid", "void")


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _rebuild(statuses: tuple[str, ...], unnumbered: tuple[str, ...], data_change) -> None:
    """Swap the status CHECKs, running `data_change(links table)` while no CHECK is on."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for table in CHILDREN:
            op.execute(f"CREATE TEMP TABLE keep_{table} AS SELECT * FROM {table}")
    with op.batch_alter_table("bill") as batch:
        batch.drop_constraint(op.f("ck_bill_status"), type_="check")
        batch.drop_constraint(op.f("ck_bill_numbered_when_invoice"), type_="check")
    # On SQLite the rebuild emptied the links (kept aside): read the copy.
    for statement in data_change("keep_bill_reservation" if sqlite else "bill_reservation"):
        op.execute(statement)
    with op.batch_alter_table("bill") as batch:
        batch.create_check_constraint("status", sa.text(f"status IN ({_in(statuses)})"))
        batch.create_check_constraint(
            "numbered_when_invoice", sa.text(f"(number IS NULL) = (status IN ({_in(unnumbered)}))")
        )
    if sqlite:
        for table in CHILDREN:
            op.execute(f"DELETE FROM {table}")
            op.execute(f"INSERT INTO {table} SELECT * FROM keep_{table}")
            op.execute(f"DROP TABLE keep_{table}")


def _to_states(links: str) -> list[str]:
    consumed = f"EXISTS (SELECT 1 FROM {links} r WHERE r.bill_id = bill.id AND r.state <> 'held')"
    return [
        f"UPDATE bill SET status = 'consuming' WHERE status = 'pending' AND {consumed}",
        "UPDATE bill SET status = 'planned' WHERE status = 'pending' AND planned_at IS NOT NULL",
        "UPDATE bill SET status = 'begun' WHERE status = 'pending'",
        "UPDATE bill SET status = 'stopped' WHERE status = 'failed'",
    ]


def _to_pending(_links: str) -> list[str]:
    return [
        "UPDATE bill SET status = 'pending' WHERE status IN ('begun', 'planned', 'consuming')",
        "UPDATE bill SET status = 'failed' WHERE status = 'stopped'",
    ]


def upgrade() -> None:
    _rebuild(NEW, ("begun", "planned", "consuming", "stopped"), _to_states)
    # GET /invoices?repair_reference= finds a bill by its repair order.
    op.create_index("ix_bill_repair_reference", "bill", ["repair_reference"])


def downgrade() -> None:
    op.drop_index("ix_bill_repair_reference", table_name="bill")
    _rebuild(OLD, ("pending", "failed"), _to_pending)
