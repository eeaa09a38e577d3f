"""The company named on every bill (name, address, taxpayer id, bank account, phone).

Like the rate card: every change is a new version, never an edit, and a bill keeps the
version in force when it was issued, so a later change never alters an issued bill.
"""

from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from services.billing import errors, trail
from services.billing.models import Company
from services.billing.settlement_schemas import CompanyUpdate
from shared import direct
from shared.context import Caller

FIELDS = ("name", "address", "taxpayer_id", "bank", "account", "phone")


# Every bill issued names it: built once, on Core (a row, read only).
_LATEST = select(Company.__table__).order_by(Company.__table__.c.id.desc()).limit(1)


def latest(session: Session) -> Row | None:
    return direct.run(session, _LATEST).first()


def current(session: Session) -> Row:
    company = latest(session)
    if company is None:
        raise errors.CompanyNotFound("The company named on the bills has not been set yet (PUT /company)")
    return company


def versions(session: Session, ids: set[int]) -> dict[int, Company]:
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Company).where(Company.id.in_(ids)))}


def update(session: Session, company_in: CompanyUpdate, *, caller: Caller | None, now: datetime) -> Company:
    before = latest(session)
    company = Company(**company_in.fields(), created_at=now)
    session.add(company)
    session.flush()
    old = {name: getattr(before, name) for name in FIELDS} if before is not None else None
    trail.record(session, caller, action="company.updated", object_type="company", object_id="company", at=now,
                 changes={"version": [before.id if before else None, company.id],
                          **trail.diff(old, company_in.fields())})
    return company
