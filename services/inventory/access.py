"""Who may write where: warehouse keys are limited to their own warehouses."""

from services.inventory import errors
from shared.context import Caller


def require_write_at(caller: Caller, *warehouses: str) -> None:
    for code in warehouses:
        if not caller.may_write_at(code):
            raise errors.WarehouseForbidden(f"This API key may not write at warehouse {code}")
