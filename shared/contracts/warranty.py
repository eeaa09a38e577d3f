"""The warranty service's contract, as far as the station's forms need it (api.md "Warranty"): a claim, its
warranty certificate as read off the card, and a visit logged in a unit's history. Declared once:
services/warranty's schemas build from it, the web app reads it (the Jinja global `warranty_contract`)."""

from typing import Literal

from shared.contracts import values

# common's limits (ids, text, serials, parts, pages) are re-published as this contract's own: a caller reads
# every limit of the operation from one module.
from shared.contracts.common import *  # noqa: F403
from shared.contracts.common import (
    LONG_TEXT_MAX_LENGTH,
    SERIAL_MAX_LENGTH,
    TEXT_MAX_LENGTH,
)

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

# A unit as registered (POST /warranty/units, the console's new-unit form and the import's columns).
PROJECT_CODE_MAX_LENGTH = 100
SITE_ADDRESS_MAX_LENGTH = 500
REGION_MIN_LENGTH, REGION_MAX_LENGTH = 1, 40

# A policy version (PUT /warranty/policy): at most so many terms, each at least one month or season and at
# most its kind's cap, a sanity cap against typing mistakes (360 for 36), not a legal rule.
POLICY_TERMS_MIN_ITEMS, POLICY_TERMS_MAX_ITEMS = 1, 20
TERM_LENGTH_MIN = 1
TERM_LENGTH_MAX = {"months": 600, "heating_seasons": 50, "cooling_seasons": 50}
