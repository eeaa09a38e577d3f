from datetime import date

import pytest

from shared import errors, reports


@pytest.mark.parametrize(
    ("start", "end", "default_start", "expected"),
    [
        (None, date(2026, 3, 31), reports.year_start, (date(2026, 1, 1), date(2026, 3, 31))),
        (None, date(2026, 11, 30), reports.month_start, (date(2026, 11, 1), date(2026, 11, 30))),
        (date(2026, 2, 1), date(2026, 2, 1), reports.year_start, (date(2026, 2, 1), date(2026, 2, 1))),
    ],
)
def test_period_defaults_from_to_the_start_of_to(start, end, default_start, expected):
    assert reports.period(start, end, default_start=default_start) == expected


def test_period_refuses_from_after_to():
    with pytest.raises(errors.Unprocessable) as refused:
        reports.period(date(2026, 3, 2), date(2026, 3, 1), default_start=reports.month_start)
    assert refused.value.extra["errors"] == [{"field": "from", "message": "after `to`"}]


def test_report_head_reads_from_by_its_alias_and_its_name():
    head = reports.ReportHead.model_validate({"from": "2026-01-01", "to": "2026-01-31", "group_by": "month"})
    assert head == reports.ReportHead(from_=date(2026, 1, 1), to=date(2026, 1, 31), group_by="month")
    assert head.model_dump(by_alias=True, mode="json")["from"] == "2026-01-01"
