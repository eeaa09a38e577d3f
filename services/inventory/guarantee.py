"""The supply guarantee as the database sees it: which models, which parts, how short."""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.inventory.domain import guarantee as rules
from services.inventory.models import BomLine, Part, ProductModel, Stock


@dataclass(frozen=True, slots=True)
class Report:
    on: date
    models: list[tuple[str, date | None]]
    shortfalls: list[rules.Shortfall]


def guaranteeing_models(session: Session, part_number: str, *, on: date) -> list[str]:
    """The models guaranteed on `on` whose bill lists the part."""
    rows = session.execute(
        select(ProductModel.model_code, ProductModel.discontinued_on)
        .join(BomLine, BomLine.model_code == ProductModel.model_code)
        .where(BomLine.part_number == part_number)
        .order_by(ProductModel.model_code)
    )
    return [code for code, discontinued_on in rows if rules.is_guaranteed(discontinued_on, on)]


def stock_now(session: Session, part_numbers: list[str]) -> dict[str, int]:
    return dict(
        session.execute(
            select(Stock.part_number, func.sum(Stock.on_hand))
            .where(Stock.part_number.in_(part_numbers))
            .group_by(Stock.part_number)
        ).all()
    )


def report(session: Session, *, on: date, totals: Callable[[Session, list[str]], dict] = stock_now) -> Report:
    """`totals` gives each part's on-hand over every warehouse: today's stock, or (the figures) the
    ledger's sum up to a day."""
    # Few models, so the date rule runs in Python rather than as SQL date arithmetic.
    models = [
        (code, rules.guaranteed_through(discontinued_on))
        for code, discontinued_on in session.execute(
            select(ProductModel.model_code, ProductModel.discontinued_on).order_by(ProductModel.model_code)
        )
        if rules.is_guaranteed(discontinued_on, on)
    ]
    guaranteed = [code for code, _ in models]
    models_of_part: dict[str, list[str]] = defaultdict(list)
    min_stock: dict[str, int] = {}
    if guaranteed:
        rows = session.execute(
            select(BomLine.part_number, BomLine.model_code, Part.min_stock)
            .join(Part, Part.part_number == BomLine.part_number)
            .where(BomLine.model_code.in_(guaranteed), Part.min_stock > 0)
            .order_by(BomLine.part_number, BomLine.model_code)
        )
        for part_number, model_code, minimum in rows:
            models_of_part[part_number].append(model_code)
            min_stock[part_number] = minimum
    on_hand = totals(session, list(min_stock)) if min_stock else {}
    candidates = [
        rules.Shortfall(part, min_stock[part], int(on_hand.get(part) or 0), tuple(codes))
        for part, codes in models_of_part.items()
    ]
    return Report(on=on, models=models, shortfalls=rules.shortfalls(candidates))
