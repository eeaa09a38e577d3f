"""The warranty service's contract, as far as the station's forms need it (api.md "Warranty"): a claim, its
warranty certificate as read off the card, and a visit logged in a unit's history; and the answers other
services read (a unit, its coverage, a region's season calendar, a claim's decision) as wire models. Declared
once: services/warranty's schemas build from it, the web app reads it (the Jinja global `warranty_contract`),
billing's and the desk's clients parse warranty's answers with its models."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool

from shared.contracts import values

# common's limits (ids, text, serials, parts, pages) are re-published as this contract's own: a caller reads
# every limit of the operation from one module.
from shared.contracts.common import *  # noqa: F403
from shared.contracts.common import (
    LONG_TEXT_MAX_LENGTH,
    SERIAL_MAX_LENGTH,
    TEXT_MAX_LENGTH,
)
from shared.seasons import MonthDay, Season
from shared.types import StrictModel

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

# A policy version (PUT /warranty/policy): at most so many terms, each at least one month or season and at
# most its kind's cap, a sanity cap against typing mistakes (360 for 36), not a legal rule.
POLICY_TERMS_MIN_ITEMS, POLICY_TERMS_MAX_ITEMS = 1, 20
TERM_LENGTH_MIN = 1
TERM_LENGTH_MAX = {"months": 600, "heating_seasons": 50, "cooling_seasons": 50}


# ---- the wire models other services read -----------------------------------------------------------------


# The certificate a claim is judged with; billing takes it with a repair and passes it on to warranty unchanged.
class ClaimCertificate(StrictModel):
    number: Annotated[str, Field(max_length=CERTIFICATE_NUMBER_MAX_LENGTH)]
    product_name: Annotated[str, Field(max_length=CERTIFICATE_PRODUCT_NAME_MAX_LENGTH)]
    model_code: Annotated[str, Field(max_length=CERTIFICATE_MODEL_CODE_MAX_LENGTH)]
    serial_number: Annotated[str, Field(max_length=CERTIFICATE_SERIAL_MAX_LENGTH)]
    altered: StrictBool = False


class SiteRead(BaseModel):
    name: str
    address: str | None
    region: str


class CertificateRead(BaseModel):
    number: str
    product_name: str
    model_code: str
    serial_number: str


class TermRead(BaseModel):
    component: str
    kind: str
    length: int
    covered_from: date
    covered_through: date


# GET /units/{serial}: billing's bills and contracts, the desk's tickets and visits read it.
class UnitRead(BaseModel):
    serial_number: str
    model_code: str
    product_name: str
    site: SiteRead
    project_code: str | None
    accepted_on: date
    certificate: CertificateRead | None
    policy_version: int
    terms: list[TermRead]
    created_at: datetime


class CoverageItem(BaseModel):
    component: str
    covered: bool
    covered_from: date
    covered_through: date
    days_left: int
    reason: Literal["not_yet_accepted", "term_expired"] | None


class CoverageRead(BaseModel):
    serial_number: str
    on: date
    components: list[CoverageItem]


class ReasonRead(BaseModel):
    code: str
    message: str


class ClaimRead(BaseModel):
    id: int
    serial_number: str
    failed_on: date
    component: str
    causes: list[str]
    certificate: ClaimCertificate | None
    description: str | None
    decision: Literal["approved", "rejected"]
    reasons: list[ReasonRead]
    covered_from: date
    covered_through: date
    policy_version: int
    created_at: datetime
    # The unit's site as it stood when the answer was made: where the repair was, and whom a bill
    # for it is made out to when no contract names a customer. None only in a decision stored
    # before the answer carried it (an Idempotency-Key's replay).
    site: SiteRead | None = None


class SeasonRead(BaseModel):
    start: str
    end: str

    def season(self) -> Season:
        """The window as the season rules take it; ValueError when a day is not a calendar day."""
        return Season(MonthDay.parse(self.start), MonthDay.parse(self.end))


class RegionRead(BaseModel):
    region: str
    version: int
    effective_from: date
    heating: SeasonRead
    cooling: SeasonRead
    units_moved: int | None = None
