"""Strict wire types: the API coerces nothing it was not asked to."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, Strict, WithJsonSchema

from shared.contracts import common
from shared.money import to_wire

# Ids are 32-bit integers on PostgreSQL: a larger one cannot exist anywhere.
MAX_ID = common.ID_MAX
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONEY = re.compile(r"^\d{1,12}(\.\d{1,2})?$")
_DECIMAL = re.compile(r"^\d{1,9}(\.\d{1,4})?$")


class StrictModel(BaseModel):
    """Request bodies: unknown fields are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


def iso_date(value: object) -> object:
    """A date as the API takes it (YYYY-MM-DD, a real calendar day); raises ValueError with the words."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value} is not a calendar date") from exc


def _money(value: object) -> object:
    if isinstance(value, Decimal):
        return value
    # Money travels as a string so that no float ever rounds it.
    if not isinstance(value, str) or not _MONEY.match(value):
        raise ValueError('must be a non-negative decimal string with at most two places, like "1280.00"')
    return Decimal(value)


def _decimal(value: object) -> object:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError('must be a decimal string like "1.5" or an integer')
    text = str(value)
    if not _DECIMAL.match(text):
        raise ValueError("must be a non-negative decimal with at most four places")
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError("is not a decimal number") from exc


IsoDate = Annotated[date, BeforeValidator(iso_date)]
# The contract says what is accepted: a string (a number is refused), not pydantic's number-or-string.
Money = Annotated[
    Decimal, BeforeValidator(_money), PlainSerializer(to_wire, return_type=str),
    WithJsonSchema({"type": "string", "pattern": _MONEY.pattern, "examples": ["1280.00"]}, mode="validation"),
    WithJsonSchema({"type": "string", "description": "decimal, two places", "examples": ["1280.00"]},
                   mode="serialization"),
]
DecimalIn = Annotated[
    Decimal, BeforeValidator(_decimal), PlainSerializer(str, return_type=str),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": _DECIMAL.pattern},
                              {"type": "integer", "minimum": 0, "maximum": 999_999_999}],
                    "examples": ["1.5"]}, mode="validation"),
    WithJsonSchema({"type": "string", "examples": ["1.5"]}, mode="serialization"),
]
Qty = Annotated[int, Strict(), Field(gt=common.QTY_MIN - 1, le=common.QTY_MAX)]
SignedQty = Annotated[int, Strict(), Field(ge=-common.QTY_MAX, le=common.QTY_MAX)]
Text = Annotated[str, Field(min_length=common.TEXT_MIN_LENGTH, max_length=common.TEXT_MAX_LENGTH)]
LongText = Annotated[str, Field(max_length=common.LONG_TEXT_MAX_LENGTH)]
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})?$")


def iso_timestamp(value: object) -> object:
    """A moment as the API takes it: RFC 3339 (UTC when it names no offset), never a number."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        raise ValueError("must be an RFC 3339 time, like 2026-11-27T08:00:00Z")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{value} is not a real time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# pydantic's own datetime also takes a number (seconds since 1970): the contract takes a time only.
IsoTimestamp = Annotated[datetime, BeforeValidator(iso_timestamp),
                         WithJsonSchema({"type": "string", "format": "date-time"}, mode="validation")]

