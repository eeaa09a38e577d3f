"""Rules of the catalogue: how codes are written and how prices relate."""

import re
from decimal import Decimal

from shared.contracts import inventory as contract

CODE = re.compile(contract.CODE_PATTERN)


def normalise_code(text: str) -> str:
    """Part numbers, model codes and warehouse codes: trimmed, upper-case."""
    return text.strip().upper()


def is_valid_code(code: str) -> bool:
    return bool(CODE.match(code))


def price_problem(list_price: Decimal, out_of_warranty_price: Decimal) -> str | None:
    # The contract's preferential price is a discount, never a surcharge.
    if out_of_warranty_price > list_price:
        return f"the out-of-warranty price {out_of_warranty_price} is above the list price {list_price}"
    return None


# A loaner class (相同档次, domain.md section 8): the unit's type, then its cooling capacity band in kW,
# e.g. `split_wall_3.5kW`, `cabinet_7.2kW`, `ducted_12kW`. One spelling, so two classes compare equal
# exactly when they are the same class.
LOANER_CLASS = re.compile(contract.LOANER_CLASS_PATTERN)


def loaner_class_problem(value: str) -> str | None:
    if not LOANER_CLASS.match(value):
        return ("a loaner class is the type in lower-case letters, digits and '_', then '_' and the capacity "
                "in kW, e.g. split_wall_3.5kW")
    return None
