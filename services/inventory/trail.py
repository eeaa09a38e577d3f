"""Inventory's audit trail (domain.md section 7): every change to parts, models, bills of parts and
warehouses, every stock movement and every reservation change, written in the change's own transaction
(shared/audit.py). Expiries are recorded by whichever write first finds them due, with the system as actor:
the clock, not that caller, ended the hold."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.inventory.models import AuditEntry, Movement
from shared import audit
from shared.context import SYSTEM, Caller

PART_FIELDS = ("name", "uom", "list_price", "out_of_warranty_price", "min_stock", "status", "loaner_class")
MODEL_FIELDS = ("name", "discontinued_on", "loaner_class")
WAREHOUSE_FIELDS = ("name", "kind", "region")


def fields(row: Any, names: Iterable[str]) -> dict:
    return {name: getattr(row, name) for name in names}


def record(session: Session, caller: Caller | None, *, action: str, object_type: str, object_id: object,
           at: datetime, before: Mapping | None = None, after: Mapping | None = None) -> None:
    audit.record(session, AuditEntry, caller, action=action, object_type=object_type, object_id=object_id,
                 at=at, changes=audit.diff(before, after) or None)


def entry(caller: Caller | None, *, action: str, object_type: str, at: datetime, before: Mapping | None = None,
          after: Mapping | None = None) -> dict:
    """The values `record` writes, but the object's id (shared/audit.py's `values`): for a statement that
    writes the entry together with the object it names (reservation_statement.py)."""
    return audit.values(caller, action=action, object_type=object_type, at=at,
                        changes=audit.diff(before, after) or None)


def movements(session: Session, caller: Caller | None, moved: Iterable[Movement], *, at: datetime) -> None:
    """One entry per movement of the ledger (flushed: it has its id), as it was written."""
    for m in moved:
        record(session, caller, action=m.kind, object_type="movement", object_id=m.id, at=at, after={
            "warehouse": m.warehouse, "part_number": m.part_number, "qty": m.qty, "reference": m.reference,
            "reason": m.reason, "reservation_id": m.reservation_id,
        })


def expired(session: Session, reservation_ids: Iterable[int], *, at: datetime) -> None:
    for reservation_id in reservation_ids:
        record(session, SYSTEM, action="expire", object_type="reservation", object_id=reservation_id, at=at,
               before={"status": "active"}, after={"status": "expired"})
