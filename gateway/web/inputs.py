"""What a person types on more than one page, read the same way on each: a day, and the part lines of a
phone form (a part number and a quantity a row, blank rows left out)."""

from datetime import datetime

from gateway.web.pages import Page
from shared.contracts import common as contract


def is_day(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def part_lines(page: Page) -> list[dict] | None:
    """The rows of `part_number` and `part_qty` as the API takes them, or None when one is not a part with
    a quantity the contract allows."""
    lines = []
    for number, qty in zip(page.form.get("part_number", []), page.form.get("part_qty", []), strict=False):
        number, qty = number.strip(), qty.strip()
        if not number and not qty:
            continue
        if not number or not qty.isdigit() or not contract.QTY_MIN <= int(qty) <= contract.QTY_MAX:
            return None
        lines.append({"part_number": number[:contract.PART_NUMBER_MAX_LENGTH], "qty": int(qty)})
    return lines
