"""Rules of the catalogue: how codes are written and how prices relate."""

import re
from decimal import Decimal

CODE = re.compile(r"^[A-Z0-9][A-Z0-9._/-]{0,39}$")


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
