"""Money is Decimal, rounded half-up to the fen (0.01)."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_wire(amount: Decimal) -> str:
    """A decimal string with two places, as the API carries money."""
    return str(quantize(amount))
