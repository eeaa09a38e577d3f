"""Warranty's figures for a manager (domain.md section 9): claims by decision, by cause, by model and by
month, counted by the database (GROUP BY), over the claims whose failure day lies in the period.

A claim names one or more causes (or none): grouped by cause, it counts once under each cause it names
(and under `none` when it names none), so the rows may add up to more than the claims; `totals` counts
each claim once. The warranty cost in money is not here: it is what billing records on the bills of
approved repairs (billing's `warranty_cost`), so it is reported by billing's figures, from billing's
records, and warranty reports the claims behind it.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, literal, select, true
from sqlalchemy.orm import Session

from services.warranty.models import Claim, Unit

GROUPS = ("cause", "model", "decision", "month")
DECISION_NAMES = {"approved": "Approved", "rejected": "Rejected"}
CAUSE_NAMES = {
    "quality_defect": "Product quality defect",
    "unknown": "Cause not known",
    "improper_use": "Used against the instructions",
    "improper_maintenance": "Maintained against the instructions",
    "improper_storage": "Stored against the instructions",
    "improper_transport": "Transported against the instructions",
    "unstable_power_supply": "Unstable power supply",
    "harsh_environment": "Harsh environment",
    "modified_wiring": "Wiring modified without authorisation",
    "replaced_internal_parts": "Internal parts replaced without authorisation",
    "force_majeure": "Force majeure",
    "natural_disaster": "Natural disaster",
    "accident": "Accident",
    "none": "No cause given",
}


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    name: str
    claims: int
    approved: int
    rejected: int
    units: int

    @property
    def approval_rate(self) -> float:
        return round(self.approved / self.claims, 4) if self.claims else 0.0


def _counts(*, distinct: bool = False):
    """Claims, approved, rejected and units of a group. `distinct`: a claim may stand in the group on several
    rows (one per cause it names, a cause named twice) and still counts once."""
    claim = Claim.__table__.c
    if distinct:
        return (
            func.count(claim.id.distinct()).label("claims"),
            func.count(case((claim.decision == "approved", claim.id)).distinct()).label("approved"),
            func.count(case((claim.decision == "rejected", claim.id)).distinct()).label("rejected"),
            func.count(claim.serial_number.distinct()).label("units"),
        )
    return (
        func.count().label("claims"),
        func.coalesce(func.sum(case((claim.decision == "approved", 1), else_=0)), 0).label("approved"),
        func.coalesce(func.sum(case((claim.decision == "rejected", 1), else_=0)), 0).label("rejected"),
        func.count(claim.serial_number.distinct()).label("units"),
    )


def _month(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _cause_items(session: Session):
    """The claim's causes as rows of a table function (a claim naming none gives one row of NULL)."""
    causes = Claim.__table__.c.causes
    if session.get_bind().dialect.name == "postgresql":
        return func.json_array_elements_text(causes).table_valued("value").alias("cause_item")
    return func.json_each(causes).table_valued("value").alias("cause_item")


def report(session: Session, *, start: date, end: date, group_by: str) -> tuple[list[Row], Row]:
    """The rows of the period grouped by `group_by`, and the totals (each claim once)."""
    claim = Claim.__table__.c
    in_period = claim.failed_on.between(start, end)
    if group_by == "cause":
        item = _cause_items(session)
        key = func.coalesce(item.c.value, literal("none"))
        query = (select(key.label("key"), *_counts(distinct=True))
                 .select_from(Claim.__table__).outerjoin(item, true()).where(in_period))
    elif group_by == "model":
        # Each unit's claims first (from the failure-day index), then one unit lookup per unit, not per claim.
        per_unit = select(claim.serial_number, *_counts()[:3]).where(in_period).group_by(claim.serial_number).subquery()
        unit = Unit.__table__.c
        key = unit.model_code
        query = (select(key.label("key"), func.max(unit.product_name).label("name"),
                        func.sum(per_unit.c.claims).label("claims"), func.sum(per_unit.c.approved).label("approved"),
                        func.sum(per_unit.c.rejected).label("rejected"), func.count().label("units"))
                 .select_from(per_unit.join(Unit.__table__, unit.serial_number == per_unit.c.serial_number)))
    elif group_by == "decision":
        key = claim.decision
        query = select(key.label("key"), *_counts()).where(in_period)
    else:
        key = _month(session, claim.failed_on)
        query = select(key.label("key"), *_counts()).where(in_period)
    found = session.execute(query.group_by(key)).all()
    rows = [Row(r.key, _name(group_by, r), int(r.claims), int(r.approved), int(r.rejected), r.units) for r in found]
    rows.sort(key=_order(group_by))
    total = session.execute(select(*_counts()).where(in_period)).one()
    return rows, Row("total", "Total", total.claims, int(total.approved), int(total.rejected), total.units)


def _name(group_by: str, row) -> str:
    if group_by == "cause":
        return CAUSE_NAMES.get(row.key, row.key)
    if group_by == "decision":
        return DECISION_NAMES.get(row.key, row.key)
    if group_by == "model":
        return row.name or row.key
    return row.key


def _order(group_by: str):
    if group_by in ("month", "decision"):
        return lambda row: row.key
    return lambda row: (-row.claims, row.key)  # the most frequent first
