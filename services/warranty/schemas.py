"""The warranty service's wire shapes."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictBool

from services.warranty.domain.adjudication import KNOWN_CAUSES
from services.warranty.domain.terms import COMPONENTS
from shared import wire
from shared.contracts import warranty as contract
from shared.contracts.warranty import ClaimCertificate
from shared.types import IsoDate, Qty, StrictModel, Text
from shared.wire import Serial

SERIAL_PATTERN = wire.SERIAL_PATTERN  # the importer checks a row's serial with it
Component = Literal[COMPONENTS]  # type: ignore[valid-type]
TermKindName = Literal["months", "heating_seasons", "cooling_seasons"]
HistoryKind = contract.HistoryKind
# The answers other services read are warranty's contract (shared/contracts/warranty.py); named here as well.
SiteRead, CertificateRead, TermRead, UnitRead = contract.SiteRead, contract.CertificateRead, contract.TermRead, \
    contract.UnitRead
CoverageItem, CoverageRead, ReasonRead, ClaimRead = contract.CoverageItem, contract.CoverageRead, \
    contract.ReasonRead, contract.ClaimRead
SeasonRead, RegionRead = contract.SeasonRead, contract.RegionRead


def _known_cause(value: str) -> str:
    if value not in KNOWN_CAUSES:
        raise ValueError(f"unknown cause {value!r}; known: {', '.join(sorted(KNOWN_CAUSES))}")
    return value


Cause = Annotated[str, AfterValidator(_known_cause)]


class SiteIn(StrictModel):
    name: Text
    address: Annotated[str, Field(max_length=contract.SITE_ADDRESS_MAX_LENGTH)] | None = None
    region: Annotated[str, Field(min_length=contract.REGION_MIN_LENGTH,
                                 max_length=contract.REGION_MAX_LENGTH)] | None = None


class CertificateIn(StrictModel):
    number: Annotated[str, Field(min_length=1, max_length=contract.CERTIFICATE_NUMBER_MAX_LENGTH)]
    product_name: Text | None = None
    model_code: Annotated[str, Field(min_length=1, max_length=contract.CERTIFICATE_MODEL_CODE_MAX_LENGTH)] | None = None
    serial_number: Annotated[str, Field(min_length=1, max_length=contract.CERTIFICATE_SERIAL_MAX_LENGTH)] | None = None


class UnitCreate(StrictModel):
    serial_number: Serial
    model_code: Annotated[str, Field(min_length=contract.MODEL_CODE_MIN_LENGTH,
                                     max_length=contract.MODEL_CODE_MAX_LENGTH)]
    product_name: Text
    site: SiteIn
    project_code: Annotated[str, Field(max_length=contract.PROJECT_CODE_MAX_LENGTH)] | None = None
    accepted_on: IsoDate
    certificate: CertificateIn | None = None









class ClaimCreate(StrictModel):
    serial_number: Serial
    failed_on: IsoDate
    component: Component
    causes: Annotated[list[Cause], Field(max_length=contract.CLAIM_CAUSES_MAX_ITEMS)]
    certificate: ClaimCertificate | None
    description: Annotated[str, Field(max_length=contract.CLAIM_DESCRIPTION_MAX_LENGTH)] | None = None




class PartReplaced(StrictModel):
    part_number: Annotated[str, Field(min_length=contract.PART_NUMBER_MIN_LENGTH,
                                      max_length=contract.PART_NUMBER_MAX_LENGTH)]
    qty: Qty


class ServiceRecordCreate(StrictModel):
    kind: HistoryKind
    performed_on: IsoDate
    technician: Text
    notes: Annotated[str, Field(max_length=contract.RECORD_NOTES_MAX_LENGTH)] | None = None
    parts_replaced: Annotated[list[PartReplaced], Field(max_length=contract.RECORD_PARTS_MAX_ITEMS)] | None = None


class HistoryItem(BaseModel):
    id: int
    at: datetime
    on: date
    kind: Literal["claim", "repair", "inspection", "maintenance"]
    summary: str
    technician: str | None = None
    notes: str | None = None
    claim_id: int | None = None
    decision: str | None = None
    parts_replaced: list[dict] | None = None


class HistoryPage(BaseModel):
    items: list[HistoryItem]
    next_cursor: str | None


class TermIn(StrictModel):
    component: Component
    kind: TermKindName
    length: Annotated[int, Field(strict=True)]


class PolicyUpdate(StrictModel):
    effective_from: IsoDate | None = None
    terms: Annotated[list[TermIn], Field(min_length=contract.POLICY_TERMS_MIN_ITEMS,
                                         max_length=contract.POLICY_TERMS_MAX_ITEMS)]


class PolicyRead(BaseModel):
    version: int
    effective_from: date
    terms: list[dict]
    created_at: datetime


class PolicyPage(BaseModel):
    items: list[PolicyRead]
    next_cursor: str | None


MonthDayText = Annotated[str, Field(pattern=r"^\d{2}-\d{2}$", examples=["11-15"])]


class SeasonIn(StrictModel):
    start: MonthDayText
    end: MonthDayText


class RegionUpdate(StrictModel):
    heating: SeasonIn
    cooling: SeasonIn
    effective_from: IsoDate | None = None
    apply_to_existing_units: StrictBool = False




class RegionList(BaseModel):
    items: list[RegionRead]
    next_cursor: str | None = None


class ImportError_(BaseModel):
    row: int
    serial_number: str | None
    code: str
    message: str


class ImportResult(BaseModel):
    created: int
    skipped: int
    errors: list[ImportError_]
