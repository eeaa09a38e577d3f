"""Warranty's audit trail (domain.md section 7): units (one entry each, or one per imported file with its
counts), policy versions, season calendars, claims and service records, written in the change's own
transaction (shared/audit.py)."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.warranty.models import AuditEntry
from shared import audit
from shared.context import Caller

UNIT_FIELDS = ("model_code", "product_name", "site_name", "site_address", "region", "project_code", "accepted_on",
               "certificate_number", "certificate_product_name", "certificate_model_code",
               "certificate_serial_number", "policy_version")
CALENDAR_FIELDS = ("version", "effective_from", "heating_start", "heating_end", "cooling_start", "cooling_end")


def fields(row: Any, names: tuple[str, ...]) -> dict:
    return {name: getattr(row, name) for name in names}


def record(session: Session, caller: Caller | None, *, action: str, object_type: str, object_id: object,
           at: datetime, before: Mapping | None = None, after: Mapping | None = None) -> None:
    audit.record(session, AuditEntry, caller, action=action, object_type=object_type, object_id=object_id,
                 at=at, changes=audit.diff(before, after) or None)
