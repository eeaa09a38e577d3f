from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared import periods

days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
month_counts = st.integers(min_value=-1200, max_value=1200)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        # domain.md section 2, Civil Code arts. 201-202
        (date(2024, 3, 1), 36, date(2027, 3, 1)),
        (date(2024, 2, 29), 36, date(2027, 2, 28)),
        (date(2023, 8, 31), 36, date(2026, 8, 31)),
    ],
)
def test_civil_code_examples_of_the_spec(start, months, expected):
    assert periods.add_months(start, months) == expected
    assert periods.months_end(start, months) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 1, 30), 1, date(2024, 2, 29)),
        (date(2024, 1, 29), 1, date(2024, 2, 29)),
        (date(2024, 1, 28), 1, date(2024, 2, 28)),
        (date(2024, 3, 31), 1, date(2024, 4, 30)),
        (date(2024, 5, 31), 1, date(2024, 6, 30)),
        (date(2024, 8, 31), 1, date(2024, 9, 30)),
        (date(2024, 10, 31), 1, date(2024, 11, 30)),
        (date(2024, 7, 31), 1, date(2024, 8, 31)),
        (date(2024, 1, 31), 2, date(2024, 3, 31)),
    ],
)
def test_period_ending_in_a_shorter_month_ends_on_its_last_day(start, months, expected):
    assert periods.add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2023, 2, 28), 12, date(2024, 2, 28)),
        (date(2023, 3, 29), -1, date(2023, 2, 28)),
        (date(2024, 3, 29), -1, date(2024, 2, 29)),
        (date(2100, 1, 31), 1, date(2100, 2, 28)),  # not a leap year: divisible by 100
        (date(2000, 1, 31), 1, date(2000, 2, 29)),  # a leap year: divisible by 400
    ],
)
def test_leap_days(start, months, expected):
    assert periods.add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 1, 15), -1, date(2023, 12, 15)),
        (date(2024, 3, 1), -36, date(2021, 3, 1)),
        (date(2024, 12, 31), -10, date(2024, 2, 29)),
        (date(2025, 1, 31), -13, date(2023, 12, 31)),
    ],
)
def test_negative_months_count_backwards(start, months, expected):
    assert periods.add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 12, 31), 1, date(2025, 1, 31)),
        (date(2024, 11, 30), 2, date(2025, 1, 30)),
        (date(2024, 12, 1), 12, date(2025, 12, 1)),
        (date(2024, 12, 15), 13, date(2026, 1, 15)),
        (date(2024, 1, 1), 11, date(2024, 12, 1)),
        (date(2024, 1, 1), 12, date(2025, 1, 1)),
    ],
)
def test_periods_cross_year_boundaries(start, months, expected):
    assert periods.add_months(start, months) == expected


def test_zero_months_is_the_start_day():
    assert periods.add_months(date(2024, 2, 29), 0) == date(2024, 2, 29)
    assert periods.months_end(date(2024, 2, 29), 0) == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (date(2024, 2, 29), 1, date(2025, 2, 28)),
        (date(2024, 2, 29), 4, date(2028, 2, 29)),
        (date(2024, 3, 1), 3, date(2027, 3, 1)),
        (date(2027, 3, 1), -3, date(2024, 3, 1)),
    ],
)
def test_add_years_is_twelve_months_a_year(start, years, expected):
    assert periods.add_years(start, years) == expected


def test_months_end_refuses_a_negative_period():
    with pytest.raises(ValueError):
        periods.months_end(date(2024, 3, 1), -1)


@given(days, month_counts)
def test_result_day_never_exceeds_the_start_day(start, months):
    assert periods.add_months(start, months).day <= start.day


@given(days, month_counts)
def test_result_lies_in_the_month_n_months_later(start, months):
    result = periods.add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months


@given(days, month_counts, month_counts)
def test_add_months_is_monotone_in_the_months(start, a, b):
    low, high = sorted((a, b))
    assert periods.add_months(start, low) <= periods.add_months(start, high)


@given(days, days, month_counts)
def test_add_months_is_monotone_in_the_start_day(a, b, months):
    early, late = sorted((a, b))
    assert periods.add_months(early, months) <= periods.add_months(late, months)


@given(days, st.integers(min_value=0, max_value=1200))
def test_period_end_is_never_before_the_start(start, months):
    assert periods.months_end(start, months) >= start
