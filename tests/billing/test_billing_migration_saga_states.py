"""Migration 0002: bills being made get the saga state they had reached; nothing else changes."""

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from alembic import command
from shared import migrations
from shared.settings import normalise_url

NOW = "2026-03-02 09:00:00+00:00"


def databases(tmp_path):
    yield f"sqlite:///{tmp_path / 'billing.sqlite3'}", None
    if os.environ.get("TEST_DATABASE_URL"):
        yield normalise_url(os.environ["TEST_DATABASE_URL"]), f"t{uuid.uuid4().hex[:8]}_billing"


def insert_bill(conn, bill_id: int, status: str, *, planned: bool = False, number: str | None = None) -> None:
    conn.execute(text(
        "INSERT INTO bill (id, idempotency_scope, idempotency_key, fingerprint, status, number, serial_number, "
        "repair_reference, performed_on, component, causes, reservation_ids, labor_hours, visits, "
        "rate_card_version, labor_rate_per_hour, callout_fee, vat_rate, currency, planned_at, created_at, "
        "updated_at) VALUES (:id, 's', :key, 'f', :status, :number, 'AC-1', :ref, '2026-03-01', "
        "'unit', '[]', '[]', 1, 1, 1, 80, 50, 0.13, 'CNY', :planned, :now, :now)"
    ), {"id": bill_id, "key": f"k{bill_id}", "status": status, "number": number, "ref": f"R-{bill_id}",
        "planned": NOW if planned else None, "now": NOW})


def test_bills_being_made_get_the_state_they_had_reached_and_keep_their_lines_and_links(tmp_path):
    for url, schema in databases(tmp_path):
        migrations.upgrade("billing", url, schema, revision="0001")
        engine = create_engine(url, connect_args={"options": f"-c search_path={schema}"} if schema else {})
        try:
            with engine.begin() as conn:
                insert_bill(conn, 1, "pending")
                insert_bill(conn, 2, "pending", planned=True)
                insert_bill(conn, 3, "pending", planned=True)
                insert_bill(conn, 4, "failed")
                insert_bill(conn, 5, "issued", planned=True, number="INV-2026-000001")
                links = [(11, 2, "held"), (12, 3, "consumed"), (13, 3, "held"), (14, 5, "consumed")]
                for rid, bill_id, state in links:
                    conn.execute(text("INSERT INTO bill_reservation (reservation_id, bill_id, position, state) "
                                      "VALUES (:r, :b, 0, :s)"), {"r": rid, "b": bill_id, "s": state})
                conn.execute(text("INSERT INTO bill_line (bill_id, position, kind, description, qty, unit_price, "
                                  "amount) VALUES (5, 0, 'labor', 'Labour', 1, 80, 80)"))

            migrations.upgrade("billing", url, schema)

            with engine.begin() as conn:
                states = conn.execute(text("SELECT id, status FROM bill ORDER BY id")).all()
                assert states == [(1, "begun"), (2, "planned"), (3, "consuming"), (4, "stopped"), (5, "issued")]
                assert conn.execute(text("SELECT count(*) FROM bill_reservation")).scalar_one() == len(links)
                assert conn.execute(text("SELECT count(*) FROM bill_line")).scalar_one() == 1
            for bad in ("pending", "issued"):  # an old state, and an invoice state without a number
                with pytest.raises(IntegrityError), engine.begin() as conn:
                    conn.execute(text("UPDATE bill SET status = :s WHERE id = 1"), {"s": bad})

            command.downgrade(migrations.config("billing", url, schema), "0001")
            with engine.begin() as conn:
                states = conn.execute(text("SELECT status FROM bill ORDER BY id")).scalars().all()
                assert states == ["pending", "pending", "pending", "failed", "issued"]
                assert conn.execute(text("SELECT count(*) FROM bill_reservation")).scalar_one() == len(links)
        finally:
            if schema:
                with engine.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()
