"""Consuming a reservation: what is issued per line and what goes back.

Without a list, every line is consumed in full. With a list, the list is the
whole account of what was used: a reserved part it leaves out was not used,
and its quantity goes back to stock like any unused rest.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ConsumedLine:
    part_number: str
    reserved: int
    consumed: int

    @property
    def returned(self) -> int:
        return self.reserved - self.consumed


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    message: str


class ConsumeRejected(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def plan_consume(
    reserved: Mapping[str, int], used: Sequence[tuple[str, int]] | None = None
) -> list[ConsumedLine]:
    """Lines in the order of `reserved`; raises ConsumeRejected listing every problem."""
    if used is None:
        return [ConsumedLine(part, qty, qty) for part, qty in reserved.items()]
    problems: list[Problem] = []
    taken: dict[str, int] = {}
    for index, (part, qty) in enumerate(used):
        if part in taken:
            problems.append(Problem(f"lines.{index}.part_number", f"{part} is listed twice"))
        elif part not in reserved:
            problems.append(Problem(f"lines.{index}.part_number", f"{part} is not on this reservation"))
        elif qty < 0:
            problems.append(Problem(f"lines.{index}.qty", "cannot be negative"))
        elif qty > reserved[part]:
            problems.append(
                Problem(f"lines.{index}.qty", f"{qty} of {part} is more than the {reserved[part]} reserved")
            )
        taken.setdefault(part, qty)
    if problems:
        raise ConsumeRejected(problems)
    return [ConsumedLine(part, qty, taken.get(part, 0)) for part, qty in reserved.items()]
