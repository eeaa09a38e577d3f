"""GET /reports/service: the service desk's figures of domain.md section 9 (figures.py), as JSON the gateway
turns into a table, a chart or an Excel file."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.servicedesk import figures
from shared import errors, reports
from shared.deps import CurrentCaller, CurrentClock
from shared.operations import Operations
from shared.types import IsoDate

router = APIRouter()
ops = Operations(router, tags=["reports"])
READERS = frozenset({"admin", "manager", "desk", "system"})
Rate = Annotated[float | None, Field(ge=0, le=1)]
EXAMPLE_ROW = {
    "key": "ST-JINAN-07", "name": "济南第七维修站", "reports": 42,
    "by_level": {"1": 3, "2": 6, "3": 25, "4": 8}, "by_channel": {"phone": 30, "web": 8, "wechat": 4},
    "on_time_rate": {"dispatch": 0.95, "on_site": 0.9, "fixed": 0.81},
    "minutes_to_dispatch": {"mean": 6.4, "p90": 9}, "minutes_to_site": {"mean": 95.0, "p90": 160},
    "minutes_to_fix": {"mean": 610.5, "p90": 1300}, "first_visit_fix_rate": 0.93,
    "loaners_owed": 2, "loaners_provided": 1, "loaners_measures_taken": 1,
    "follow_ups_done": 38, "follow_ups_on_time": 36, "follow_up_on_time_rate": 0.9, "mean_satisfaction": 4.6,
    "complaints": 2, "complaints_answered_on_time": 2, "complaint_on_time_rate": 1.0,
}


class Minutes(BaseModel):
    mean: float | None = Field(description="mean business minutes, one decimal; null: none")
    p90: int | None = Field(description="90th percentile (nearest rank: ceil(0.9 n)-th smallest); null: none")


class ServiceFigures(BaseModel):
    key: str = Field(description="the centre's or station's code, the technician's id, or the month (YYYY-MM, "
                                 "China time); `none`: not dispatched; `total` in `totals`")
    name: str
    reports: int = Field(description="fault reports reported in the period")
    by_level: dict[str, int] = Field(description="reports by fault level, 1-4 (one without a level: in `reports`)")
    by_channel: dict[str, int] = Field(description="reports by channel: phone, web, wechat")
    on_time_rate: dict[str, Rate] = Field(
        description="per milestone (dispatch, on_site, fixed): met / (met + met_late + breached); pending, "
                    "paused and not_needed left out; null: nothing to judge")
    minutes_to_dispatch: Minutes = Field(description="business minutes from complete to the dispatch decision")
    minutes_to_site: Minutes = Field(description="business minutes from complete to the arrival, less pauses")
    minutes_to_fix: Minutes = Field(description="business minutes from complete to the resolution, less pauses")
    first_visit_fix_rate: Rate = Field(
        description="resolved tickets of a registered unit with no other ticket (cancelled ones aside) for the "
                    "unit reported within 30 days after the resolution, judged now")
    loaners_owed: int = Field(description="tickets whose `fixed` was missed on a level that owes a loaner")
    loaners_provided: int = Field(description="tickets a loaner was reserved for")
    loaners_measures_taken: int = Field(description="tickets whose loaner was settled by emergency measures")
    follow_ups_done: int = Field(description="follow-up calls that reached the customer (closed tickets)")
    follow_ups_on_time: int
    follow_up_on_time_rate: Rate = Field(description="on time / (done + overdue and not done)")
    mean_satisfaction: float | None = Field(description="mean score 1-5 of the follow-up calls, one decimal")
    complaints: int = Field(description="complaints made in the period (grouped by their ticket)")
    complaints_answered_on_time: int
    complaint_on_time_rate: Rate = Field(description="answered on time / (met + met_late + breached)")


class ServiceReport(reports.ReportHead):
    rows: list[ServiceFigures]
    totals: ServiceFigures


@ops.get(
    "/reports/service", "getServiceReport",
    "The service desk's figures for a period, by centre, station, technician or month",
    raises=[errors.Forbidden, errors.Unprocessable],
    answer={"from": "2026-11-01", "to": "2026-11-30", "group_by": "station", "rows": [EXAMPLE_ROW],
            "totals": {**EXAMPLE_ROW, "key": "total", "name": "合计"}},
    description="Tickets reported (complaints made) from `from` 00:00 to `to` 24:00 China time, each in the group "
                "of the station it was dispatched to (`none`: not dispatched); a centre's group holds its repair "
                "stations' tickets and its own. States are judged now; rates are fractions 0-1. A station-bound "
                "caller reads its stations' figures only.",
)
def service_report(
    session, clock: CurrentClock, caller: CurrentCaller,
    start: Annotated[IsoDate | None, Query(alias="from", description="default: the 1st of `to`'s month")] = None,
    end: Annotated[IsoDate | None, Query(alias="to", description="default: today (China time)")] = None,
    group_by: Literal[figures.GROUPS] = "centre",
) -> ServiceReport:
    if caller.role not in READERS:
        raise errors.Forbidden("Only admin, manager and desk staff read the service desk's figures")
    now = clock.now()
    start, end = reports.period(start, end or figures.china_day(now), default_start=reports.month_start)
    return figures.service_report(session, start=start, end=end, group_by=group_by, caller=caller, now=now)
