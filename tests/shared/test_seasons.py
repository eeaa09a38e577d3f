from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.seasons import MonthDay, Season


def season(start: str, end: str) -> Season:
    return Season(MonthDay.parse(start), MonthDay.parse(end))


SHANDONG_HEATING = season("11-15", "03-15")
SHANDONG_COOLING = season("06-01", "09-30")
BEIJING_HEATING = season("11-15", "03-15")
BEIJING_COOLING = season("06-01", "09-15")
HARBIN_HEATING = season("10-20", "04-20")
HARBIN_COOLING = season("07-01", "08-31")


@pytest.mark.parametrize(
    ("accepted_on", "heating_through", "cooling_through"),
    [
        (date(2024, 3, 1), date(2027, 3, 15), date(2026, 9, 30)),
        (date(2024, 12, 1), date(2028, 3, 15), date(2027, 9, 30)),
        (date(2024, 11, 15), date(2027, 3, 15), date(2027, 9, 30)),
    ],
)
def test_shandong_worked_examples_of_the_spec(accepted_on, heating_through, cooling_through):
    assert SHANDONG_HEATING.covered_through(accepted_on, 3) == heating_through
    assert SHANDONG_COOLING.covered_through(accepted_on, 3) == cooling_through


def test_season_under_way_at_acceptance_is_not_counted():
    # The 2024 heating season runs 2024-11-15 to 2025-03-15; 2025, 2026, 2027 are counted.
    assert SHANDONG_HEATING.covered_through(date(2024, 12, 1), 3) == date(2028, 3, 15)


def test_season_starting_on_the_acceptance_day_counts():
    assert SHANDONG_HEATING.covered_through(date(2024, 11, 15), 3) == date(2027, 3, 15)
    assert SHANDONG_COOLING.covered_through(date(2024, 6, 1), 3) == date(2026, 9, 30)


@pytest.mark.parametrize(
    ("accepted_on", "expected"),
    [
        pytest.param(date(2024, 11, 14), date(2027, 3, 15), id="day before first day"),
        pytest.param(date(2024, 11, 15), date(2027, 3, 15), id="first day"),
        pytest.param(date(2024, 11, 16), date(2028, 3, 15), id="day after first day"),
        pytest.param(date(2024, 12, 31), date(2028, 3, 15), id="inside, before new year"),
        pytest.param(date(2025, 1, 1), date(2028, 3, 15), id="inside, after new year"),
        pytest.param(date(2025, 3, 15), date(2028, 3, 15), id="last day"),
        pytest.param(date(2025, 3, 16), date(2028, 3, 15), id="day after last day"),
        pytest.param(date(2025, 7, 1), date(2028, 3, 15), id="between seasons"),
    ],
)
def test_shandong_heating_acceptance_around_a_season(accepted_on, expected):
    assert SHANDONG_HEATING.covered_through(accepted_on, 3) == expected


@pytest.mark.parametrize(
    ("accepted_on", "expected"),
    [
        pytest.param(date(2024, 5, 31), date(2026, 9, 30), id="day before first day"),
        pytest.param(date(2024, 6, 1), date(2026, 9, 30), id="first day"),
        pytest.param(date(2024, 7, 15), date(2027, 9, 30), id="inside"),
        pytest.param(date(2024, 9, 30), date(2027, 9, 30), id="last day"),
        pytest.param(date(2024, 10, 1), date(2027, 9, 30), id="day after last day"),
        pytest.param(date(2025, 1, 1), date(2027, 9, 30), id="new year's day, between seasons"),
    ],
)
def test_shandong_cooling_acceptance_around_a_season(accepted_on, expected):
    assert SHANDONG_COOLING.covered_through(accepted_on, 3) == expected


@pytest.mark.parametrize(
    ("calendar_season", "accepted_on", "count", "expected"),
    [
        (HARBIN_HEATING, date(2024, 4, 20), 3, date(2027, 4, 20)),  # last day of the 2023 season
        (HARBIN_HEATING, date(2024, 10, 20), 3, date(2027, 4, 20)),
        (HARBIN_HEATING, date(2024, 10, 21), 3, date(2028, 4, 20)),
        (HARBIN_HEATING, date(2024, 5, 1), 2, date(2026, 4, 20)),
        (HARBIN_COOLING, date(2024, 7, 1), 3, date(2026, 8, 31)),
        (HARBIN_COOLING, date(2024, 7, 2), 3, date(2027, 8, 31)),
        (HARBIN_COOLING, date(2024, 9, 1), 1, date(2025, 8, 31)),
        (BEIJING_COOLING, date(2024, 3, 1), 3, date(2026, 9, 15)),
        (BEIJING_COOLING, date(2024, 9, 15), 3, date(2027, 9, 15)),
        (BEIJING_HEATING, date(2024, 3, 1), 3, date(2027, 3, 15)),
        (BEIJING_HEATING, date(2024, 12, 1), 1, date(2026, 3, 15)),
    ],
)
def test_harbin_and_beijing_calendars(calendar_season, accepted_on, count, expected):
    assert calendar_season.covered_through(accepted_on, count) == expected


def test_one_season_covers_only_the_next_season_to_start():
    assert SHANDONG_COOLING.covered_through(date(2024, 5, 1), 1) == date(2024, 9, 30)
    assert SHANDONG_HEATING.covered_through(date(2024, 5, 1), 1) == date(2025, 3, 15)


