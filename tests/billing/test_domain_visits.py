from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.visits import PlannedVisit, plan_visits
from shared import periods
from shared.seasons import MonthDay, Season


def season(start: str, end: str) -> Season:
    return Season(MonthDay.parse(start), MonthDay.parse(end))


SHANDONG = {"heating": season("11-15", "03-15"), "cooling": season("06-01", "09-30")}
BEIJING = {"heating": season("11-15", "03-15"), "cooling": season("06-01", "09-15")}
HARBIN = {"heating": season("10-20", "04-20"), "cooling": season("07-01", "08-31")}


def M(text: str) -> PlannedVisit:
    return PlannedVisit(date.fromisoformat(text), "maintenance")


def I(text: str) -> PlannedVisit:  # noqa: E743 - reads like the spec's list
    return PlannedVisit(date.fromisoformat(text), "inspection")


def plan(calendar: dict[str, Season], starts_on: str, ends_on: str) -> list[PlannedVisit]:
    return plan_visits(
        starts_on=date.fromisoformat(starts_on), ends_on=date.fromisoformat(ends_on), **calendar
    )


def test_shandong_2025_matches_the_worked_example_of_the_spec():
    assert plan(SHANDONG, "2025-01-01", "2025-12-31") == [
        I("2025-01-15"),
        I("2025-03-15"),
        M("2025-06-01"),
        I("2025-08-01"),
        M("2025-11-15"),
    ]


@pytest.mark.parametrize(
    ("calendar", "starts_on", "ends_on", "expected"),
    [
        pytest.param(SHANDONG, "2025-06-01", "2025-09-30", [M("2025-06-01"), I("2025-08-01")],
                     id="contract-spans-exactly-one-cooling-season"),
        pytest.param(SHANDONG, "2025-06-02", "2025-09-30", [I("2025-08-01")],
                     id="contract-starting-a-day-after-season-start-misses-the-maintenance"),
        pytest.param(SHANDONG, "2025-01-01", "2025-03-15", [I("2025-01-15"), I("2025-03-15")],
                     id="contract-ending-on-season-last-day-keeps-the-inspection-on-it"),
        pytest.param(SHANDONG, "2025-01-01", "2025-03-14", [I("2025-01-15")],
                     id="contract-ending-a-day-before-loses-that-inspection"),
        pytest.param(SHANDONG, "2024-11-15", "2025-03-15",
                     [M("2024-11-15"), I("2025-01-15"), I("2025-03-15")],
                     id="contract-spans-exactly-one-heating-season-across-new-year"),
        pytest.param(SHANDONG, "2025-07-01", "2025-08-31", [I("2025-08-01")],
                     id="contract-inside-one-season"),
        pytest.param(SHANDONG, "2025-10-01", "2025-11-14", [],
                     id="contract-between-seasons-plans-nothing"),
        pytest.param(SHANDONG, "2025-06-01", "2025-06-01", [M("2025-06-01")],
                     id="one-day-contract-on-a-season-start"),
        pytest.param(SHANDONG, "2025-08-01", "2025-08-01", [I("2025-08-01")],
                     id="one-day-contract-on-an-inspection-day"),
        pytest.param(SHANDONG, "2025-07-01", "2025-07-01", [],
                     id="one-day-contract-on-an-ordinary-day"),
        pytest.param(
            SHANDONG, "2024-06-01", "2026-05-31",
            [M("2024-06-01"), I("2024-08-01"), M("2024-11-15"), I("2025-01-15"), I("2025-03-15"),
             M("2025-06-01"), I("2025-08-01"), M("2025-11-15"), I("2026-01-15"), I("2026-03-15")],
            id="multi-year-contract",
        ),
        pytest.param(
            HARBIN, "2025-01-01", "2025-12-31",
            [I("2025-02-20"), I("2025-04-20"), M("2025-07-01"), M("2025-10-20"), I("2025-12-20")],
            id="harbin-calendar-short-cooling-season-has-no-inspection",
        ),
        pytest.param(
            BEIJING, "2025-01-01", "2025-12-31",
            [I("2025-01-15"), I("2025-03-15"), M("2025-06-01"), I("2025-08-01"), M("2025-11-15")],
            id="beijing-cooling-ending-09-15-stops-after-08-01",
        ),
    ],
)
def test_planned_visits(calendar, starts_on, ends_on, expected):
    assert plan(calendar, starts_on, ends_on) == expected


@pytest.mark.parametrize(
    ("cooling_end", "expected_inspections"),
    [
        ("09-30", ["2025-08-01"]),
        ("10-01", ["2025-08-01", "2025-10-01"]),
        ("07-31", []),
        ("08-01", ["2025-08-01"]),
    ],
)
def test_inspection_is_kept_on_season_last_day_and_dropped_the_day_after(cooling_end, expected_inspections):
    calendar = {"heating": season("12-01", "12-02"), "cooling": season("06-01", cooling_end)}
    visits = plan(calendar, "2025-05-01", "2025-11-30")
    assert visits == [M("2025-06-01")] + [I(d) for d in expected_inspections]


