"""Searching a list by part of a code or a name: the one query parameter and the one filter every
service's list uses (sites, technicians, parts, models, warehouses, units)."""

from typing import Annotated

from fastapi import Query
from sqlalchemy import func, or_

from shared.contracts.common import SEARCH_MAX_LENGTH

MAX_LENGTH = SEARCH_MAX_LENGTH

Search = Annotated[str | None, Query(max_length=MAX_LENGTH, description="Part of the code or name, any case")]


def contains(query, columns, q: str | None):
    """`query` narrowed to the rows one of whose `columns` contains `q` (case-insensitive; `%` and `_` are
    plain characters); unchanged for an empty or blank `q`."""
    if not q or not q.strip():
        return query
    needle = q.strip().lower()
    return query.where(or_(*(func.lower(column).contains(needle, autoescape=True) for column in columns)))
