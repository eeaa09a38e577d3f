"""The three-year supply guarantee (配件保证叁年内供货).

Parts on a model's bill stay in supply until three years after the model is
discontinued, counted by the Civil Code rule (shared.periods); a model still
in production is guaranteed without end. Guaranteed parts below their minimum
total stock are reported most urgent first.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from shared import periods

GUARANTEE_YEARS = 3


def guaranteed_through(discontinued_on: date | None) -> date | None:
    """The last day of the guarantee; None while the model is in production."""
    if discontinued_on is None:
        return None
    return periods.add_years(discontinued_on, GUARANTEE_YEARS)


def is_guaranteed(discontinued_on: date | None, on: date) -> bool:
    through = guaranteed_through(discontinued_on)
    return through is None or on <= through


@dataclass(frozen=True, slots=True)
class Shortfall:
    part_number: str
    min_stock: int
    on_hand_total: int
    models: tuple[str, ...]

    @property
    def short_by(self) -> int:
        return self.min_stock - self.on_hand_total

    @property
    def missing_fraction(self) -> Fraction:
        return Fraction(self.short_by, self.min_stock)


def urgency(shortfall: Shortfall) -> tuple:
    # A part with none of its 4 left is worse than one 10 short of 100: the
    # share of the minimum that is missing comes first, then the absolute gap.
    return (-shortfall.missing_fraction, -shortfall.short_by, shortfall.part_number)


def shortfalls(candidates: Iterable[Shortfall]) -> list[Shortfall]:
    """The candidates below their minimum, most urgent first."""
    below = [c for c in candidates if c.min_stock > 0 and c.on_hand_total < c.min_stock]
    return sorted(below, key=urgency)
