"""GET /reports/warranty: the claims figures of domain.md section 9 (figures.py), as JSON the gateway turns
into a table, a chart or an Excel file."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.warranty import figures
from shared import errors, reports
from shared.deps import CurrentCaller, CurrentClock
from shared.operations import Operations
from shared.types import IsoDate

router = APIRouter()
ops = Operations(router, tags=["reports"])
READERS = frozenset({"admin", "manager", "system"})
EXAMPLE = {
    "from": "2026-01-01", "to": "2026-03-31", "group_by": "decision",
    "rows": [{"key": "approved", "name": "Approved", "claims": 42, "approved": 42, "rejected": 0, "units": 40,
              "approval_rate": 1.0},
             {"key": "rejected", "name": "Rejected", "claims": 8, "approved": 0, "rejected": 8, "units": 8,
              "approval_rate": 0.0}],
    "totals": {"key": "total", "name": "Total", "claims": 50, "approved": 42, "rejected": 8, "units": 47,
               "approval_rate": 0.84},
}


class ClaimFigures(BaseModel):
    key: str = Field(description="the cause, model code, decision or month (YYYY-MM)")
    name: str
    claims: int
    approved: int
    rejected: int
    units: int = Field(description="distinct units with a claim")
    approval_rate: float = Field(description="approved / claims, 0 to 1")


class WarrantyReport(reports.ReportHead):
    rows: list[ClaimFigures]
    totals: ClaimFigures = Field(description="each claim once (a claim with two causes is in two cause rows)")


def figures_of(row: figures.Row) -> ClaimFigures:
    return ClaimFigures(key=row.key, name=row.name, claims=row.claims, approved=row.approved, rejected=row.rejected,
                        units=row.units, approval_rate=row.approval_rate)


@ops.get(
    "/reports/warranty", "getWarrantyReport",
    "Claims by decision, cause, model or month over a period (failure days, both included)",
    raises=[errors.Forbidden, errors.Unprocessable], answer=EXAMPLE,
    description="A claim counts in the period of its failure day. Grouped by cause, a claim counts under each "
                "cause it names (`none` when it names none); `totals` counts each claim once. The warranty cost "
                "in money is billing's (the `warranty_cost` of its bills), reported with billing's figures.",
)
def warranty_report(
    session, clock: CurrentClock, caller: CurrentCaller,
    start: Annotated[IsoDate | None, Query(alias="from", description="default: 1 January of `to`'s year")] = None,
    end: Annotated[IsoDate | None, Query(alias="to", description="default: today")] = None,
    group_by: Literal[figures.GROUPS] = "decision",
) -> WarrantyReport:
    if caller.role not in READERS:
        raise errors.Forbidden("Only admin and manager read the warranty figures")
    start, end = reports.period(start, end or clock.today(), default_start=reports.year_start)
    rows, totals = figures.report(session, start=start, end=end, group_by=group_by)
    return WarrantyReport(from_=start, to=end, group_by=group_by, rows=[figures_of(r) for r in rows],
                          totals=figures_of(totals))
