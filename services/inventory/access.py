"""Warehouse scope (domain.md section 7): a warehouse person or key with a list of warehouses writes only
there, and sends stock out of its own warehouses to any other (the source decides a transfer).

Reads of stock are not scoped (the role sees a part's stock everywhere); the lists of what happens at a
warehouse (movements, reservations) hold only the caller's warehouses.
"""

from collections.abc import Iterable

from services.inventory import errors
from shared.context import Caller


def require_write_at(caller: Caller, *warehouses: str) -> None:
    for code in warehouses:
        if not caller.may_write_at(code):
            who = "This person" if caller.kind == "user" else "This API key"
            raise errors.WarehouseForbidden(f"{who} may not write at warehouse {code}", warehouse=code)


def scope_of(caller: Caller) -> frozenset[str] | None:
    """The warehouses a caller's lists are limited to; None when not limited."""
    if caller.role != "warehouse" or not caller.warehouses:
        return None
    return frozenset(code.upper() for code in caller.warehouses)


def writable(caller: Caller, codes: Iterable[str]) -> list[str]:
    return [code for code in codes if caller.may_write_at(code)]
