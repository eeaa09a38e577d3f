"""The warranty service's contract, as far as the station's forms need it (api.md "Warranty"): a claim, its
warranty certificate as read off the card, and a visit logged in a unit's history. Declared once:
services/warranty's schemas build from it, the web app reads it (the Jinja global `warranty_contract`)."""

from typing import Literal

from shared.contracts import values
from shared.contracts.common import (
    LONG_TEXT_MAX_LENGTH,
    PART_NUMBER_MAX_LENGTH,
    PART_NUMBER_MIN_LENGTH,
    QTY_MAX,
    QTY_MIN,
    SERIAL_CHARS,
    SERIAL_MAX_CHARS,
    SERIAL_MAX_LENGTH,
    SERIAL_MIN_CHARS,
    SERIAL_PATTERN,
    TEXT_MAX_LENGTH,
    TEXT_MIN_LENGTH,
)

__all__ = [  # what comes from common, re-published as warranty's own
    "LONG_TEXT_MAX_LENGTH", "PART_NUMBER_MAX_LENGTH", "PART_NUMBER_MIN_LENGTH", "QTY_MAX", "QTY_MIN",
    "SERIAL_CHARS", "SERIAL_MAX_CHARS", "SERIAL_MAX_LENGTH", "SERIAL_MIN_CHARS", "SERIAL_PATTERN", "TEXT_MAX_LENGTH",
    "TEXT_MIN_LENGTH",
]

# What is printed on a warranty certificate, copied as it reads (a claim's `certificate`).
CERTIFICATE_NUMBER_MAX_LENGTH = 100
CERTIFICATE_PRODUCT_NAME_MAX_LENGTH = TEXT_MAX_LENGTH
CERTIFICATE_MODEL_CODE_MAX_LENGTH = 100
CERTIFICATE_SERIAL_MAX_LENGTH = SERIAL_MAX_LENGTH
CLAIM_DESCRIPTION_MAX_LENGTH = LONG_TEXT_MAX_LENGTH
CLAIM_CAUSES_MAX_ITEMS = 20

# A visit logged in a unit's history (POST /warranty/units/{serial}/service-records).
HistoryKind = Literal["repair", "inspection", "maintenance"]
HISTORY_KINDS = values(HistoryKind)
RECORD_NOTES_MAX_LENGTH = LONG_TEXT_MAX_LENGTH
RECORD_PARTS_MAX_ITEMS = 100
