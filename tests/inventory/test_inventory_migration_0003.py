"""Migration 0003: issues written before it get the list price their reservation line recorded (the parts
figures value them with it); every other movement keeps none; and the audit trail is append-only."""

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from alembic import command
from shared import migrations
from shared.settings import normalise_url

NOW = "2026-03-02 09:00:00+00:00"


def databases(tmp_path):
    yield f"sqlite:///{tmp_path / 'inventory.sqlite3'}", None
    if os.environ.get("TEST_DATABASE_URL"):
        yield normalise_url(os.environ["TEST_DATABASE_URL"]), f"t{uuid.uuid4().hex[:8]}_inventory"


def test_issues_written_before_get_their_reservations_list_price(tmp_path):
    for url, schema in databases(tmp_path):
        migrations.upgrade("inventory", url, schema, revision="0002_reservation_reference")
        engine = create_engine(url, connect_args={"options": f"-c search_path={schema}"} if schema else {})
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO warehouse (code, name, kind, region, created_at) "
                                  "VALUES ('SC-01', 'x', 'service_center', 'shandong', :now)"), {"now": NOW})
                for number, price in (("P-1", "120.00"), ("P-2", "25.50")):
                    conn.execute(text(
                        "INSERT INTO part (part_number, name, uom, list_price, out_of_warranty_price, min_stock, "
                        "status, created_at, updated_at) VALUES (:p, 'x', 'pcs', :price, 1, 0, 'active', :now, :now)"
                    ), {"p": number, "price": price, "now": NOW})
                conn.execute(text("INSERT INTO reservation (id, warehouse, reference, status, created_at, expires_at)"
                                  " VALUES (1, 'SC-01', 'RO-1', 'consumed', :now, :now)"), {"now": NOW})
                for number, price in (("P-1", "100.00"), ("P-2", "25.50")):  # P-1 cost less when reserved
                    conn.execute(text(
                        "INSERT INTO reservation_line (reservation_id, part_number, qty, consumed_qty, list_price, "
                        "out_of_warranty_price) VALUES (1, :p, 2, 2, :price, 1)"), {"p": number, "price": price})
                moves = [("receipt", "P-1", 10, None), ("issue", "P-1", -2, 1), ("issue", "P-2", -2, 1)]
                for kind, number, qty, reservation in moves:
                    conn.execute(text(
                        "INSERT INTO movement (kind, warehouse, part_number, qty, reference, reservation_id, "
                        "created_at) VALUES (:k, 'SC-01', :p, :q, 'r', :r, :now)"),
                        {"k": kind, "p": number, "q": qty, "r": reservation, "now": NOW})

            migrations.upgrade("inventory", url, schema)

            with engine.begin() as conn:
                prices = conn.execute(text("SELECT kind, part_number, list_price FROM movement ORDER BY id")).all()
                assert [(k, p, None if v is None else f"{float(v):.2f}") for k, p, v in prices] == [
                    ("receipt", "P-1", None), ("issue", "P-1", "100.00"), ("issue", "P-2", "25.50")]
                assert conn.execute(text("SELECT loaner_class FROM part WHERE part_number = 'P-1'")).scalar() is None
                conn.execute(text("INSERT INTO audit_entry (at, actor_kind, actor_id, actor_name, action, object_type, "
                                  "object_id, request_id) VALUES (:now, 'system', 'system', 'system', 'create', "
                                  "'part', 'P-1', '')"), {"now": NOW})
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text("DELETE FROM audit_entry"))
            command.downgrade(migrations.config("inventory", url, schema), "0002_reservation_reference")
            with engine.begin() as conn:
                assert conn.execute(text("SELECT count(*) FROM movement")).scalar_one() == 3
        finally:
            if schema:
                with engine.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()
