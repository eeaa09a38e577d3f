from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.warranty.domain import terms
from services.warranty.domain.terms import TermKind, TermRule

SHANDONG = terms.DEFAULT_CALENDARS["shandong"]


def through_by_component(accepted_on, calendar=SHANDONG, rules=terms.DEFAULT_TERMS):
    return {t.component: t.covered_through for t in terms.compute_terms(rules, accepted_on, calendar)}


def term_of(component, accepted_on=date(2024, 3, 1), calendar=SHANDONG):
    rule = next(r for r in terms.DEFAULT_TERMS if r.component == component)
    return terms.compute_term(rule, accepted_on, calendar)


def test_default_policy_is_valid_and_lists_every_component_once():
    assert terms.policy_problems(terms.DEFAULT_TERMS) == []
    assert tuple(r.component for r in terms.DEFAULT_TERMS) == terms.COMPONENTS


def test_default_region_has_a_calendar():
    assert terms.DEFAULT_REGION in terms.DEFAULT_CALENDARS
    assert set(terms.DEFAULT_CALENDARS) == {"shandong", "beijing", "harbin"}


@pytest.mark.parametrize(
    ("accepted_on", "months_through", "heating_through", "cooling_through"),
    [
        (date(2024, 3, 1), date(2027, 3, 1), date(2027, 3, 15), date(2026, 9, 30)),
        (date(2024, 12, 1), date(2027, 12, 1), date(2028, 3, 15), date(2027, 9, 30)),
        (date(2024, 11, 15), date(2027, 11, 15), date(2027, 3, 15), date(2027, 9, 30)),
        (date(2024, 2, 29), date(2027, 2, 28), date(2027, 3, 15), date(2026, 9, 30)),
        (date(2023, 8, 31), date(2026, 8, 31), date(2026, 3, 15), date(2026, 9, 30)),
    ],
)
def test_default_terms_match_the_worked_examples(
    accepted_on, months_through, heating_through, cooling_through
):
    assert through_by_component(accepted_on) == {
        "unit": months_through,
        "electrical_lines": months_through,
        "water_piping": months_through,
        "installation": months_through,
        "heating_system": heating_through,
        "cooling_system": cooling_through,
    }


def test_terms_come_in_component_order_whatever_the_policy_order():
    computed = terms.compute_terms(tuple(reversed(terms.DEFAULT_TERMS)), date(2024, 3, 1), SHANDONG)
    assert tuple(t.component for t in computed) == terms.COMPONENTS
    assert all(t.covered_from == date(2024, 3, 1) for t in computed)
    assert [(t.kind, t.length) for t in computed] == [(r.kind, r.length) for r in terms.DEFAULT_TERMS]


@pytest.mark.parametrize(
    ("region", "heating_through", "cooling_through"),
    [
        ("shandong", date(2027, 3, 15), date(2026, 9, 30)),
        ("beijing", date(2027, 3, 15), date(2026, 9, 15)),
        ("harbin", date(2027, 4, 20), date(2026, 8, 31)),
    ],
)
def test_season_terms_follow_the_region_calendar(region, heating_through, cooling_through):
    found = through_by_component(date(2024, 3, 1), terms.DEFAULT_CALENDARS[region])
    assert (found["heating_system"], found["cooling_system"]) == (heating_through, cooling_through)


def test_season_under_way_at_acceptance_is_not_counted():
    # Harbin's 2024 heating season starts 10-20, so on 11-01 it is under way: 2025-2027 count.
    term = term_of("heating_system", date(2024, 11, 1), terms.DEFAULT_CALENDARS["harbin"])
    assert term.covered_through == date(2028, 4, 20)


def test_policy_lengths_change_the_terms():
    rules = [
        replace(r, length={"unit": 12, "heating_system": 2}.get(r.component, r.length))
        for r in terms.DEFAULT_TERMS
    ]
    found = through_by_component(date(2024, 3, 1), rules=rules)
    assert found["unit"] == date(2025, 3, 1)
    assert found["heating_system"] == date(2026, 3, 15)
    assert found["water_piping"] == date(2027, 3, 1)


def test_compute_terms_refuses_an_invalid_policy():
    with pytest.raises(ValueError, match="cooling_system"):
        terms.compute_terms(terms.DEFAULT_TERMS[:-1], date(2024, 3, 1), SHANDONG)


