"""The service desk's wire shapes. Timestamps: any offset in, UTC out."""

import dataclasses
from datetime import date, datetime
from typing import Annotated, Any, get_type_hints

import pydantic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from services.servicedesk.domain.milestones import Milestone
from shared.contracts import servicedesk as contract
from shared.types import LongText, Qty, StrictModel, Text
from shared.wire import Phone, Serial

Level = Annotated[StrictInt, Field(ge=contract.LEVEL_MIN, le=contract.LEVEL_MAX)]
Score = Annotated[StrictInt, Field(ge=contract.SCORE_MIN, le=contract.SCORE_MAX)]
Address = Annotated[str, Field(min_length=contract.ADDRESS_MIN_LENGTH, max_length=contract.ADDRESS_MAX_LENGTH)]
Channel = contract.Channel
PauseReason = contract.PauseReason
ClockName = contract.ClockName
Minutes = Annotated[StrictInt, Field(gt=contract.PROMISE_MINUTES_MIN - 1, le=contract.PROMISE_MINUTES_MAX)]
StationCode = Annotated[str, Field(min_length=contract.STATION_MIN_LENGTH, max_length=contract.STATION_MAX_LENGTH)]
Id = Annotated[StrictInt, Field(gt=0, le=contract.ID_MAX)]
PartNumber = Annotated[str, Field(min_length=contract.PART_NUMBER_MIN_LENGTH,
                                  max_length=contract.PART_NUMBER_MAX_LENGTH)]
ComplaintText = Annotated[str, Field(min_length=contract.COMPLAINT_TEXT_MIN_LENGTH,
                                     max_length=contract.COMPLAINT_TEXT_MAX_LENGTH)]
At = Annotated[AwareDatetime | None, Field(description="When it happened (RFC 3339); default now; never in the "
                                                        "future nor before the ticket's previous step")]


def examples(*values: dict) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(values)})


class CallerIn(StrictModel):
    name: Text
    phone: Phone | None = None


class CallerPatch(StrictModel):
    name: Text | None = None
    phone: Phone | None = None


class TicketCreate(StrictModel):
    model_config = examples({
        "serial_number": "KFR72-000001", "caller": {"name": "Li Na", "phone": "+86 531 8888 0001"},
        "description": "Outdoor unit stopped; no cooling in the ward", "level": 1, "channel": "phone",
        "reported_at": "2026-03-02T02:00:00Z",
    })

    serial_number: Serial | None = None
    caller: CallerIn
    site_address: Address | None = None
    description: LongText | None = None
    level: Level | None = None
    channel: Channel = "phone"
    reported_at: AwareDatetime | None = Field(default=None, description="When the call came in; default now")


class TicketUpdate(StrictModel):
    model_config = examples({"caller": {"phone": "+86 531 8888 0001"}, "site_address": "12 Jingshi Road, Jinan",
                             "at": "2026-03-02T02:05:00Z"})

    serial_number: Serial | None = None
    caller: CallerPatch | None = None
    site_address: Address | None = None
    description: LongText | None = None
    level: Level | None = None
    channel: Channel | None = None
    at: At = None


class DispatchIn(StrictModel):
    model_config = examples({"station": "ST-JINAN-07", "technician_id": 7, "caller_told_at": "2026-03-02T02:09:00Z",
                             "at": "2026-03-02T02:08:00Z"})

    station: StationCode
    technician_id: Id | None = None
    technician: Text | None = Field(default=None, description="A name exactly one active technician of the "
                                                              "station has (instead of technician_id)")
    caller_told_at: AwareDatetime | None = Field(default=None, description="When the caller was told the decision")
    at: At = None

    @model_validator(mode="after")
    def _one_technician(self):
        if (self.technician_id is None) == (self.technician is None):
            raise ValueError("name the technician by technician_id or by technician (a name), one of them")
        return self


class ArriveIn(StrictModel):
    model_config = examples({"technician": "Wang Lei", "at": "2026-03-02T03:30:00Z"})

    technician: Text
    at: At = None


class PauseIn(StrictModel):
    model_config = examples({"reason": "customer_unavailable", "at": "2026-03-02T02:30:00Z"})

    reason: PauseReason
    at: At = None


class ResumeIn(StrictModel):
    model_config = examples({"at": "2026-03-02T03:15:00Z"})

    at: At = None


class PartReplaced(StrictModel):
    part_number: PartNumber
    qty: Qty


class ResolveIn(StrictModel):
    model_config = examples({
        "technician": "Wang Lei", "summary": "Replaced the outdoor fan motor",
        "parts_replaced": [{"part_number": "FAN-OUT-72", "qty": 1}], "at": "2026-03-02T06:00:00Z",
    })

    technician: Text
    summary: LongText
    way: contract.Way = Field(
        default="on_site", description="phone or remote: fixed without a visit (no arrival needed)")
    parts_replaced: Annotated[list[PartReplaced], Field(max_length=contract.PARTS_REPLACED_MAX_ITEMS)] | None = None
    invoice_number: Annotated[str, Field(min_length=contract.INVOICE_NUMBER_MIN_LENGTH,
                                         max_length=contract.INVOICE_NUMBER_MAX_LENGTH)] | None = None
    at: At = None


