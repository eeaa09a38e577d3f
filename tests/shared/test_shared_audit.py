"""shared/audit.py on the real databases: entries written in the change's transaction, read newest first
with filters, and a table that refuses UPDATE and DELETE to everyone (the triggers of the migration)."""

import os
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session

from shared import audit, context

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Entry(audit.AuditEntryMixin, Base):
    __tablename__ = "audit_entry"


def _engines():
    yield pytest.param("sqlite", id="sqlite")
    if os.environ.get("TEST_DATABASE_URL"):
        yield pytest.param("postgres", id="postgres")


@pytest.fixture(params=list(_engines()))
def engine(request, tmp_path):
    if request.param == "sqlite":
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
        schema = None
    else:
        schema = f"audit_{uuid.uuid4().hex[:8]}"
        with sa.create_engine(os.environ["TEST_DATABASE_URL"]).begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        engine = sa.create_engine(os.environ["TEST_DATABASE_URL"],
                                  connect_args={"options": f"-csearch_path={schema}"})
    with engine.begin() as conn:
        audit.create_table_ops(Operations(MigrationContext.configure(conn)), sa)
    yield engine
    if schema:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


ADMIN = context.Caller(role="admin", key_id="user:1", kind="user", name="王管理")


def test_a_change_is_recorded_with_who_what_and_before_after(engine):
    changes = audit.diff({"list_price": Decimal("120.00"), "name": "电容"},
                         {"list_price": Decimal("135.50"), "name": "电容"})
    assert changes == {"list_price": ["120.00", "135.50"]}
    with Session(engine) as session, session.begin():
        audit.record(session, Entry, ADMIN, action="update", object_type="part", object_id="P-1", at=T0,
                     changes=changes)
        audit.record(session, Entry, None, action="create", object_type="part", object_id="P-2",
                     at=T0 + timedelta(minutes=1), changes=audit.diff(None, {"name": "风扇"}))
    with Session(engine) as session:
        items, more = audit.entries(session, Entry, "inventory")
        assert more is None and [i["object_id"] for i in items] == ["P-2", "P-1"]  # newest first
        assert items[1]["actor"] == {"kind": "user", "id": "user:1", "name": "王管理"}
        assert items[1]["changes"] == {"list_price": ["120.00", "135.50"]}
        assert items[0]["actor"]["kind"] == "system" and items[0]["changes"] == {"name": [None, "风扇"]}
        by_actor, _ = audit.entries(session, Entry, "inventory", actor="王管理")
        assert [i["object_id"] for i in by_actor] == ["P-1"]
        page, more = audit.entries(session, Entry, "inventory", limit=1)
        assert len(page) == 1 and more == page[0]["id"]
        rest, _ = audit.entries(session, Entry, "inventory", before_id=more)
        assert [i["object_id"] for i in rest] == ["P-1"]
        since, _ = audit.entries(session, Entry, "inventory", since=T0 + timedelta(seconds=30))
        assert [i["object_id"] for i in since] == ["P-2"]


@pytest.mark.parametrize("statement", ["UPDATE audit_entry SET actor_name = 'x'", "DELETE FROM audit_entry"])
def test_nothing_can_change_or_delete_an_entry(engine, statement):
    with Session(engine) as session, session.begin():
        audit.record(session, Entry, ADMIN, action="update", object_type="rates", object_id="current", at=T0)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text(statement))
    with Session(engine) as session:
        items, _ = audit.entries(session, Entry, "billing")
        assert len(items) == 1 and items[0]["actor"]["name"] == "王管理"