@pytest.mark.parametrize("count", [0, -1])
def test_a_season_term_counts_at_least_one_season(count):
    with pytest.raises(ValueError):
        SHANDONG_HEATING.covered_through(date(2024, 3, 1), count)


@pytest.mark.parametrize(
    ("calendar_season", "year", "expected"),
    [
        (SHANDONG_HEATING, 2024, (date(2024, 11, 15), date(2025, 3, 15))),
        (SHANDONG_COOLING, 2024, (date(2024, 6, 1), date(2024, 9, 30))),
        (HARBIN_HEATING, 2027, (date(2027, 10, 20), date(2028, 4, 20))),
        (season("12-31", "01-01"), 2024, (date(2024, 12, 31), date(2025, 1, 1))),
        (season("01-01", "12-31"), 2024, (date(2024, 1, 1), date(2024, 12, 31))),
    ],
)
def test_window_is_named_by_the_year_it_starts_and_may_cross_new_year(calendar_season, year, expected):
    assert calendar_season.window(year) == expected


def test_crosses_new_year_only_when_the_end_comes_before_the_start():
    assert SHANDONG_HEATING.crosses_new_year
    assert HARBIN_HEATING.crosses_new_year
    assert not SHANDONG_COOLING.crosses_new_year


def test_a_season_of_one_day_is_refused():
    with pytest.raises(ValueError):
        season("06-01", "06-01")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11-15", MonthDay(11, 15)),
        ("01-01", MonthDay(1, 1)),
        ("12-31", MonthDay(12, 31)),
        ("02-28", MonthDay(2, 28)),
    ],
)
def test_month_day_parses_mm_dd(text, expected):
    assert MonthDay.parse(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize(
    "text",
    [
        *("02-29", "02-30", "04-31", "13-01", "00-10", "01-00"),  # days that do not exist every year
        *("1-15", "11-5", "11/15", "1115", "11-15-01", "", "ab-cd", " 11-15", "11-15 ", "+1-15"),
    ],
)
def test_month_day_parse_refuses_bad_text(text):
    with pytest.raises(ValueError):
        MonthDay.parse(text)


def test_february_29_is_refused_because_it_does_not_exist_every_year():
    with pytest.raises(ValueError, match="every year"):
        MonthDay(2, 29)


@pytest.mark.parametrize(
    ("calendar_season", "first_day", "last_day", "expected"),
    [
        (
            SHANDONG_HEATING,
            date(2025, 1, 1),
            date(2025, 12, 31),
            [(date(2024, 11, 15), date(2025, 3, 15)), (date(2025, 11, 15), date(2026, 3, 15))],
        ),
        (SHANDONG_COOLING, date(2025, 1, 1), date(2025, 12, 31), [(date(2025, 6, 1), date(2025, 9, 30))]),
        (SHANDONG_COOLING, date(2025, 10, 1), date(2026, 5, 31), []),
        (SHANDONG_COOLING, date(2025, 9, 30), date(2025, 9, 30), [(date(2025, 6, 1), date(2025, 9, 30))]),
        (SHANDONG_COOLING, date(2025, 5, 1), date(2025, 6, 1), [(date(2025, 6, 1), date(2025, 9, 30))]),
        (SHANDONG_HEATING, date(2025, 3, 16), date(2025, 11, 14), []),
        (
            SHANDONG_COOLING,
            date(2024, 7, 1),
            date(2026, 7, 1),
            [
                (date(2024, 6, 1), date(2024, 9, 30)),
                (date(2025, 6, 1), date(2025, 9, 30)),
                (date(2026, 6, 1), date(2026, 9, 30)),
            ],
        ),
    ],
)
def test_windows_overlapping_lists_every_season_sharing_a_day(calendar_season, first_day, last_day, expected):
    assert calendar_season.windows_overlapping(first_day, last_day) == expected


calendar_seasons = st.sampled_from(
    [SHANDONG_HEATING, SHANDONG_COOLING, BEIJING_COOLING, HARBIN_HEATING, HARBIN_COOLING]
)
acceptance_days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(calendar_seasons, acceptance_days, st.integers(min_value=1, max_value=10))
def test_term_ends_on_the_last_day_of_the_nth_season_starting_on_or_after_acceptance(
    calendar_season, accepted_on, count
):
    through = calendar_season.covered_through(accepted_on, count)
    starts = [
        calendar_season.window(year)[0]
        for year in range(accepted_on.year, through.year + 1)
        if accepted_on <= calendar_season.window(year)[0] <= through
    ]
    assert len(starts) == count
    assert calendar_season.window(starts[-1].year)[1] == through


@given(calendar_seasons, acceptance_days, st.integers(min_value=1, max_value=10))
def test_one_more_season_never_shortens_the_term(calendar_season, accepted_on, count):
    assert calendar_season.covered_through(accepted_on, count + 1) > calendar_season.covered_through(
        accepted_on, count
    )


@given(calendar_seasons, acceptance_days, st.integers(min_value=1, max_value=10))
def test_a_later_acceptance_never_ends_the_term_earlier(calendar_season, accepted_on, count):
    next_day = accepted_on + timedelta(days=1)
    later = calendar_season.covered_through(next_day, count)
    assert later >= calendar_season.covered_through(accepted_on, count)