@pytest.mark.parametrize(
    ("on", "covered", "reason", "days_left"),
    [
        pytest.param(date(2024, 2, 29), False, "not_yet_accepted", 1096, id="day before acceptance"),
        pytest.param(date(2024, 3, 1), True, None, 1095, id="acceptance day"),
        pytest.param(date(2024, 3, 2), True, None, 1094, id="day after acceptance"),
        pytest.param(date(2027, 2, 28), True, None, 1, id="day before the last"),
        pytest.param(date(2027, 3, 1), True, None, 0, id="last covered day"),
        pytest.param(date(2027, 3, 2), False, "term_expired", 0, id="day after the last"),
        pytest.param(date(2040, 1, 1), False, "term_expired", 0, id="long after"),
    ],
)
def test_coverage_on_the_edges_of_a_month_term(on, covered, reason, days_left):
    coverage = terms.coverage_on(term_of("unit"), on)
    assert (coverage.covered, coverage.reason, coverage.days_left) == (covered, reason, days_left)
    assert (coverage.component, coverage.covered_from, coverage.covered_through) == (
        "unit",
        date(2024, 3, 1),
        date(2027, 3, 1),
    )


@pytest.mark.parametrize(
    ("on", "covered", "reason"),
    [
        (date(2024, 7, 1), True, None),  # between seasons the term does not pause
        (date(2027, 3, 15), True, None),
        (date(2027, 3, 16), False, "term_expired"),
    ],
)
def test_coverage_of_a_season_term(on, covered, reason):
    coverage = terms.coverage_on(term_of("heating_system"), on)
    assert (coverage.covered, coverage.reason) == (covered, reason)


def rules_with(**changes):
    """The default policy with some components' (kind, length) replaced, or removed when None."""
    rules = []
    for rule in terms.DEFAULT_TERMS:
        change = changes.get(rule.component, (rule.kind, rule.length))
        if change is not None:
            rules.append(TermRule(rule.component, *change))
    return rules


@pytest.mark.parametrize(
    ("component", "kind", "length", "code"),
    [
        ("unit", TermKind.MONTHS, 0, "below_legal_minimum"),
        ("electrical_lines", TermKind.MONTHS, 23, "below_legal_minimum"),
        ("water_piping", TermKind.MONTHS, 12, "below_legal_minimum"),
        ("installation", TermKind.MONTHS, -5, "below_legal_minimum"),
        ("heating_system", TermKind.HEATING_SEASONS, 1, "below_legal_minimum"),
        ("cooling_system", TermKind.COOLING_SEASONS, 1, "below_legal_minimum"),
        ("unit", TermKind.MONTHS, 601, "term_too_long"),
        ("heating_system", TermKind.HEATING_SEASONS, 51, "term_too_long"),
        ("cooling_system", TermKind.COOLING_SEASONS, 51, "term_too_long"),
        ("unit", TermKind.HEATING_SEASONS, 3, "wrong_term_kind"),
        ("heating_system", TermKind.MONTHS, 36, "wrong_term_kind"),
        ("heating_system", TermKind.COOLING_SEASONS, 3, "wrong_term_kind"),
        ("cooling_system", "weeks", 3, "wrong_term_kind"),
    ],
)
def test_policy_problems_name_a_bad_rule(component, kind, length, code):
    rules = rules_with(**{component: (kind, length)})
    assert [(p.code, p.component) for p in terms.policy_problems(rules)] == [(code, component)]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (rules_with(water_piping=None), [("missing_component", "water_piping")]),
        (
            [*terms.DEFAULT_TERMS, TermRule("compressor", TermKind.MONTHS, 36)],
            [("unknown_component", "compressor")],
        ),
        ([*terms.DEFAULT_TERMS, terms.DEFAULT_TERMS[0]], [("duplicate_component", "unit")]),
        ([], [("missing_component", c) for c in terms.COMPONENTS]),
    ],
)
def test_policy_problems_name_a_bad_component_list(rules, expected):
    assert [(p.code, p.component) for p in terms.policy_problems(rules)] == expected


@pytest.mark.parametrize(
    ("component", "length"),
    [("unit", 1), ("electrical_lines", 24), ("heating_system", 2), ("unit", 600), ("cooling_system", 50)],
)
def test_lengths_on_the_floor_or_the_cap_are_accepted(component, length):
    rules = rules_with(**{component: (terms.COMPONENT_KIND[component], length)})
    assert terms.policy_problems(rules) == []


