"""Reservations by state, warehouse and reference, newest first (the pages' and the desk's view).

The state filter reads expiry the same way every read does (domain/expiry.py):
an active reservation past its expiry time is listed as expired, whether or
not a write has recorded it yet.
"""

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from services.inventory.domain.expiry import ACTIVE, EXPIRED
from services.inventory.models import Reservation, ReservationLine
from shared import pagination


def _in_state(status: str, now: datetime):
    if status == ACTIVE:
        return and_(Reservation.status == ACTIVE, Reservation.expires_at > now)
    if status == EXPIRED:
        return or_(Reservation.status == EXPIRED,
                   and_(Reservation.status == ACTIVE, Reservation.expires_at <= now))
    return Reservation.status == status


def list_reservations(
    session: Session, *, status: str | None, warehouse: str | None, reference: str | None,
    after: int | None, limit: int, now: datetime, scope: frozenset[str] | None = None,
) -> list[Reservation]:
    query = pagination.keyset(
        select(Reservation).options(selectinload(Reservation.lines).joinedload(ReservationLine.part)),
        Reservation.id, after=after, limit=limit, descending=True,
    )
    if scope is not None:  # a warehouse caller's list holds its own warehouses only
        query = query.where(Reservation.warehouse.in_(sorted(scope)))
    if status is not None:
        query = query.where(_in_state(status, now))
    if warehouse is not None:
        query = query.where(Reservation.warehouse == warehouse)
    if reference is not None:
        query = query.where(Reservation.reference == reference)
    return list(session.scalars(query))
