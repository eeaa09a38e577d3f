"""What can be taken from a stock row, and what is short when it cannot.

Reservations are all or nothing: every short line is reported, so that the
warehouse sees the whole gap at once rather than one part per attempt.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shortage:
    part_number: str
    requested: int
    available: int


def available(on_hand: int, reserved: int) -> int:
    return on_hand - reserved


def shortages(lines: Iterable[tuple[str, int]], available_by_part: Mapping[str, int]) -> list[Shortage]:
    """Every requested line that the available stock cannot cover, in request order.

    A part without a stock row has nothing available.
    """
    found = []
    for part_number, requested in lines:
        have = max(0, available_by_part.get(part_number, 0))
        if requested > have:
            found.append(Shortage(part_number, requested, have))
    return found


def adjustment_shortage(part_number: str, *, on_hand: int, reserved: int, delta: int) -> Shortage | None:
    """A count correction may not take on-hand below what is promised to reservations."""
    if on_hand + delta >= reserved:
        return None
    return Shortage(part_number, -delta, available(on_hand, reserved))