@pytest.mark.parametrize(
    ("component", "length", "floor_text"),
    [
        ("electrical_lines", 12, "24 months"),
        ("heating_system", 1, "2 heating seasons"),
        ("cooling_system", 0, "2 cooling seasons"),
        ("unit", 0, "minimum of 1 month."),
    ],
)
def test_below_legal_minimum_message_names_the_floor(component, length, floor_text):
    kind = terms.COMPONENT_KIND[component]
    [problem] = terms.policy_problems(rules_with(**{component: (kind, length)}))
    assert floor_text in problem.message


def test_policy_problems_reports_every_problem_at_once():
    rules = [
        TermRule("unit", TermKind.MONTHS, 0),
        TermRule("electrical_lines", TermKind.MONTHS, 12),
        TermRule("electrical_lines", TermKind.MONTHS, 36),
        TermRule("heating_system", TermKind.MONTHS, 36),
        TermRule("cooling_system", TermKind.COOLING_SEASONS, 99),
        TermRule("boiler", TermKind.MONTHS, 36),
    ]
    assert [(p.code, p.component) for p in terms.policy_problems(rules)] == [
        ("below_legal_minimum", "unit"),
        ("duplicate_component", "electrical_lines"),
        ("below_legal_minimum", "electrical_lines"),
        ("wrong_term_kind", "heating_system"),
        ("term_too_long", "cooling_system"),
        ("unknown_component", "boiler"),
        ("missing_component", "water_piping"),
        ("missing_component", "installation"),
    ]


valid_rules = st.sampled_from(terms.COMPONENTS).flatmap(
    lambda c: st.builds(
        TermRule,
        st.just(c),
        st.just(terms.COMPONENT_KIND[c]),
        st.integers(
            min_value=terms.LEGAL_MINIMUM[c],
            max_value=60 if terms.COMPONENT_KIND[c] is TermKind.MONTHS else 6,
        ),
    )
)
acceptance_days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
calendars = st.sampled_from(sorted(terms.DEFAULT_CALENDARS.values(), key=repr))
offsets = st.integers(min_value=-400, max_value=8000)


@given(valid_rules, acceptance_days, calendars, offsets, offsets)
def test_once_expired_coverage_stays_expired(rule, accepted_on, calendar, a, b):
    term = terms.compute_term(rule, accepted_on, calendar)
    early, late = sorted((a, b))
    first = terms.coverage_on(term, accepted_on + timedelta(days=early))
    second = terms.coverage_on(term, accepted_on + timedelta(days=late))
    if first.reason == "term_expired":
        assert second.reason == "term_expired"
    if second.reason == "not_yet_accepted":
        assert first.reason == "not_yet_accepted"
    assert second.days_left <= first.days_left


@given(valid_rules, acceptance_days, calendars, offsets)
def test_covered_days_form_one_interval_from_acceptance_to_the_term_end(rule, accepted_on, calendar, offset):
    term = terms.compute_term(rule, accepted_on, calendar)
    on = accepted_on + timedelta(days=offset)
    coverage = terms.coverage_on(term, on)
    assert term.covered_from == accepted_on <= term.covered_through
    assert coverage.covered == (term.covered_from <= on <= term.covered_through)
    assert coverage.covered == (coverage.reason is None)
    assert coverage.days_left >= 0


def test_a_repeated_unknown_component_is_reported_once():
    boiler = TermRule("boiler", TermKind.MONTHS, 36)
    rules = [*terms.DEFAULT_TERMS, boiler, boiler]
    assert [(p.code, p.component) for p in terms.policy_problems(rules)] == [("unknown_component", "boiler")]


def test_each_copy_of_a_duplicated_component_is_still_checked():
    rules = [*terms.DEFAULT_TERMS, TermRule("unit", TermKind.MONTHS, 0)]
    assert [(p.code, p.component) for p in terms.policy_problems(rules)] == [
        ("duplicate_component", "unit"),
        ("below_legal_minimum", "unit"),
    ]


def test_legal_floor_message_cites_the_regulation():
    [problem] = terms.policy_problems(rules_with(installation=(TermKind.MONTHS, 23)))
    assert "legal minimum of 24 months" in problem.message
    assert "art. 40" in problem.message
