"""Parts, models and their bills of parts."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.inventory import errors, guarantee, trail
from services.inventory.domain import catalog as rules
from services.inventory.models import BomLine, Part, ProductModel
from services.inventory.schemas import ModelCreate, ModelUpdate, PartCreate, PartUpdate
from shared import errors as shared_errors
from shared import pagination, search
from shared.context import Caller
from shared.db import add_new, get_or_raise


def get_part(session: Session, part_number: str) -> Part:
    return get_or_raise(session, Part, part_number, missing=errors.PartNotFound(f"No part {part_number}"))


def parts_by_number(session: Session, part_numbers: Sequence[str]) -> dict[str, Part]:
    """The parts asked for; raises naming every one that does not exist."""
    rows = session.scalars(select(Part).where(Part.part_number.in_(part_numbers)))
    found = {part.part_number: part for part in rows}
    require_all(found, part_numbers)
    return found


def require_all(found: Mapping[str, object], part_numbers: Sequence[str]) -> None:
    """Raises naming every part asked for that `found` (by part number) does not hold."""
    missing = sorted(set(part_numbers) - found.keys())
    if missing:
        raise errors.PartNotFound(f"No part {', '.join(missing)}", part_numbers=missing)


R = TypeVar("R", Part, ProductModel)

# How the trail names each kind of catalog row: its object type, its key and the fields it records.
_TRAIL = {Part: ("part", "part_number", trail.PART_FIELDS), ProductModel: ("model", "model_code", trail.MODEL_FIELDS)}


def _recorded(session: Session, caller: Caller | None, row: R, *, action: str, now: datetime,
              before: dict | None = None) -> R:
    """`row`, its change written to the trail."""
    object_type, key, names = _TRAIL[type(row)]
    trail.record(session, caller, action=action, object_type=object_type, object_id=getattr(row, key), at=now,
                 before=before, after=trail.fields(row, names))
    return row


def _update(session: Session, row: R, changes: Mapping[str, object], *, now: datetime, caller: Caller | None) -> R:
    before = trail.fields(row, _TRAIL[type(row)][2])
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = now
    session.flush()
    return _recorded(session, caller, row, action="update", now=now, before=before)


def create_part(session: Session, part_in: PartCreate, *, now: datetime, caller: Caller | None = None) -> Part:
    part = Part(**dict(part_in), created_at=now, updated_at=now)
    add_new(session, part, exists=errors.PartExists(f"Part {part_in.part_number} already exists"))
    return _recorded(session, caller, part, action="create", now=now)


def update_part(
    session: Session, part_number: str, part_in: PartUpdate, *, today: date, now: datetime,
    caller: Caller | None = None,
) -> Part:
    part = get_part(session, part_number)
    changes = {name: getattr(part_in, name) for name in part_in.model_fields_set}
    problem = rules.price_problem(
        changes.get("list_price", part.list_price),
        changes.get("out_of_warranty_price", part.out_of_warranty_price),
    )
    if problem:
        raise shared_errors.Unprocessable(
            problem, errors=[{"field": "out_of_warranty_price", "message": problem}]
        )
    if changes.get("status") == "retired" and part.status != "retired":
        models = guarantee.guaranteeing_models(session, part.part_number, on=today)
        if models:
            raise errors.PartUnderSupplyGuarantee(
                f"Part {part.part_number} is on the bill of {', '.join(models)}, under supply guarantee",
                models=models,
            )
    return _update(session, part, changes, now=now, caller=caller)


def list_parts(
    session: Session, *, model_code: str | None, status: str | None, after: str | None, limit: int,
    loaner_class: str | None = None, q: str | None = None,
) -> list[Part]:
    after = str(after) if after is not None else None
    query = pagination.keyset(select(Part), Part.part_number, after=after, limit=limit)
    if model_code is not None:
        get_model(session, model_code)
        query = query.join(BomLine, BomLine.part_number == Part.part_number).where(
            BomLine.model_code == model_code
        )
    if status is not None:
        query = query.where(Part.status == status)
    query = search.contains(query, (Part.part_number, Part.name), q)
    if loaner_class is not None:
        query = query.where(Part.loaner_class == loaner_class.strip())
    return list(session.scalars(query))


def get_model(session: Session, model_code: str) -> ProductModel:
    return get_or_raise(session, ProductModel, model_code, missing=errors.ModelNotFound(f"No model {model_code}"))


def create_model(
    session: Session, model_in: ModelCreate, *, now: datetime, caller: Caller | None = None
) -> ProductModel:
    model = ProductModel(**dict(model_in), created_at=now, updated_at=now)
    add_new(session, model, exists=errors.ModelExists(f"Model {model_in.model_code} already exists"))
    return _recorded(session, caller, model, action="create", now=now)


def update_model(
    session: Session, model_code: str, model_in: ModelUpdate, *, now: datetime, caller: Caller | None = None
) -> ProductModel:
    changes = {name: getattr(model_in, name) for name in model_in.model_fields_set}
    return _update(session, get_model(session, model_code), changes, now=now, caller=caller)


def list_models(session: Session, *, after: str | None, limit: int, q: str | None = None) -> list[ProductModel]:
    after = str(after) if after is not None else None
    query = pagination.keyset(select(ProductModel), ProductModel.model_code, after=after, limit=limit)
    query = search.contains(query, (ProductModel.model_code, ProductModel.name), q)
    return list(session.scalars(query))


def bill_of(session: Session, model_code: str) -> list[BomLine]:
    query = select(BomLine).where(BomLine.model_code == model_code).order_by(BomLine.part_number)
    return list(session.scalars(query))


def replace_bill(
    session: Session, model_code: str, lines: Sequence[tuple[str, int]], *, now: datetime,
    caller: Caller | None = None,
) -> list[BomLine]:
    model = get_model(session, model_code)
    parts_by_number(session, [part for part, _ in lines])
    before = {line.part_number: line.qty_per_unit for line in bill_of(session, model_code)}
    session.execute(delete(BomLine).where(BomLine.model_code == model_code))
    session.add_all(BomLine(model_code=model_code, part_number=part, qty_per_unit=qty) for part, qty in lines)
    model.updated_at = now
    session.flush()
    bill = bill_of(session, model_code)
    # The bill as {part number: qty per unit}, before and after: one entry says what the PUT changed.
    trail.record(session, caller, action="replace", object_type="bill_of_parts", object_id=model_code, at=now,
                 before={"parts": before}, after={"parts": {line.part_number: line.qty_per_unit for line in bill}})
    return bill
