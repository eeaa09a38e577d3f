"""The clocks on the PRC working calendar: every worked example of domain.md section 6, and more."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.servicedesk.calendars import package_schedule
from services.servicedesk.domain.calendar import (
    CHINA,
    WorkCalendar,
    YearSchedule,
    add_business_minutes,
    add_clock_minutes,
    business_minutes_between,
)
from services.servicedesk.domain.commitments import DEFAULT
from services.servicedesk.domain.milestones import Pause, evaluate, ticket_milestones


def cst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA)


def calendar() -> WorkCalendar:
    return WorkCalendar(year_of=package_schedule)


def dues(level: int, complete: str, pauses=(), now: str | None = None) -> dict[str, datetime]:
    found = ticket_milestones(calendar(), DEFAULT.level(level), complete_at=cst(complete), met={},
                              pauses=tuple(Pause(cst(a), cst(b)) for a, b in pauses),
                              now=cst(now or complete))
    return {m.name: m.due_at for m in found}


@pytest.mark.parametrize(("level", "complete", "pauses", "expected"), [
    # level 1, Spring Festival eve: holidays do not matter round the clock
    (1, "2026-02-16 22:30", (), {"dispatch": "2026-02-16 22:40", "on_site": "2026-02-17 00:30",
                                 "fixed": "2026-02-18 22:30"}),
    # level 4, a Friday before the Spring Festival: Saturday 14th is a working day in lieu, 15th-23rd off
    (4, "2026-02-13 16:50", (), {"dispatch": "2026-02-14 09:20", "on_site": "2026-02-24 15:50",
                                 "fixed": "2026-02-27 14:20"}),
    # level 3, during the National Day holiday: Saturday 10th is a working day in lieu
    (3, "2026-10-03 10:00", (), {"dispatch": "2026-10-08 09:00", "on_site": "2026-10-08 16:30",
                                 "fixed": "2026-10-10 15:30"}),
    # level 3 without its pause
    (3, "2026-03-06 14:00", (), {"dispatch": "2026-03-06 14:30", "on_site": "2026-03-09 13:30",
                                 "fixed": "2026-03-11 12:30"}),
    # level 3, paused Friday 16:00 to Monday 09:00 (90 business minutes); dispatch never moves
    (3, "2026-03-06 14:00", [("2026-03-06 16:00", "2026-03-09 09:00")],
     {"dispatch": "2026-03-06 14:30", "on_site": "2026-03-09 15:00", "fixed": "2026-03-11 14:00"}),
    # level 1, paused 10:30 to 11:15
    (1, "2026-03-02 10:00", [("2026-03-02 10:30", "2026-03-02 11:15")],
     {"dispatch": "2026-03-02 10:10", "on_site": "2026-03-02 12:45", "fixed": "2026-03-04 10:45"}),
    # our own: a pause spanning the National Day holiday costs only its business minutes (16:00-17:00 and
    # 08:30-09:00 around it)
    (4, "2026-09-30 09:00", [("2026-09-30 16:00", "2026-10-08 09:00")],
     {"dispatch": "2026-09-30 10:00", "on_site": "2026-10-09 09:30", "fixed": "2026-10-12 16:30"}),
    # our own: across the year boundary, 2026-12-31 then the New Year holiday of 2027 (provisional)
    (3, "2026-12-31 16:00", (), {"dispatch": "2026-12-31 16:30", "on_site": "2027-01-04 15:30",
                                 "fixed": "2027-01-06 14:30"}),
    # our own: complete outside hours (a Sunday night) starts at the next opening
    (4, "2026-03-08 23:10", (), {"dispatch": "2026-03-09 09:30", "on_site": "2026-03-10 16:00",
                                 "fixed": "2026-03-13 14:30"}),
])
def test_worked_examples_and_our_own(level, complete, pauses, expected):
    assert dues(level, complete, pauses) == {name: cst(at).astimezone(UTC) for name, at in expected.items()}


@pytest.mark.parametrize(("start", "minutes", "expected"), [
    ("2026-01-02 09:00", 10, "2026-01-04 08:40"),   # a holiday in lieu, then a Sunday working day
    ("2026-03-02 07:00", 10, "2026-03-02 08:40"),   # before opening
    ("2026-02-13 15:00", 1020, "2026-02-24 15:00"),  # the follow-up example
    ("2026-09-30 15:00", 240, "2026-10-08 10:30"),   # the complaint example
    ("2026-03-06 16:50", 10, "2026-03-06 17:00"),   # ends exactly at closing, not the next morning
    ("2026-03-06 17:00", 10, "2026-03-09 08:40"),   # from closing: the next working morning
    ("2026-03-06 12:00", 0, "2026-03-06 12:00"),
    ("2026-03-06 16:59:30", 1, "2026-03-09 08:30:30"),  # seconds carry over the night
])
def test_adding_business_minutes(start, minutes, expected):
    assert add_business_minutes(calendar(), cst(start), minutes).at == cst(expected)


@pytest.mark.parametrize(("start", "end", "minutes"), [
    ("2026-03-06 16:00", "2026-03-09 09:00", 90),
    ("2026-09-30 16:00", "2026-10-08 09:00", 90),
    ("2026-02-13 16:50", "2026-02-24 08:30", 520),
    ("2026-03-09 10:00", "2026-03-09 09:00", 0),
    ("2026-03-07 10:00", "2026-03-08 16:00", 0),  # a plain weekend
])
def test_counting_business_minutes(start, end, minutes):
    assert business_minutes_between(calendar(), cst(start), cst(end)).minutes == minutes


def test_a_published_year_is_not_provisional_and_an_unpublished_one_is():
    assert not add_business_minutes(calendar(), cst("2026-06-01 09:00"), 600).provisional
    later = add_business_minutes(calendar(), cst("2027-02-04 16:00"), 120)
    # 2027: weekdays less the statutory Spring Festival (eve 5 Feb, 6-8 Feb): Tuesday 9th is worked
    assert later.provisional and later.at == cst("2027-02-09 09:30")
    assert business_minutes_between(calendar(), cst("2026-12-31 16:00"), cst("2027-01-04 09:00")).provisional


def test_a_provisional_year_counts_weekdays_less_statutory_holidays():
    year = package_schedule(2027)
    assert year.provisional and not year.workdays
    assert {date(2027, 1, 1), date(2027, 10, 1), date(2027, 2, 8)} <= year.holidays


def test_the_2026_schedule_has_its_days_in_lieu():
    year = package_schedule(2026)
    assert not year.provisional
    assert {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 10, 10)} <= year.workdays
    assert {date(2026, 2, 16), date(2026, 2, 23), date(2026, 10, 7), date(2026, 1, 2)} <= year.holidays


def test_an_admin_calendar_wins_over_the_package():
    closed = YearSchedule(year=2026, holidays=frozenset({date(2026, 3, 9)}))
    cal = WorkCalendar(year_of=lambda y: closed if y == 2026 else package_schedule(y))
    assert add_business_minutes(cal, cst("2026-03-06 16:50"), 20).at == cst("2026-03-10 08:40")


def test_round_the_clock_counts_every_minute():
    assert add_clock_minutes(calendar(), "round_the_clock", cst("2026-10-01 00:00"), 1440).at == cst("2026-10-02 00:00")


def test_states_at_the_moment_of_reading():
    promise = DEFAULT.level(3).on_site  # 480 business minutes
    start = cst("2026-03-06 14:00")  # due 2026-03-09 13:30

    def state(now: str, met: str | None = None, pauses=()):
        return evaluate(calendar(), "on_site", promise, start=start, now=cst(now),
                        met_at=cst(met) if met else None, pauses=pauses).state

    assert state("2026-03-06 15:00") == "pending"
    assert state("2026-03-09 11:00") == "pending"  # 150 left: not under 120
    assert state("2026-03-09 11:31") == "at_risk"  # 119 left
    assert state("2026-03-09 13:31") == "breached"
    assert state("2026-03-10 09:00", met="2026-03-09 13:30") == "met"
    assert state("2026-03-10 09:00", met="2026-03-09 13:31") == "met_late"
    paused = evaluate(calendar(), "on_site", promise, start=start, now=cst("2026-03-09 15:00"), met_at=None,
                      pauses=(Pause(cst("2026-03-09 09:00")),))
    assert (paused.state, paused.due_at) == ("paused", None)


def test_a_pause_after_a_milestone_was_met_does_not_move_it():
    promise = DEFAULT.level(1).on_site
    found = evaluate(calendar(), "on_site", promise, start=cst("2026-03-02 10:00"), now=cst("2026-03-02 13:00"),
                     met_at=cst("2026-03-02 11:00"), pauses=(Pause(cst("2026-03-02 11:30"), cst("2026-03-02 12:30")),))
    assert (found.due_at, found.state) == (cst("2026-03-02 12:00"), "met")


instants = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 2, 1)).map(
    lambda d: d.replace(microsecond=0, tzinfo=CHINA))
minutes = st.integers(min_value=0, max_value=6000)
SHARED = calendar()


@settings(max_examples=200, deadline=None)
@given(instants, minutes, minutes)
def test_adding_a_then_b_is_adding_a_plus_b(start, a, b):
    once = add_business_minutes(SHARED, start, a + b).at
    twice = add_business_minutes(SHARED, add_business_minutes(SHARED, start, a).at, b).at
    assert once == twice


@settings(max_examples=200, deadline=None)
@given(instants, minutes)
def test_counting_up_to_an_added_time_gives_the_minutes_back(start, m):
    assert business_minutes_between(SHARED, start, add_business_minutes(SHARED, start, m).at).minutes == m


@settings(max_examples=200, deadline=None)
@given(instants, minutes, st.integers(min_value=1, max_value=600))
def test_due_times_never_move_backwards_as_minutes_grow(start, m, more):
    assert add_business_minutes(SHARED, start, m + more).at > add_business_minutes(SHARED, start, m).at
