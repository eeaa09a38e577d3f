"""Wire shapes of planned visits (api.md, the visits rows)."""

from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from services.servicedesk.schemas import PartNumber, Phone, Serial, examples
from shared.contracts import servicedesk as contract
from shared.types import LongText, Qty, StrictModel, Text

Kind = contract.VisitKind
Status = contract.VisitStatus
Result = contract.ItemResult
Code = Annotated[str, Field(min_length=contract.CHECK_CODE_MIN_LENGTH, max_length=contract.CHECK_CODE_MAX_LENGTH)]
Station = Annotated[str, Field(min_length=contract.VISIT_STATION_MIN_LENGTH,
                               max_length=contract.VISIT_STATION_MAX_LENGTH)]
Notes = Annotated[str, Field(max_length=contract.ITEM_NOTES_MAX_LENGTH)]
# A reading: a JSON number (a string or a boolean is a 422, as for quantities).
Reading = Annotated[StrictInt | StrictFloat, Field(ge=contract.READING_MIN, le=contract.READING_MAX)]
TechnicianId = Annotated[StrictInt, Field(ge=contract.ID_MIN, le=contract.ID_MAX)]
SIGNATURE_EXAMPLE = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg"
                     "==")


class ItemIn(StrictModel):
    code: Code
    result: Result
    value: Reading | None = None
    notes: Notes | None = None


class PartUsed(StrictModel):
    part_number: PartNumber
    qty: Qty


class CustomerIn(StrictModel):
    name: Text
    phone: Phone | None = Field(default=None, description="Where to reach them: a ticket opened by the record "
                                                          "is complete with it")
    signature_png: Annotated[str, Field(min_length=contract.SIGNATURE_MIN_LENGTH,
                                        max_length=contract.SIGNATURE_MAX_LENGTH,
                                        description="The signature drawn on the screen: a PNG, base64 "
                                                    "(a data: URL is accepted too), at most 200 KB")]


class VisitRecordIn(StrictModel):
    model_config = examples({
        "technician_id": 7, "technician": "王磊", "at": "2026-05-10T02:30:00Z",
        "items": [{"code": "s9_1_2_1", "result": "ok"}, {"code": "s9_1_2_2", "result": "fixed", "notes": "紧固"},
                  {"code": "s9_1_2_3", "result": "needs_repair", "notes": "四通阀换向不良"}],
        "parts_used": [{"part_number": "FLT-2", "qty": 1}], "notes": "用户要求下次提前电话联系",
        "customer": {"name": "李娜", "phone": "+86 531 8888 0001", "signature_png": SIGNATURE_EXAMPLE},
    })

    technician_id: TechnicianId = Field(description="An active technician of the caller's station (a service "
                                                    "centre's: of it or its stations); desk and admin: of any "
                                                    "station. Else 422 unknown_technician")
    technician: Text | None = Field(default=None, description="Not used: the record and the history name the "
                                                              "technician as the organisation's table does")
    at: AwareDatetime | None = Field(default=None, description="When the visit was done (RFC 3339); default now; "
                                                               "never in the future")
    items: Annotated[list[ItemIn], Field(max_length=contract.CHECKLIST_MAX_ITEMS)]
    parts_used: Annotated[list[PartUsed], Field(max_length=contract.PARTS_USED_MAX_ITEMS)] | None = None
    notes: LongText | None = None
    customer: CustomerIn


class CancelVisitIn(StrictModel):
    model_config = examples({"reason": "用户已拆除机组"})

    reason: Annotated[str, Field(min_length=contract.REASON_MIN_LENGTH, max_length=contract.REASON_MAX_LENGTH)]


class PlanIn(StrictModel):
    model_config = examples({"serial_numbers": ["KFR72-000001"], "station": "ST-JINAN-07"},
                            {"contract_id": 12})

    serial_numbers: Annotated[list[Serial], Field(max_length=contract.PLAN_SERIALS_MAX_ITEMS)] | None = None
    contract_id: Annotated[StrictInt, Field(ge=contract.ID_MIN, le=contract.ID_MAX)] | None = None
    station: Station | None = Field(default=None, description="The station that does them: set on the visits "
                                                               "planned that have none yet")


class ModelSpecIn(StrictModel):
    model_config = examples({"supply_volts": 380, "refrigerant": "R410A", "rated_current_a": 12.5})

    supply_volts: contract.SupplyVolts | None = None
    refrigerant: contract.Refrigerant | None = None
    rated_current_a: Annotated[StrictInt | StrictFloat, Field(gt=0, le=contract.RATED_CURRENT_MAX)] | None = None


class ModelSpecRead(BaseModel):
    model_code: str
    supply_volts: int | None
    refrigerant: str | None
    rated_current_a: float | None
    updated_at: datetime | None


class MeasureRead(BaseModel):
    unit: str
    min: float | None
    max: float | None


class ChecklistItemRead(BaseModel):
    code: str
    label: str
    label_en: str
    measure: MeasureRead | None = None


class ItemRead(BaseModel):
    code: str
    result: Result
    value: float | None = None
    notes: str | None = None
    out_of_range: bool = False


class ActorRead(BaseModel):
    kind: str
    name: str


class CustomerRead(BaseModel):
    name: str
    phone: str | None = None
    signed: bool


class RecordRead(BaseModel):
    at: datetime
    entered_at: datetime | None = None
    technician_id: int
    technician: str
    station: str | None = Field(default=None, description="The technician's station when the record was taken")
    items: list[ItemRead]
    parts_used: list[dict] = []
    notes: str | None = None
    customer: CustomerRead
    by: ActorRead


class CancellationRead(BaseModel):
    at: datetime
    reason: str
    by: ActorRead


class TechnicianChoice(BaseModel):
    id: int
    name: str
    station: str


class VisitRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 1, "serial_number": "KFR72-000001", "kind": "pre_season", "due_on": "2026-05-17",
        "status": "planned", "station": "ST-JINAN-07", "region": "shandong", "season": "cooling",
        "season_year": 2026, "recordable_from": "2026-04-17", "recordable_until": "2026-06-16"}]})

    id: int
    serial_number: str
    kind: Kind
    due_on: date
    status: Status
    contract_id: int | None = None
    station: str | None = None
    region: str
    model_code: str | None = None
    season: contract.Season | None = None
    season_year: int | None = None
    recordable_from: date
    recordable_until: date
    checklist: list[ChecklistItemRead] | None = None
    record: RecordRead | None = None
    out_of_range: list[str] | None = None
    ticket_id: int | None = None
    history_delivered: bool | None = None
    cancellation: CancellationRead | None = None
    technicians: list[TechnicianChoice] | None = Field(
        default=None, description="A planned visit read alone: who may record it, to pick from (a station-bound "
                                  "caller: its stations' active technicians; else all, the visit's region first)")


class VisitPage(BaseModel):
    items: list[VisitRead]
    next_cursor: str | None


class PlanRead(BaseModel):
    planned: int = Field(description="Visits added by this pass")
    cancelled: int = Field(description="Planned visits no longer in their unit's or contract's plan")
    units: list[str] = Field(description="The units planned")
    problems: list[dict] = Field(description="What could not be planned: {serial_number?|contract_id?, code, "
                                             "message}")
