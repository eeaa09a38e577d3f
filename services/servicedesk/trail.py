"""The service desk's audit trail (domain.md section 7): sites, technicians, commitments, working
calendars and every ticket step, each entry in the transaction of the change it describes."""

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from services.servicedesk.models import AuditEntry
from shared import audit, context

Row = TypeVar("Row")


def record(session: Session, caller: context.Caller | None, *, action: str, object_type: str, object_id: object,
           now: datetime, before: dict | None = None, after: dict | None = None) -> None:
    changes = audit.diff(before, after) if before is not None or after is not None else None
    audit.record(session, AuditEntry, caller, action=action, object_type=object_type, object_id=object_id,
                 at=now, changes=changes or None)


def created(session: Session, caller: context.Caller | None, row: Row, *, object_type: str, key: str,
            now: datetime, read: Callable[[Row], dict]) -> Row:
    """A new row written and its creation recorded: the entry names it by its `key` (known once flushed)
    and holds what `read` shows of it."""
    session.add(row)
    session.flush()
    record(session, caller, action="create", object_type=object_type, object_id=getattr(row, key), now=now,
           after=read(row))
    return row