@pytest.mark.parametrize(
    ("start", "end", "year", "expected"),
    [
        pytest.param("08-31", "03-31", 2025,
                     ["2025-08-31", "2025-10-31", "2025-12-31", "2026-02-28"], id="from-08-31"),
        pytest.param("08-31", "03-31", 2027,
                     ["2027-08-31", "2027-10-31", "2027-12-31", "2028-02-29"], id="from-08-31-leap-year"),
        # Counted from the first day, not chained from the previous inspection:
        # 12-31 -> 02-28 -> 04-30, where chaining would give 04-28.
        pytest.param("12-31", "05-31", 2025,
                     ["2025-12-31", "2026-02-28", "2026-04-30"], id="from-12-31-not-chained"),
        pytest.param("10-31", "04-30", 2025,
                     ["2025-10-31", "2025-12-31", "2026-02-28", "2026-04-30"], id="from-10-31"),
        pytest.param("01-31", "03-30", 2025, ["2025-01-31"], id="03-31-falls-after-03-30"),
    ],
)
def test_inspections_follow_the_civil_code_month_end_rule(start, end, year, expected):
    heating = season(start, end)
    first, last = heating.window(year)
    # A two-day cooling season in June falls outside every heating window above.
    visits = plan_visits(starts_on=first, ends_on=last, heating=heating, cooling=season("06-10", "06-11"))
    assert visits == [M(expected[0])] + [I(d) for d in expected[1:]]


def test_same_day_visits_from_both_seasons_are_not_duplicated():
    calendar = {"heating": season("06-01", "09-30"), "cooling": season("06-01", "08-31")}
    assert plan(calendar, "2025-01-01", "2025-12-31") == [M("2025-06-01"), I("2025-08-01")]


def test_maintenance_comes_before_an_inspection_on_the_same_day():
    calendar = {"heating": season("06-01", "09-30"), "cooling": season("08-01", "09-30")}
    assert plan(calendar, "2025-01-01", "2025-12-31") == [
        M("2025-06-01"),
        M("2025-08-01"),
        I("2025-08-01"),
    ]


def test_contract_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        plan(SHANDONG, "2025-12-31", "2025-01-01")


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# Month ends (29th-31st) are where the Civil Code rule bites, so they are drawn too.
month_days = st.integers(1, 12).flatmap(
    lambda m: st.builds(MonthDay, st.just(m), st.integers(1, _DAYS_IN_MONTH[m - 1]))
)
seasons = st.tuples(month_days, month_days).filter(lambda t: t[0] != t[1]).map(lambda t: Season(*t))
calendars = st.one_of(
    st.sampled_from([SHANDONG, BEIJING, HARBIN]),
    st.fixed_dictionaries({"heating": seasons, "cooling": seasons}),
)
contracts = st.tuples(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)),
    st.integers(0, 1500),
).map(lambda t: (t[0], t[0] + timedelta(days=t[1])))


@given(calendar=calendars, contract=contracts)
def test_planned_visits_are_sorted_unique_and_inside_the_contract(calendar, contract):
    starts_on, ends_on = contract
    visits = plan_visits(starts_on=starts_on, ends_on=ends_on, **calendar)
    assert len(set(visits)) == len(visits)
    assert visits == sorted(visits, key=lambda v: (v.date, v.kind != "maintenance"))
    assert all(starts_on <= v.date <= ends_on for v in visits)


@given(calendar=calendars, contract=contracts)
def test_every_visit_is_a_season_start_or_an_even_month_after_it(calendar, contract):
    starts_on, ends_on = contract
    allowed = set()
    for s in calendar.values():
        for first, last in s.windows_overlapping(starts_on, ends_on):
            allowed.add(PlannedVisit(first, "maintenance"))
            k = 1
            while (day := periods.add_months(first, 2 * k)) <= last:
                allowed.add(PlannedVisit(day, "inspection"))
                k += 1
    visits = plan_visits(starts_on=starts_on, ends_on=ends_on, **calendar)
    assert set(visits) == {v for v in allowed if starts_on <= v.date <= ends_on}


@given(calendar=calendars, contract=contracts, cut=st.integers(0, 1500))
def test_splitting_a_contract_in_two_splits_its_visits(calendar, contract, cut):
    starts_on, ends_on = contract
    middle = min(starts_on + timedelta(days=cut), ends_on)
    whole = plan_visits(starts_on=starts_on, ends_on=ends_on, **calendar)
    first = plan_visits(starts_on=starts_on, ends_on=middle, **calendar)
    second = (
        plan_visits(starts_on=middle + timedelta(days=1), ends_on=ends_on, **calendar)
        if middle < ends_on
        else []
    )
    assert first + second == whole
