"""Is this failure covered? Every applicable reason, not just the first (domain.md section 3)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from services.warranty.domain import terms

CAUSE_EXCLUSION: dict[str, str | None] = {
    "improper_use": "excluded_misuse",
    "improper_maintenance": "excluded_misuse",
    "improper_storage": "excluded_misuse",
    "improper_transport": "excluded_misuse",
    "unstable_power_supply": "excluded_power_supply",
    "harsh_environment": "excluded_abnormal_use",
    "modified_wiring": "excluded_abnormal_use",
    "replaced_internal_parts": "excluded_abnormal_use",
    "force_majeure": "excluded_force_majeure",
    "natural_disaster": "excluded_force_majeure",
    "accident": "excluded_force_majeure",
    # A product defect is exactly what the warranty is for; an unknown cause
    # must not cost the customer their warranty either.
    "quality_defect": None,
    "unknown": None,
}
KNOWN_CAUSES = frozenset(CAUSE_EXCLUSION)

REASON_ORDER = (
    "not_yet_accepted",
    "term_expired",
    "excluded_misuse",
    "excluded_power_supply",
    "excluded_abnormal_use",
    "excluded_certificate",
    "excluded_force_majeure",
)

# The exclusion numbers of the contract, so a technician can point the customer at the clause.
_EXCLUSION_CLAUSE = {
    "excluded_misuse": "exclusion 1 (use, maintenance, storage or transport against instructions)",
    "excluded_power_supply": "exclusion 2 (damage from an unstable power supply)",
    "excluded_abnormal_use": "exclusion 3 (abnormal conditions or unauthorised changes to the unit)",
    "excluded_force_majeure": "exclusion 5 (force majeure, natural disaster or accident)",
}


@dataclass(frozen=True, slots=True)
class Certificate:
    number: str
    product_name: str
    model_code: str
    serial_number: str
    altered: bool = False


@dataclass(frozen=True, slots=True)
class UnitFacts:
    serial_number: str
    model_code: str
    product_name: str
    # The number of the certificate issued for the unit, when it was recorded.
    certificate_number: str | None


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Decision:
    approved: bool
    reasons: tuple[Reason, ...]

    def __post_init__(self) -> None:
        if self.approved == bool(self.reasons):
            raise ValueError("a decision is approved exactly when it has no reasons")

    @property
    def decision(self) -> str:
        return "approved" if self.approved else "rejected"


class UnknownCause(ValueError):
    def __init__(self, codes: Sequence[str]) -> None:
        self.codes = sorted(set(codes))
        super().__init__("unknown cause code(s): " + ", ".join(map(repr, self.codes)))


def adjudicate(
    *,
    unit: UnitFacts,
    term: terms.Term,
    failed_on: date,
    causes: Sequence[str],
    certificate: Certificate | None,
) -> Decision:
    unknown = [code for code in causes if code not in KNOWN_CAUSES]
    if unknown:
        raise UnknownCause(unknown)

    found: dict[str, str] = {}
    component = term.component.replace("_", " ")
    if failed_on < term.covered_from:
        found["not_yet_accepted"] = (
            f"Failed on {failed_on}, before commissioning acceptance on {term.covered_from}: "
            "the installer is still responsible."
        )
    if failed_on > term.covered_through:
        found["term_expired"] = (
            f"Failed on {failed_on}, after the {component} warranty ended on {term.covered_through}."
        )
    found.update(_exclusions(causes))
    mismatches = _certificate_mismatches(unit, certificate)
    if mismatches:
        found["excluded_certificate"] = "; ".join(mismatches) + ": exclusion 4."

    reasons = tuple(Reason(code, found[code]) for code in REASON_ORDER if code in found)
    return Decision(approved=not reasons, reasons=reasons)


def _exclusions(causes: Sequence[str]) -> dict[str, str]:
    # Causes are named in the catalogue's order, each once, whatever order the technician typed them in.
    by_code: dict[str, list[str]] = {}
    for cause, code in CAUSE_EXCLUSION.items():
        if code is not None and cause in causes:
            by_code.setdefault(code, []).append(cause.replace("_", " "))
    return {
        code: f"{_capitalised(', '.join(names))}: {_EXCLUSION_CLAUSE[code]}."
        for code, names in by_code.items()
    }


def _text(value: str) -> str:
    return " ".join(value.split()).casefold()


def _serial(value: str) -> str:
    return value.strip().upper()


def _certificate_mismatches(unit: UnitFacts, certificate: Certificate | None) -> list[str]:
    if certificate is None:
        return ["No warranty certificate was shown"]
    mismatches = []
    if unit.certificate_number is not None and _text(certificate.number) != _text(unit.certificate_number):
        mismatches.append(
            f"certificate number {certificate.number!r} is not the one issued for this unit "
            f"({unit.certificate_number!r})"
        )
    if _text(certificate.product_name) != _text(unit.product_name):
        mismatches.append(
            f"certificate product name {certificate.product_name!r} differs from the unit's "
            f"{unit.product_name!r}"
        )
    if _text(certificate.model_code) != _text(unit.model_code):
        mismatches.append(
            f"certificate model {certificate.model_code!r} differs from the unit's {unit.model_code!r}"
        )
    if _serial(certificate.serial_number) != _serial(unit.serial_number):
        mismatches.append(
            f"certificate serial {certificate.serial_number!r} differs from the unit's {unit.serial_number!r}"
        )
    if certificate.altered:
        mismatches.append("the certificate has been altered")
    if mismatches:
        mismatches[0] = _capitalised(mismatches[0])
    return mismatches


def _capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]
