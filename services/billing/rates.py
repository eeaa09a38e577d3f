"""The rate card: dated versions, never edited; a bill copies the one in force."""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from services.billing import errors, trail
from services.billing.domain.pricing import Rates
from services.billing.models import RateCard
from shared import direct, pagination
from shared.context import Caller

# shared.db.in_force's query for the rate card, built once and on Core (a row, not an object: every bill begun
# asks it, and reads it only).
_CARD = RateCard.__table__
_IN_FORCE = (select(_CARD).where(_CARD.c.effective_from <= bindparam("b_at"))
             .order_by(_CARD.c.effective_from.desc(), _CARD.c.id.desc()).limit(1))


def in_force(session: Session, *, at: datetime) -> Row:
    """The latest version whose effective_from has come; a later version wins a tie (its row)."""
    found = direct.run(session, _IN_FORCE, {"b_at": at}).first()
    if found is None:
        raise errors.RateCardNotFound(f"No rate card is in force at {at.isoformat()}")
    return found


def create(
    session: Session,
    *,
    labor_rate_per_hour: Decimal,
    callout_fee: Decimal,
    vat_rate: Decimal,
    currency: str,
    effective_from: datetime | None,
    now: datetime,
    caller: Caller | None = None,
) -> RateCard:
    # A card dated in the past would rewrite which rates were "in force" for bills
    # already issued; those bills keep their copies, but the history would lie.
    if effective_from is not None and effective_from < now:
        raise errors.invalid("effective_from", "a rate card cannot take effect in the past")
    card = RateCard(
        labor_rate_per_hour=labor_rate_per_hour,
        callout_fee=callout_fee,
        vat_rate=vat_rate,
        currency=currency,
        effective_from=(effective_from or now).astimezone(UTC),
        created_at=now,
    )
    session.add(card)
    session.flush()
    fields = ("labor_rate_per_hour", "callout_fee", "vat_rate", "currency", "effective_from")
    trail.record(session, caller, action="rate_card.created", object_type="rate_card", object_id=card.id, at=now,
                 changes=trail.diff(None, {name: getattr(card, name) for name in fields}))
    return card


def list_versions(session: Session, *, after: int | None, limit: int) -> list[RateCard]:
    query = pagination.keyset(select(RateCard), RateCard.id, after=after, limit=limit, descending=True)
    return list(session.scalars(query))


def as_rates(labor_rate_per_hour: Decimal, callout_fee: Decimal, vat_rate: Decimal, currency: str) -> Rates:
    return Rates(labor_rate_per_hour=labor_rate_per_hour, callout_fee=callout_fee, vat_rate=vat_rate,
                 currency=currency)
