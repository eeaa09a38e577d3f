"""Warehouses: the central store, service centers and repair stations."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.inventory import errors, trail
from services.inventory.models import Warehouse
from services.inventory.schemas import WarehouseCreate
from shared import pagination, search
from shared.context import Caller
from shared.db import add_new, get_or_raise


def get(session: Session, code: str) -> Warehouse:
    return get_or_raise(session, Warehouse, code, missing=not_found(code))


def not_found(code: str) -> errors.WarehouseNotFound:
    return errors.WarehouseNotFound(f"No warehouse {code}")


def require(session: Session, codes: Iterable[str]) -> None:
    for code in codes:
        get(session, code)


def create(
    session: Session, warehouse_in: WarehouseCreate, *, now: datetime, caller: Caller | None = None
) -> Warehouse:
    warehouse = Warehouse(**dict(warehouse_in), created_at=now)
    add_new(session, warehouse, exists=errors.WarehouseExists(f"Warehouse {warehouse_in.code} already exists"))
    trail.record(session, caller, action="create", object_type="warehouse", object_id=warehouse.code, at=now,
                 after=trail.fields(warehouse, trail.WAREHOUSE_FIELDS))
    return warehouse


def list_warehouses(
    session: Session, *, kind: str | None, after: str | None, limit: int, scope: frozenset[str] | None = None,
    q: str | None = None,
) -> list[Warehouse]:
    after = str(after) if after is not None else None
    query = pagination.keyset(select(Warehouse), Warehouse.code, after=after, limit=limit)
    if scope is not None:
        query = query.where(Warehouse.code.in_(sorted(scope)))
    if kind is not None:
        query = query.where(Warehouse.kind == kind)
    query = search.contains(query, (Warehouse.code, Warehouse.name, Warehouse.region), q)
    return list(session.scalars(query))
