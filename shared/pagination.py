"""Keyset pagination: `?limit=&cursor=` in, `{"items", "next_cursor"}` out.

The cursor is the sort key of the last item given, opaque to clients.
"""

import base64
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from shared import errors

T = TypeVar("T")
DEFAULT_LIMIT = 50


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class BadCursor(errors.ServiceError):
    status, code, title = 422, "invalid_cursor", "The cursor is not one this list gave"

    def __init__(self) -> None:
        super().__init__(errors=[{"field": "cursor", "message": "not a cursor from this list"}])


def encode(key: Any) -> str:
    raw = json.dumps(key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None) -> Any:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise BadCursor() from None


def decode_as(cursor: str | None, valid) -> Any:
    """The decoded cursor, refused (422 `invalid_cursor`) unless `valid` accepts its shape:
    a cursor is opaque to clients, so anything but one this list gave is a client's error."""
    after = decode(cursor)
    if after is not None and not valid(after):
        raise BadCursor()
    return after


def is_text(value: Any) -> bool:
    return isinstance(value, str)


def is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2**31 - 1


def keyset(query, column, *, after, limit: int, descending: bool = False):
    """`query` ordered by a unique `column`, from after `after`, one row more than a page
    (so that `page` can tell whether more follow)."""
    if after is not None:
        query = query.where(column < after if descending else column > after)
    return query.order_by(column.desc() if descending else column).limit(limit + 1)


def page(rows: list, limit: int, key) -> tuple[list, str | None]:
    """Rows fetched with limit + 1: the page, and the cursor of its last row if more follow."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode(key(rows[-1]))
    return rows, None
