"""When planned visits fall due: a unit's warranty seasons, a contract's year, missed and recordable days."""

from datetime import date

import pytest

from services.servicedesk.domain import visit_plan
from services.servicedesk.domain.visit_plan import PlannedVisit
from shared.seasons import MonthDay, Season


def season(start: str, end: str) -> Season:
    return Season(MonthDay.parse(start), MonthDay.parse(end))


SHANDONG = {"heating": season("11-15", "03-15"), "cooling": season("06-01", "09-30")}
HARBIN = {"heating": season("10-20", "04-20"), "cooling": season("07-01", "08-31")}


def plan(accepted: str, through: str, calendar=SHANDONG) -> list[tuple[str, str, str, int]]:
    visits = visit_plan.warranty_visits(accepted_on=date.fromisoformat(accepted),
                                        covered_through=date.fromisoformat(through), **calendar)
    return [(v.due_on.isoformat(), v.kind, v.season, v.season_year) for v in visits]


def test_a_unit_accepted_in_march_gets_three_heating_and_three_cooling_seasons():
    # accepted 2024-03-01, unit term 36 months: through 2027-03-01 (domain.md section 2).
    assert plan("2024-03-01", "2027-03-01") == [
        ("2024-05-17", "pre_season", "cooling", 2024),
        ("2024-09-15", "pre_shutdown", "cooling", 2024),
        ("2024-10-31", "pre_season", "heating", 2024),
        ("2025-02-28", "pre_shutdown", "heating", 2024),
        ("2025-05-17", "pre_season", "cooling", 2025),
        ("2025-09-15", "pre_shutdown", "cooling", 2025),
        ("2025-10-31", "pre_season", "heating", 2025),
        ("2026-02-28", "pre_shutdown", "heating", 2025),
        ("2026-05-17", "pre_season", "cooling", 2026),
        ("2026-09-15", "pre_shutdown", "cooling", 2026),
        ("2026-10-31", "pre_season", "heating", 2026),
        # the last season starts within the warranty; its shutdown check falls after it, and is planned
        ("2027-02-28", "pre_shutdown", "heating", 2026),
    ]


def test_a_season_under_way_on_acceptance_is_not_planned():
    # accepted 2024-12-01, in the 2024 heating season: its visits would precede the unit's acceptance.
    visits = plan("2024-12-01", "2027-12-01")
    assert ("2025-02-28", "pre_shutdown", "heating", 2024) not in visits
    assert visits[0] == ("2025-05-17", "pre_season", "cooling", 2025)
    # heating 2027 starts on 2027-11-15, inside the term that ends on 2027-12-01
    assert visits[-2:] == [("2027-10-31", "pre_season", "heating", 2027),
                           ("2028-02-29", "pre_shutdown", "heating", 2027)]


@pytest.mark.parametrize(("accepted", "through", "first", "last"), [
    # a season that starts on the acceptance day counts
    ("2024-11-15", "2027-11-15", ("2024-10-31", "pre_season", "heating", 2024),
     ("2028-02-29", "pre_shutdown", "heating", 2027)),
    # the day after the term ends, the season is outside
    ("2024-11-16", "2027-11-14", ("2025-05-17", "pre_season", "cooling", 2025),
     ("2027-09-15", "pre_shutdown", "cooling", 2027)),
])
def test_the_season_boundary_on_either_end_of_the_warranty(accepted, through, first, last):
    visits = plan(accepted, through)
    assert visits[0] == first
    assert visits[-1] == last


def test_harbin_has_its_own_calendar():
    visits = plan("2025-01-10", "2026-01-10", HARBIN)
    assert visits == [
        ("2025-06-16", "pre_season", "cooling", 2025),
        ("2025-08-16", "pre_shutdown", "cooling", 2025),
        ("2025-10-05", "pre_season", "heating", 2025),
        ("2026-04-05", "pre_shutdown", "heating", 2025),
    ]


def test_no_visits_once_the_warranty_ended_before_a_season():
    assert plan("2024-07-01", "2024-10-01") == []


def test_a_contract_year_gets_billing_plan_with_the_season_of_each_visit():
    # billing's worked example: shandong, contract 2025-01-01 to 2025-12-31
    billed = [(date(2025, 1, 15), "inspection"), (date(2025, 3, 15), "inspection"),
              (date(2025, 6, 1), "maintenance"), (date(2025, 8, 1), "inspection"), (date(2025, 11, 15), "maintenance")]
    visits = visit_plan.contract_visits(billed, **SHANDONG)
    assert [(v.due_on.isoformat(), v.kind, v.season, v.season_year) for v in visits] == [
        ("2025-01-15", "inspection", "heating", 2024),
        ("2025-03-15", "inspection", "heating", 2024),
        ("2025-06-01", "maintenance", "cooling", 2025),
        ("2025-08-01", "inspection", "cooling", 2025),
        ("2025-11-15", "maintenance", "heating", 2025),
    ]
    assert visit_plan.season_of(date(2025, 4, 1), **SHANDONG) == (None, None)


def test_keys_tell_visits_apart_whatever_their_due_day():
    a = PlannedVisit("pre_season", date(2025, 5, 17), "cooling", 2025)
    b = PlannedVisit("pre_season", date(2025, 5, 10), "cooling", 2025)
    assert a.key == b.key == "pre_season:cooling:2025"
    assert PlannedVisit("inspection", date(2025, 8, 1), "cooling", 2025).key == "inspection:2025-08-01"


@pytest.mark.parametrize(("today", "status"), [
    ("2025-05-17", "planned"), ("2025-06-16", "planned"), ("2025-06-17", "missed"),
])
def test_a_planned_visit_is_missed_more_than_thirty_days_past_due(today, status):
    assert visit_plan.status_on("planned", date(2025, 5, 17), date.fromisoformat(today)) == status


@pytest.mark.parametrize("stored", ["done", "cancelled"])
def test_done_and_cancelled_visits_stay_so(stored):
    assert visit_plan.status_on(stored, date(2020, 1, 1), date(2025, 1, 1)) == stored


@pytest.mark.parametrize(("day", "ok"), [
    ("2025-04-16", False), ("2025-04-17", True), ("2025-05-17", True), ("2025-06-16", True), ("2025-06-17", False),
])
def test_recordable_from_thirty_days_before_to_thirty_days_after(day, ok):
    assert (visit_plan.recordable_on(date(2025, 5, 17), date.fromisoformat(day)) is None) is ok
