"""GET /reports/parts: the parts figures of domain.md section 9 (figures.py), as JSON the gateway turns into
a table, a chart or an Excel file."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.inventory import figures
from services.inventory.schemas import ShortfallRead
from shared import errors, reports, types
from shared.deps import CurrentCaller, CurrentClock
from shared.operations import Operations
from shared.types import IsoDate

router = APIRouter()
READERS = frozenset({"admin", "manager", "warehouse", "system"})
EXAMPLE = {
    "from": "2026-01-01", "to": "2026-03-31", "group_by": "part",
    "rows": [{"key": "CMP-72", "name": "Compressor 7.2 kW", "qty": 3, "value": "3840.00", "issues": 3},
             {"key": "FAN-300", "name": "Outdoor fan motor", "qty": 5, "value": "1500.00", "issues": 4}],
    "totals": {"key": "total", "name": "Total", "qty": 8, "value": "5340.00", "issues": 7},
    "shortfalls": [{"part_number": "FAN-300", "min_stock": 10, "on_hand_total": 4, "short_by": 6,
                    "models": ["KFR-72LW"]}],
}


class PartsFigures(BaseModel):
    key: str = Field(description="the part number, warehouse code or month (YYYY-MM, China time)")
    name: str
    qty: int = Field(description="units issued")
    value: types.Money = Field(description="units issued at the list price of their reservation")
    issues: int = Field(description="issue movements")


class PartsReport(reports.ReportHead):
    rows: list[PartsFigures]
    totals: PartsFigures
    shortfalls: list[ShortfallRead] = Field(
        description="guaranteed parts below their minimum on `to`, most urgent first (on hand from the ledger)")


def figures_of(row: figures.Row) -> PartsFigures:
    return PartsFigures(key=row.key, name=row.name, qty=row.qty, value=row.value, issues=row.issues)


@Operations(router, tags=["reports"]).get(
    "/reports/parts", "getPartsReport", "Parts consumed by part, warehouse or month over a period, and "
    "supply-guarantee shortfalls", raises=[errors.Forbidden, errors.Unprocessable], answer=EXAMPLE,
    description="Consumed: the ledger's issue movements from `from` 00:00 to `to` 24:00 China time, valued at "
                "the list price their reservation recorded. Shortfalls: as `GET /supply-guarantee?on={to}`, "
                "with each part's on-hand summed from the ledger up to the end of `to`.",
)
def parts_report(
    session, clock: CurrentClock, caller: CurrentCaller,
    start: Annotated[IsoDate | None, Query(alias="from", description="default: 1 January of `to`'s year")] = None,
    end: Annotated[IsoDate | None, Query(alias="to", description="default: today")] = None,
    group_by: Literal[figures.GROUPS] = "part",
) -> PartsReport:
    if caller.role not in READERS:
        raise errors.Forbidden("Only admin, manager and warehouse staff read the parts figures")
    start, end = reports.period(start, end or clock.today(), default_start=reports.year_start)
    rows, totals = figures.consumed(session, start=start, end=end, group_by=group_by)
    short = [ShortfallRead(part_number=s.part_number, min_stock=s.min_stock, on_hand_total=s.on_hand_total,
                           short_by=s.short_by, models=list(s.models)) for s in figures.shortfalls_on(session, end)]
    return PartsReport(from_=start, to=end, group_by=group_by, rows=[figures_of(r) for r in rows],
                       totals=figures_of(totals), shortfalls=short)
