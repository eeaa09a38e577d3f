"""Warranty terms per component category, and whether a day is covered.

A policy is data: one rule per component, validated against the legal floor
(PRC Regulation on the Quality Management of Construction Projects, art. 40).
Month terms follow the Civil Code period rule; season terms follow the
region's calendar (see domain.md section 2).
"""

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from shared import periods, seasons
from shared.contracts import warranty as contract

COMPONENTS = (
    "unit",
    "electrical_lines",
    "water_piping",
    "installation",
    "heating_system",
    "cooling_system",
)


class TermKind(StrEnum):
    MONTHS = "months"
    HEATING_SEASONS = "heating_seasons"
    COOLING_SEASONS = "cooling_seasons"


# "3 years" in the contract is stored as 36 months, so years need no kind of their own.
COMPONENT_KIND: dict[str, TermKind] = {
    "unit": TermKind.MONTHS,
    "electrical_lines": TermKind.MONTHS,
    "water_piping": TermKind.MONTHS,
    "installation": TermKind.MONTHS,
    "heating_system": TermKind.HEATING_SEASONS,
    "cooling_system": TermKind.COOLING_SEASONS,
}


@dataclass(frozen=True, slots=True)
class TermRule:
    component: str
    kind: TermKind
    length: int


DEFAULT_TERMS: tuple[TermRule, ...] = (
    TermRule("unit", TermKind.MONTHS, 36),
    TermRule("electrical_lines", TermKind.MONTHS, 36),
    TermRule("water_piping", TermKind.MONTHS, 36),
    TermRule("installation", TermKind.MONTHS, 36),
    TermRule("heating_system", TermKind.HEATING_SEASONS, 3),
    TermRule("cooling_system", TermKind.COOLING_SEASONS, 3),
)

# In the component's own unit (months or seasons). `unit` has no legal floor,
# but a term of zero months would make every claim on it expire on day one.
LEGAL_MINIMUM: dict[str, int] = {
    "unit": 1,
    "electrical_lines": 24,
    "water_piping": 24,
    "installation": 24,
    "heating_system": 2,
    "cooling_system": 2,
}

_FLOOR_SOURCE = "PRC Regulation on the Quality Management of Construction Projects, art. 40"

# A sanity cap against typing mistakes (360 for 36), not a legal rule.
MAX_LENGTH: dict[TermKind, int] = {TermKind(kind): most for kind, most in contract.TERM_LENGTH_MAX.items()}

_UNIT_NAME = {
    TermKind.MONTHS: ("month", "months"),
    TermKind.HEATING_SEASONS: ("heating season", "heating seasons"),
    TermKind.COOLING_SEASONS: ("cooling season", "cooling seasons"),
}


def _quantity(length: int, kind: TermKind) -> str:
    singular, plural = _UNIT_NAME[kind]
    return f"{length} {singular if length == 1 else plural}"


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    code: str
    component: str | None
    message: str


def policy_problems(rules: Sequence[TermRule]) -> list[PolicyProblem]:
    """Every problem of a policy, in rule order then missing components; empty when valid."""
    problems: list[PolicyProblem] = []
    counts = Counter(rule.component for rule in rules)
    reported: set[str] = set()
    for rule in rules:
        component = rule.component
        if component in reported:
            # A second copy adds no new unknown or duplicate problem, but its own length may still be wrong.
            if component in COMPONENT_KIND:
                problems.extend(_rule_problems(rule))
            continue
        reported.add(component)
        if component not in COMPONENT_KIND:
            problems.append(
                PolicyProblem(
                    "unknown_component",
                    component,
                    f"{component!r} is not a component; expected one of {', '.join(COMPONENTS)}.",
                )
            )
            continue
        if counts[component] > 1:
            problems.append(
                PolicyProblem(
                    "duplicate_component",
                    component,
                    f"{component} is listed {counts[component]} times; "
                    "a policy gives one term per component.",
                )
            )
        problems.extend(_rule_problems(rule))
    for component in COMPONENTS:
        if component not in counts:
            message = f"{component} has no term; every component needs one."
            problems.append(PolicyProblem("missing_component", component, message))
    return problems


