"""What the services' figures reports (GET /reports/...) share: the head of the answer and the period read
from `from` and `to`."""

from collections.abc import Callable
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from shared import errors


class ReportHead(BaseModel):
    """The period and grouping a report answers with; each service's report adds its rows and totals."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    group_by: str


def year_start(day: date) -> date:
    return day.replace(month=1, day=1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def period(start: date | None, end: date, *, default_start: Callable[[date], date]) -> tuple[date, date]:
    """The period from `from` (default: `default_start` of `to`) to `to`, both days included; 422 when `from`
    is after `to`."""
    start = start or default_start(end)
    if start > end:
        raise errors.Unprocessable("`from` is after `to`", errors=[{"field": "from", "message": "after `to`"}])
    return start, end
