"""Wire shapes of the service desk's settings: the commitments and the working calendar (admin)."""

import re
from datetime import date, datetime, time
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, StrictBool

from services.servicedesk.domain import commitments
from services.servicedesk.schemas import ClockName, Level, Minutes, examples
from shared.contracts import servicedesk as contract
from shared.types import IsoDate, StrictModel


def _hhmm(value: str) -> str:
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        raise ValueError("a time of day is written HH:MM") from None
    if not re.match(r"^\d{2}:\d{2}$", value):
        raise ValueError("a time of day is written HH:MM")
    return parsed.strftime("%H:%M")


ClockTime = Annotated[str, AfterValidator(_hhmm)]


class PromiseIn(StrictModel):
    minutes: Minutes
    clock: ClockName


class LevelIn(StrictModel):
    level: Level
    dispatch: PromiseIn
    on_site: PromiseIn
    fixed: PromiseIn
    loaner: StrictBool


class CommitmentsUpdate(StrictModel):
    model_config = examples(commitments.DEFAULT.to_json())  # the service plan's promises

    effective_from: AwareDatetime | None = Field(default=None, description="Default now; never in the past")
    levels: Annotated[list[LevelIn], Field(min_length=len(contract.LEVELS), max_length=len(contract.LEVELS))]
    follow_up: PromiseIn
    complaint_answer: PromiseIn
    complaint_resolve: PromiseIn


class Hours(StrictModel):
    open: ClockTime = "08:30"
    close: ClockTime = "17:00"


class CalendarUpdate(StrictModel):
    model_config = examples({
        "holidays": ["2027-01-01", "2027-02-05", "2027-02-06"], "workdays": ["2027-02-20"],
        "provisional": False, "hours": {"open": "08:30", "close": "17:00"},
    })

    holidays: Annotated[list[IsoDate], Field(max_length=contract.CALENDAR_DAYS_MAX)]
    workdays: Annotated[list[IsoDate], Field(max_length=contract.CALENDAR_DAYS_MAX)]
    provisional: StrictBool = False
    hours: Hours = Field(default_factory=Hours)


class PromiseRead(BaseModel):
    minutes: int
    clock: str


class LevelRead(BaseModel):
    level: int
    dispatch: PromiseRead
    on_site: PromiseRead
    fixed: PromiseRead
    loaner: bool


class CommitmentsRead(BaseModel):
    version: int
    effective_from: datetime
    levels: list[LevelRead]
    follow_up: PromiseRead
    complaint_answer: PromiseRead
    complaint_resolve: PromiseRead


class HoursRead(BaseModel):
    open: str
    close: str


class CalendarRead(BaseModel):
    year: int
    holidays: list[date]
    workdays: list[date]
    provisional: bool
    hours: HoursRead
    timezone: str
    source: str
