"""Claims: adjudicate a failure, store it with its inputs, log it in the history."""

from datetime import date, datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from services.warranty import errors, policies, trail, units
from services.warranty.domain import adjudication
from services.warranty.models import Claim, HistoryEntry, Unit
from shared import direct, metrics
from shared.context import Caller


def create(
    session: Session,
    *,
    serial_number: str,
    failed_on: date,
    component: str,
    causes: list[str],
    certificate: dict | None,
    description: str | None,
    now: datetime,
    pinned: policies.Pinned,
    caller: Caller | None = None,
) -> tuple[Claim, object]:
    """The claim decided and written, and the unit's row it was decided for (read only)."""
    unit = units.find(session, serial_number)  # read only: its row, no ORM object
    term = units.term_for(session, unit, component, pinned)
    try:
        decision = adjudication.adjudicate(
            unit=facts_of(unit),
            term=term,
            failed_on=failed_on,
            causes=causes,
            certificate=adjudication.Certificate(**certificate) if certificate else None,
        )
    except adjudication.UnknownCause as exc:
        raise errors.UnknownCause(
            f"Unknown cause codes: {', '.join(exc.codes)}",
            errors=[{"field": "causes", "message": f"unknown cause {c!r}"} for c in exc.codes],
        ) from exc
    values = dict(
        serial_number=unit.serial_number,
        failed_on=failed_on,
        component=component,
        causes=list(causes),
        certificate=certificate,
        description=description,
        decision=decision.decision,
        reasons=[{"code": r.code, "message": r.message} for r in decision.reasons],
        covered_from=term.covered_from,
        covered_through=term.covered_through,
        policy_version=unit.policy_version,
        created_at=now,
    )
    # Written now by statements built once (no flush): the claim as written, with its id, then its line in the
    # unit's history (appended to, never changed).
    claim = Claim(id=direct.run(session, _NEW_CLAIM, values).scalar_one(), **values)
    metrics.after_commit(session, metrics.CLAIMS.labels(decision=decision.decision))
    codes = ", ".join(r.code for r in decision.reasons)
    direct.later(session, _NEW_HISTORY, {
        "serial_number": unit.serial_number, "at": now, "on": failed_on, "kind": "claim",
        "summary": f"Claim {claim.id} on {component}: {decision.decision}" + (f" ({codes})" if codes else ""),
        "claim_id": claim.id, "decision": decision.decision,
    })
    trail.record(session, caller, action="create", object_type="claim", object_id=claim.id, at=now, after={
        "serial_number": claim.serial_number, "failed_on": failed_on, "component": component, "causes": claim.causes,
        "certificate_shown": certificate is not None, "decision": claim.decision,
        "reasons": [r["code"] for r in claim.reasons], "policy_version": claim.policy_version,
    })
    return claim, unit


_NEW_CLAIM = insert(Claim.__table__).returning(Claim.__table__.c.id)
_NEW_HISTORY = insert(HistoryEntry.__table__)


def facts_of(unit: Unit) -> adjudication.UnitFacts:
    return adjudication.UnitFacts(
        serial_number=unit.serial_number,
        model_code=unit.model_code,
        product_name=unit.product_name,
        certificate_number=unit.certificate_number,
    )


def get(session: Session, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise errors.ClaimNotFound(f"No claim {claim_id}")
    return claim
