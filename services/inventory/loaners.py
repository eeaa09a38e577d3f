"""Loaner units (domain.md section 8): the stock of a loaner class, nearest the unit's site first.

A part with a `loaner_class` is a loaner unit of that class. "Nearest" is what the platform knows of
places, their regions: the warehouses of the site's region first, then the central warehouse (it sends
anywhere), then every other; within each, the most available first, then by code.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from services.inventory import stock
from services.inventory.models import Part, Stock, Warehouse


@dataclass(frozen=True, slots=True)
class LoanerStock:
    warehouse: str
    warehouse_name: str
    kind: str
    region: str
    same_region: bool
    part_number: str
    name: str
    available: int


def _tier(region: str | None):
    central = case((Warehouse.kind == "central", 1), else_=2)
    if region is None:
        return central
    return case((Warehouse.region == region, 0), else_=central)


def nearest(session: Session, *, loaner_class: str, region: str | None, limit: int, now: datetime) -> list[LoanerStock]:
    """Warehouses holding available loaner units of the class, nearest first."""
    rows = session.execute(
        select(Stock.warehouse, Stock.part_number, Stock.on_hand, Stock.reserved, Warehouse.name.label("place"),
               Warehouse.kind, Warehouse.region, Part.name, _tier(region).label("tier"))
        .join(Part, Part.part_number == Stock.part_number)
        .join(Warehouse, Warehouse.code == Stock.warehouse)
        .where(Part.loaner_class == loaner_class, Part.status == "active", Stock.on_hand > 0)
    ).all()
    if not rows:
        return []
    # Reads count a due expiry as given back, as GET /stock does.
    due = stock.due_reserved(session, now=now, warehouses={r.warehouse for r in rows},
                             part_numbers={r.part_number for r in rows})
    found = []
    for r in rows:
        available = r.on_hand - r.reserved + due.get((r.warehouse, r.part_number), 0)
        if available > 0:
            found.append((r.tier, -available, r.warehouse, r.part_number, LoanerStock(
                r.warehouse, r.place, r.kind, r.region, region is not None and r.region == region, r.part_number,
                r.name, available)))
    found.sort(key=lambda item: item[:4])
    return [item[-1] for item in found[:limit]]
