"""The audit trail (操作日志, domain.md section 7), the same in every service that owns data.

Each service keeps its own `audit_entry` table (a model on its Base with `AuditEntryMixin`), writes
an entry in the transaction of the change it describes (so an entry exists exactly when the change
committed), and serves its entries on `GET /audit`; the gateway merges them for `/admin/audit`.
Append-only is kept by the database itself: the migration's triggers refuse UPDATE and DELETE,
so not even an admin with SQL through the application can edit the trail.
"""

import functools
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Index, Insert, Integer, String, Text, insert, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from shared import context, direct
from shared.columns import fit
from shared.contracts import people as people_contract
from shared.db import UtcDateTime

READERS = frozenset({"admin", "manager", "system"})
TABLE = "audit_entry"


class AuditEntryMixin:
    """Columns of a service's `audit_entry` table."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(100), index=True)
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(200))
    changes: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str] = mapped_column(String(100))

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        # An object's trail (GET /audit?object_type=&object_id=), as the migration makes it.
        return (Index("ix_audit_entry_object", "object_type", "object_id"),)


def _plain(value: Any) -> Any:
    """A value as the trail keeps it: JSON's own types, money and dates as their wire text."""
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return value


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, list]:
    """`{field: [before, after]}` for every field whose value differs (a new object: before is None)."""
    before, after = before or {}, after or {}
    changed = {}
    for name in sorted(set(before) | set(after)):
        old, new = _plain(before.get(name)), _plain(after.get(name))
        if old != new:
            changed[name] = [old, new]
    return changed


def record(session: Session, model: type, caller: context.Caller | None, *, action: str, object_type: str,
           object_id: object, at: datetime, changes: Mapping[str, list] | None = None) -> None:
    """Append one entry, in the caller's transaction (sent with its next statement or its COMMIT: direct.later)."""
    direct.later(session, _insert_into(model.__table__), {
        "object_id": fit(str(object_id), AuditEntryMixin.object_id),
        **values(caller, action=action, object_type=object_type, at=at, changes=changes),
    })


@functools.cache
def _insert_into(table) -> Insert:
    """Each trail's INSERT, built once: the entry's columns come as parameters, no statement per entry."""
    return insert(table)


def values(caller: context.Caller | None, *, action: str, object_type: str, at: datetime,
           changes: Mapping[str, list] | None = None) -> dict:
    """An entry's columns but its object's id: for a statement that writes the entry with the object it
    names (inventory's reservation on PostgreSQL), as `record` writes them."""
    who = caller or context.SYSTEM
    return {
        "at": at, "actor_kind": who.kind, "actor_id": fit(who.key_id or who.kind, AuditEntryMixin.actor_id),
        "actor_name": fit(who.display, AuditEntryMixin.actor_name),
        "action": action, "object_type": object_type,
        "changes": json.dumps(dict(changes), ensure_ascii=False, separators=(",", ":")) if changes else None,
        "request_id": fit(context.request_id() or "", AuditEntryMixin.request_id),
    }


def to_wire(row: Any, service: str) -> dict:
    entry = {
        "id": row.id,
        "at": row.at.isoformat().replace("+00:00", "Z") if row.at.tzinfo else row.at.isoformat() + "Z",
        "actor": {"kind": row.actor_kind, "id": row.actor_id, "name": row.actor_name},
        "action": row.action, "service": service, "object_type": row.object_type, "object_id": row.object_id,
        "request_id": row.request_id,
    }
    if row.changes:
        entry["changes"] = json.loads(row.changes)
    return entry


def entries(session: Session, model: type, service: str, *, object_type: str | None = None,
            object_id: str | None = None, actor: str | None = None, since: datetime | None = None,
            until: datetime | None = None, before_id: int | None = None,
            limit: int = 50) -> tuple[list[dict], int | None]:
    """A page of entries, newest first, and the id to continue before (None on the last page).
    `actor` matches the actor's id or name exactly."""
    table = model.__table__
    query = select(table).order_by(table.c.id.desc()).limit(limit + 1)
    if object_type:
        query = query.where(table.c.object_type == object_type)
    if object_id:
        query = query.where(table.c.object_id == object_id)
    if actor:
        query = query.where((table.c.actor_id == actor) | (table.c.actor_name == actor))
    if since:
        query = query.where(table.c.at >= since)
    if until:
        query = query.where(table.c.at <= until)
    if before_id:
        query = query.where(table.c.id < before_id)
    rows = session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [to_wire(r, service) for r in rows], (rows[-1].id if more and rows else None)


def create_table_ops(op: Any, sa: Any) -> None:
    """For a service's migration: the table, its indexes, and the triggers that keep it append-only."""
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(100), nullable=False),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("object_type", sa.String(60), nullable=False),
        sa.Column("object_id", sa.String(200), nullable=False),
        sa.Column("changes", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index(op.f("ix_audit_entry_at"), TABLE, ["at"])
    op.create_index(op.f("ix_audit_entry_actor_id"), TABLE, ["actor_id"])
    op.create_index("ix_audit_entry_object", TABLE, ["object_type", "object_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$"
        )
        op.execute("CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
                   "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_entry_no_{event.lower()} BEFORE {event} ON audit_entry "
                       "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END")


def drop_table_ops(op: Any) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry")
        op.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")
    op.drop_table(TABLE)


def router(model: type, service: str):
    """`GET /audit` for a service: its own entries, newest first, for admin and manager."""
    from fastapi import APIRouter, Query

    from shared import errors, openapi, pagination
    from shared.deps import CurrentCaller, Cursor, Limit, Uow
    from shared.types import IsoTimestamp

    routes = APIRouter()

    @openapi.operation("listAuditEntries", "The audit trail of this service's data, newest first",
                       errors={403: "forbidden", 422: "invalid_cursor"})
    @routes.get("/audit", tags=["audit"])
    async def list_audit(
        uow: Uow, caller: CurrentCaller,
        object_type: str | None = Query(None, max_length=people_contract.AUDIT_OBJECT_TYPE_MAX_LENGTH),
        object_id: str | None = Query(None, max_length=people_contract.AUDIT_OBJECT_ID_MAX_LENGTH),
        actor: str | None = Query(None, max_length=people_contract.AUDIT_ACTOR_MAX_LENGTH),
        since: IsoTimestamp | None = None,
        until: IsoTimestamp | None = None, limit: Limit = 50, cursor: Cursor = None,
    ) -> dict:
        if caller.role not in READERS:
            raise errors.Forbidden("Only admin and manager read the audit trail")
        before = pagination.decode_as(cursor, pagination.is_id)
        items, next_id = await uow.read(
            entries, model, service, object_type=object_type, object_id=object_id, actor=actor, since=since,
            until=until, before_id=before, limit=limit)
        return {"items": items, "next_cursor": pagination.encode(next_id) if next_id else None}

    return routes