def _rule_problems(rule: TermRule) -> list[PolicyProblem]:
    expected = COMPONENT_KIND[rule.component]
    if rule.kind != expected:
        # The floor and the cap are in the expected unit, so a length in another unit cannot be judged.
        return [
            PolicyProblem(
                "wrong_term_kind",
                rule.component,
                f"{rule.component} is counted in {expected}, not {rule.kind}.",
            )
        ]
    floor = LEGAL_MINIMUM[rule.component]
    if rule.length < floor:
        if rule.component == "unit":
            floor_text = f"the minimum of {_quantity(floor, expected)}"
        else:
            floor_text = f"the legal minimum of {_quantity(floor, expected)} ({_FLOOR_SOURCE})"
        return [
            PolicyProblem(
                "below_legal_minimum",
                rule.component,
                f"{rule.component}: {_quantity(rule.length, expected)} is below {floor_text}.",
            )
        ]
    cap = MAX_LENGTH[expected]
    if rule.length > cap:
        return [
            PolicyProblem(
                "term_too_long",
                rule.component,
                f"{rule.component}: {_quantity(rule.length, expected)} is more than the maximum "
                f"of {_quantity(cap, expected)}.",
            )
        ]
    return []


@dataclass(frozen=True, slots=True)
class RegionCalendar:
    heating: seasons.Season
    cooling: seasons.Season


def _season(start: str, end: str) -> seasons.Season:
    return seasons.Season(seasons.MonthDay.parse(start), seasons.MonthDay.parse(end))


DEFAULT_REGION = "shandong"

DEFAULT_CALENDARS: dict[str, RegionCalendar] = {
    "shandong": RegionCalendar(heating=_season("11-15", "03-15"), cooling=_season("06-01", "09-30")),
    "beijing": RegionCalendar(heating=_season("11-15", "03-15"), cooling=_season("06-01", "09-15")),
    "harbin": RegionCalendar(heating=_season("10-20", "04-20"), cooling=_season("07-01", "08-31")),
}


@dataclass(frozen=True, slots=True)
class Term:
    component: str
    kind: TermKind
    length: int
    covered_from: date
    covered_through: date


def compute_term(rule: TermRule, accepted_on: date, calendar: RegionCalendar) -> Term:
    if rule.kind == TermKind.MONTHS:
        through = periods.months_end(accepted_on, rule.length)
    elif rule.kind == TermKind.HEATING_SEASONS:
        through = calendar.heating.covered_through(accepted_on, rule.length)
    elif rule.kind == TermKind.COOLING_SEASONS:
        through = calendar.cooling.covered_through(accepted_on, rule.length)
    else:
        raise ValueError(f"unknown term kind {rule.kind!r}")
    return Term(rule.component, TermKind(rule.kind), rule.length, accepted_on, through)


@functools.lru_cache(maxsize=256)
def _policy_error(rules: tuple[TermRule, ...]) -> str | None:
    """Why a policy is not valid, or None: a policy is checked once, not at every unit's terms (a handful
    of versions exist; a rule is a frozen value)."""
    problems = policy_problems(rules)
    return "invalid policy: " + " ".join(p.message for p in problems) if problems else None


def compute_terms(rules: Sequence[TermRule], accepted_on: date, calendar: RegionCalendar) -> list[Term]:
    """One term per component, in COMPONENTS order; an invalid policy raises ValueError."""
    wrong = _policy_error(tuple(rules))
    if wrong:
        raise ValueError(wrong)
    by_component = {rule.component: rule for rule in rules}
    return [compute_term(by_component[c], accepted_on, calendar) for c in COMPONENTS]


@dataclass(frozen=True, slots=True)
class Coverage:
    component: str
    covered: bool
    covered_from: date
    covered_through: date
    days_left: int
    reason: str | None


def coverage_on(term: Term, on: date) -> Coverage:
    if on < term.covered_from:
        covered, reason = False, "not_yet_accepted"
    elif on > term.covered_through:
        covered, reason = False, "term_expired"
    else:
        covered, reason = True, None
    # Days remaining after `on`: the end day itself is covered, so on the last
    # covered day this is 0 and the unit is still covered. Before acceptance it
    # counts from `on` as well, so a technician sees the full remaining span.
    days_left = (term.covered_through - on).days if on <= term.covered_through else 0
    return Coverage(term.component, covered, term.covered_from, term.covered_through, days_left, reason)