class LoanerIn(StrictModel):
    model_config = examples({"warehouse": "SC-JINAN", "part_number": "LOANER-KFR72"},
                            {"emergency_measures": "Two portable units set up in the ward"})

    warehouse: Annotated[str, Field(min_length=contract.WAREHOUSE_MIN_LENGTH,
                                    max_length=contract.WAREHOUSE_MAX_LENGTH)] | None = None
    part_number: PartNumber | None = None
    emergency_measures: Annotated[str, Field(min_length=contract.EMERGENCY_MEASURES_MIN_LENGTH,
                                             max_length=contract.EMERGENCY_MEASURES_MAX_LENGTH)] | None = None

    @model_validator(mode="after")
    def _one_way(self):
        part = self.warehouse is not None and self.part_number is not None
        partial = (self.warehouse is None) != (self.part_number is None)
        if partial or part == (self.emergency_measures is not None):
            raise ValueError("give a warehouse and a part_number, or emergency_measures")
        return self


class FollowUpIn(StrictModel):
    model_config = examples({"reached": True, "satisfaction": 5, "notes": "Cooling fine since the visit",
                             "at": "2026-03-03T02:00:00Z"})

    reached: StrictBool
    satisfaction: Score | None = None
    notes: LongText | None = None
    at: At = None


class CancelIn(StrictModel):
    model_config = examples({"reason": "Duplicate of SR-2026-000041"})

    reason: Annotated[str, Field(min_length=contract.REASON_MIN_LENGTH, max_length=contract.REASON_MAX_LENGTH)]


class ComplaintCreate(StrictModel):
    model_config = examples({"ticket_id": 1, "caller": {"name": "Li Na", "phone": "+86 531 8888 0001"},
                             "description": "Nobody came in the morning as promised",
                             "made_at": "2026-09-30T07:00:00Z"})

    ticket_id: Id | None = None
    serial_number: Serial | None = None
    caller: "ComplaintCaller"
    description: ComplaintText
    made_at: AwareDatetime | None = Field(default=None, description="When the complaint was made; default now")


class ComplaintCaller(StrictModel):
    name: Text
    phone: Phone


ComplaintCreate.model_rebuild()


class RedispatchIn(StrictModel):
    model_config = examples({"station": "ST-JINAN-08", "technician_id": 12})

    station: StationCode
    technician_id: Id


class ComplaintAction(StrictModel):
    model_config = examples({"by": "Zhao Min", "notes": "Called back; visit booked for 14:00",
                             "at": "2026-10-08T01:00:00Z"})

    by: Text
    notes: ComplaintText
    at: Annotated[AwareDatetime | None, Field(description="When it happened; default now; never in the future")] = None


# ---- answers -------------------------------------------------------------------------------

# A milestone is answered as the domain computes it (domain/milestones.py): its fields, in their order, all required.
_MILESTONE_TYPES = get_type_hints(Milestone)
MilestoneRead = pydantic.create_model(
    "MilestoneRead", **{f.name: (_MILESTONE_TYPES[f.name], ...) for f in dataclasses.fields(Milestone)}
)


class CoverageRead(BaseModel):
    component: str
    covered: bool
    covered_through: date | None


class LoanerRead(BaseModel):
    status: contract.LoanerStatus
    reservation_id: int | None
    warehouse: str | None = None
    part_number: str | None = None
    emergency_measures: str | None = None


class FollowUpAttemptRead(BaseModel):
    at: datetime
    reached: bool
    satisfaction: int | None
    notes: str | None
    by: str


class FollowUpRead(BaseModel):
    due_at: datetime | None
    state: str
    provisional: bool
    attempts: list[FollowUpAttemptRead]


class ActorRead(BaseModel):
    kind: contract.ActorKind
    name: str


class EventRead(BaseModel):
    at: datetime
    event: str
    by: ActorRead
    entered_at: datetime | None = Field(default=None, description="When it was entered, when that is more than "
                                                                   "a minute apart from `at`")
    data: dict[str, Any]


class CallerRead(BaseModel):
    name: str | None
    phone: str | None


class TicketRead(BaseModel):
    id: int
    number: str
    status: str
    level: int | None
    channel: str
    serial_number: str | None
    unit_known: bool | None
    caller: CallerRead
    site_address: str | None
    description: str | None
    reported_at: datetime
    complete_at: datetime | None
    missing: list[str]
    coverage: list[CoverageRead] | None
    coverage_pending: bool
    commitments_version: int | None
    technician: str | None
    technician_id: int | None = None
    station: str | None
    caller_told_at: datetime | None = None
    follow_on_of: int | None = Field(default=None, description="The original ticket of one sent after a complaint")
    complaint_id: int | None = None
    milestones: list[MilestoneRead]
    paused: bool
    loaner: LoanerRead
    follow_up: FollowUpRead | None
    resolution: dict[str, Any] | None
    history_delivered: bool | None
    satisfaction: int | None
    timeline: list[EventRead]


class TicketPage(BaseModel):
    items: list[TicketRead]
    next_cursor: str | None


class ComplaintRead(BaseModel):
    id: int
    status: contract.ComplaintStatus
    source: contract.ComplaintSource
    ticket_id: int | None
    serial_number: str | None
    caller: CallerRead
    description: str
    made_at: datetime
    commitments_version: int
    milestones: list[MilestoneRead]
    answer: dict[str, Any] | None
    resolution: dict[str, Any] | None


class ComplaintPage(BaseModel):
    items: list[ComplaintRead]
    next_cursor: str | None
