"""The service desk's audit trail (domain.md section 7): sites, technicians, commitments, working
calendars and every ticket step, each entry in the transaction of the change it describes."""

from datetime import datetime

from sqlalchemy.orm import Session

from services.servicedesk.models import AuditEntry
from shared import audit, context


def record(session: Session, caller: context.Caller | None, *, action: str, object_type: str, object_id: object,
           now: datetime, before: dict | None = None, after: dict | None = None) -> None:
    changes = audit.diff(before, after) if before is not None or after is not None else None
    audit.record(session, AuditEntry, caller, action=action, object_type=object_type, object_id=object_id,
                 at=now, changes=changes or None)
