"""Billing's audit trail: one entry per change, in the change's own transaction (shared/audit.py)."""

import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from services.billing.models import AuditEntry
from shared import audit
from shared.context import Caller

SERVICE = "billing"
diff = audit.diff


def record(session: Session, caller: Caller | None, *, action: str, object_type: str, object_id: object,
           at: datetime, changes: Mapping[str, list] | None = None) -> None:
    # Money, dates and enums as their wire text: the trail holds plain JSON.
    plain = json.loads(json.dumps(dict(changes), default=str)) if changes else None
    audit.record(session, AuditEntry, caller, action=action, object_type=object_type, object_id=object_id,
                 at=at, changes=plain)


def router():
    return audit.router(AuditEntry, SERVICE)
