from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.warranty.domain import adjudication, terms
from services.warranty.domain.adjudication import Certificate, UnitFacts

UNIT = UnitFacts(
    serial_number="KX-2024-000123",
    model_code="KFR-72LW/(72555)NhAa-3",
    product_name="Cabinet Air Conditioner",
    certificate_number="WC-0042",
)
GOOD_CERTIFICATE = Certificate(
    number="WC-0042",
    product_name="Cabinet Air Conditioner",
    model_code="KFR-72LW/(72555)NhAa-3",
    serial_number="KX-2024-000123",
)
# Covered 2024-03-01 through 2027-03-01.
TERM = terms.compute_term(terms.DEFAULT_TERMS[0], date(2024, 3, 1), terms.DEFAULT_CALENDARS["shandong"])
IN_TERM = date(2025, 6, 1)


def decide(*, failed_on=IN_TERM, causes=(), certificate=GOOD_CERTIFICATE, unit=UNIT, term=TERM):
    return adjudication.adjudicate(
        unit=unit, term=term, failed_on=failed_on, causes=causes, certificate=certificate
    )


def codes(decision):
    return [reason.code for reason in decision.reasons]


def test_a_quality_defect_in_term_with_a_matching_certificate_is_approved():
    decision = decide(causes=["quality_defect"])
    assert decision.approved
    assert decision.decision == "approved"
    assert decision.reasons == ()


@pytest.mark.parametrize("causes", [[], ["quality_defect"], ["unknown"], ["quality_defect", "unknown"]])
def test_causes_that_exclude_nothing_are_approved(causes):
    assert decide(causes=causes).approved


@pytest.mark.parametrize(
    ("cause", "code"),
    [
        ("improper_use", "excluded_misuse"),
        ("improper_maintenance", "excluded_misuse"),
        ("improper_storage", "excluded_misuse"),
        ("improper_transport", "excluded_misuse"),
        ("unstable_power_supply", "excluded_power_supply"),
        ("harsh_environment", "excluded_abnormal_use"),
        ("modified_wiring", "excluded_abnormal_use"),
        ("replaced_internal_parts", "excluded_abnormal_use"),
        ("force_majeure", "excluded_force_majeure"),
        ("natural_disaster", "excluded_force_majeure"),
        ("accident", "excluded_force_majeure"),
    ],
)
def test_each_exclusion_alone_rejects_with_its_code(cause, code):
    decision = decide(causes=[cause, "quality_defect"])
    assert not decision.approved
    assert decision.decision == "rejected"
    assert codes(decision) == [code]
    assert cause.replace("_", " ") in decision.reasons[0].message.lower()


@pytest.mark.parametrize(
    ("code", "clause"),
    [
        ("excluded_misuse", "exclusion 1"),
        ("excluded_power_supply", "exclusion 2"),
        ("excluded_abnormal_use", "exclusion 3"),
        ("excluded_force_majeure", "exclusion 5"),
    ],
)
def test_exclusion_message_names_the_contract_clause(code, clause):
    causes = [cause for cause, excl in adjudication.CAUSE_EXCLUSION.items() if excl == code]
    [reason] = decide(causes=causes).reasons
    assert clause in reason.message


def test_causes_of_one_exclusion_give_one_reason_naming_them_all():
    [reason] = decide(causes=["improper_storage", "improper_use", "improper_storage"]).reasons
    assert reason.code == "excluded_misuse"
    assert reason.message.startswith("Improper use, improper storage: exclusion 1")


def test_every_reason_at_once_comes_in_reason_order():
    decision = decide(failed_on=date(2030, 1, 1), causes=sorted(adjudication.KNOWN_CAUSES), certificate=None)
    assert codes(decision) == [
        "term_expired",
        "excluded_misuse",
        "excluded_power_supply",
        "excluded_abnormal_use",
        "excluded_certificate",
        "excluded_force_majeure",
    ]


def test_reasons_follow_reason_order_whatever_the_order_of_causes():
    causes = ["accident", "modified_wiring", "unstable_power_supply", "improper_use"]
    assert codes(decide(causes=causes)) == codes(decide(causes=list(reversed(causes))))
    assert codes(decide(causes=causes)) == [
        "excluded_misuse",
        "excluded_power_supply",
        "excluded_abnormal_use",
        "excluded_force_majeure",
    ]


@pytest.mark.parametrize(
    ("failed_on", "expected"),
    [
        (date(2024, 2, 29), ["not_yet_accepted"]),
        (date(2024, 3, 1), []),
        (date(2027, 3, 1), []),
        (date(2027, 3, 2), ["term_expired"]),
    ],
)
def test_failure_day_against_the_term(failed_on, expected):
    assert codes(decide(failed_on=failed_on)) == expected


def test_not_yet_accepted_is_combined_with_exclusions():
    causes = ["improper_transport", "natural_disaster"]
    decision = decide(failed_on=date(2024, 1, 10), causes=causes, certificate=None)
    assert codes(decision) == [
        "not_yet_accepted",
        "excluded_misuse",
        "excluded_certificate",
        "excluded_force_majeure",
    ]
    assert "2024-03-01" in decision.reasons[0].message


def test_term_expired_is_combined_with_exclusions():
    decision = decide(failed_on=date(2028, 1, 10), causes=["harsh_environment"])
    assert codes(decision) == ["term_expired", "excluded_abnormal_use"]
    assert "2027-03-01" in decision.reasons[0].message


def test_a_term_that_ends_before_it_starts_gives_both_day_reasons():
    odd = replace(TERM, covered_from=date(2025, 1, 1), covered_through=date(2024, 1, 1))
    assert codes(decide(failed_on=date(2024, 6, 1), term=odd)) == ["not_yet_accepted", "term_expired"]


def test_missing_certificate_is_excluded():
    [reason] = decide(certificate=None).reasons
    assert reason.code == "excluded_certificate"
    assert "no warranty certificate" in reason.message.lower()
    assert "exclusion 4" in reason.message


@pytest.mark.parametrize(
    ("change", "word"),
    [
        ({"product_name": "Split Air Conditioner"}, "product name"),
        ({"model_code": "KFR-35GW"}, "model"),
        ({"serial_number": "KX-2024-000124"}, "serial"),
        ({"number": "WC-0043"}, "number"),
        ({"altered": True}, "altered"),
    ],
)
def test_each_certificate_mismatch_is_excluded(change, word):
    [reason] = decide(certificate=replace(GOOD_CERTIFICATE, **change)).reasons
    assert reason.code == "excluded_certificate"
    assert word in reason.message.lower()


def test_every_certificate_mismatch_is_listed_in_one_reason():
    forged = Certificate(
        number="X-1", product_name="Heater", model_code="M-1", serial_number="S-1", altered=True
    )
    [reason] = decide(certificate=forged).reasons
    assert reason.code == "excluded_certificate"
    for word in ("number", "product name", "model", "serial", "altered"):
        assert word in reason.message.lower()
    for value in ("'X-1'", "'Heater'", "'M-1'", "'S-1'", "'WC-0042'", "'Cabinet Air Conditioner'"):
        assert value in reason.message


def test_certificate_number_is_not_checked_when_none_was_recorded():
    unit = replace(UNIT, certificate_number=None)
    assert decide(unit=unit, certificate=replace(GOOD_CERTIFICATE, number="anything")).approved


@pytest.mark.parametrize(
    "change",
    [
        {"product_name": "  cabinet   AIR\tconditioner "},
        {"model_code": "kfr-72lw/(72555)nhaa-3"},
        {"model_code": " KFR-72LW/(72555)NhAa-3\n"},
        {"serial_number": " kx-2024-000123 "},
        {"number": "wc-0042 "},
        {"product_name": "CABINET AIR CONDITIONER", "serial_number": "Kx-2024-000123"},
    ],
)
def test_case_and_whitespace_differences_on_the_certificate_are_tolerated(change):
    assert decide(certificate=replace(GOOD_CERTIFICATE, **change)).approved


def test_whitespace_inside_a_serial_is_a_mismatch():
    assert codes(decide(certificate=replace(GOOD_CERTIFICATE, serial_number="KX-2024 -000123"))) == [
        "excluded_certificate"
    ]


@pytest.mark.parametrize(
    ("causes", "unknown"),
    [
        (["misuse"], ["misuse"]),
        (["quality_defect", "Improper_Use"], ["Improper_Use"]),
        (["zzz", "aaa", "zzz", "accident"], ["aaa", "zzz"]),
        ([""], [""]),
    ],
)
def test_unknown_cause_raises_naming_every_unknown_code(causes, unknown):
    with pytest.raises(adjudication.UnknownCause) as raised:
        decide(causes=causes)
    assert raised.value.codes == unknown
    assert isinstance(raised.value, ValueError)


def test_unknown_cause_is_raised_before_anything_else_is_judged():
    with pytest.raises(adjudication.UnknownCause):
        decide(failed_on=date(2040, 1, 1), causes=["bogus"], certificate=None)


def test_every_known_cause_maps_to_a_reason_in_reason_order_or_to_nothing():
    assert frozenset(adjudication.CAUSE_EXCLUSION) == adjudication.KNOWN_CAUSES
    assert len(adjudication.KNOWN_CAUSES) == 13
    for code in adjudication.CAUSE_EXCLUSION.values():
        assert code is None or code in adjudication.REASON_ORDER


def test_a_decision_is_approved_exactly_when_it_has_no_reasons():
    with pytest.raises(ValueError):
        adjudication.Decision(approved=True, reasons=(adjudication.Reason("term_expired", "x"),))
    with pytest.raises(ValueError):
        adjudication.Decision(approved=False, reasons=())


cause_lists = st.lists(st.sampled_from(sorted(adjudication.KNOWN_CAUSES)), max_size=8)
failure_days = st.dates(min_value=date(2023, 1, 1), max_value=date(2029, 12, 31))
certificates = st.sampled_from(
    [
        None,
        GOOD_CERTIFICATE,
        replace(GOOD_CERTIFICATE, altered=True),
        replace(GOOD_CERTIFICATE, model_code="X"),
    ]
)


@given(failure_days, cause_lists, certificates)
def test_reasons_are_unique_in_reason_order_and_decide_approval(failed_on, causes, certificate):
    decision = decide(failed_on=failed_on, causes=causes, certificate=certificate)
    found = codes(decision)
    assert found == [code for code in adjudication.REASON_ORDER if code in found]
    assert decision.approved == (found == [])
    assert all(reason.message for reason in decision.reasons)


@given(failure_days, cause_lists, certificates, cause_lists)
def test_more_causes_never_remove_a_reason(failed_on, causes, certificate, more):
    fewer = set(codes(decide(failed_on=failed_on, causes=causes, certificate=certificate)))
    assert fewer <= set(codes(decide(failed_on=failed_on, causes=causes + more, certificate=certificate)))
