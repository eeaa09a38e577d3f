"""A visit's record delivered to the unit's history at warranty, once, whatever is down when it is made.

The tickets' outbox (services/servicedesk/outbox.py) for a visit instead of a
ticket: a message written in the record's transaction, claimed with a lease
by one process (FOR UPDATE SKIP LOCKED on PostgreSQL), sent with its
Idempotency-Key, marked delivered only while the claim holds. Its timings are
outbox.py's; its loop is outbox.run_forever's.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import update
from sqlalchemy.orm import Session

from services.servicedesk import outbox
from services.servicedesk.clients import Upstreams
from services.servicedesk.visit_models import Visit, VisitOutbox
from shared import errors
from shared.clock import Clock
from shared.uow import UnitOfWork

log = structlog.get_logger("servicedesk.visits")

@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    visit_id: int
    payload: dict
    idempotency_key: str
    attempts: int


def _pending(session: Session, now: datetime) -> bool:
    return outbox.pending(session, now, VisitOutbox)


def _claim(session: Session, *, token: str, now: datetime) -> list[Claimed]:
    return [Claimed(m.id, m.visit_id, m.payload, m.idempotency_key, m.attempts)
            for m in outbox.lease(session, VisitOutbox, VisitOutbox.delivered_at.is_(None), token=token, now=now,
                                  limit=outbox.BATCH)]


def _give_back(session: Session, message: Claimed, *, token: str, error: str, retry_at: datetime) -> None:
    outbox.give_back(session, message, token=token, error=error, retry_at=retry_at, model=VisitOutbox)


def _settle(session: Session, message: Claimed, answer, *, token: str, now: datetime) -> bool:
    done = session.execute(update(VisitOutbox).where(
        VisitOutbox.id == message.id, VisitOutbox.claimed_by == token,
        VisitOutbox.delivered_at.is_(None)).values(delivered_at=now, last_error=None))
    if done.rowcount != 1:  # the lease ran out and another process delivered it
        return False
    # None: warranty has no such unit, so there is no history to land in.
    session.execute(update(Visit).where(Visit.id == message.visit_id)
                    .values(history_delivered=True if answer is not None else None, updated_at=now))
    return True


async def deliver_history(uow: UnitOfWork, upstreams: Upstreams, clock: Clock) -> int:
    """Send the records due now to warranty's history; the number delivered by this call."""
    if not await uow.read(_pending, clock.now()):
        return 0
    token = uuid.uuid4().hex
    delivered = 0
    for message in await uow.write(_claim, token=token, now=clock.now()):
        try:
            answer = await upstreams.warranty.add_repair(message.payload["serial_number"],
                                                         record=message.payload["record"],
                                                         idempotency_key=message.idempotency_key)
        except (errors.UpstreamUnavailable, errors.UpstreamTimeout) as exc:
            backoff = min(outbox.MAX_BACKOFF_SECONDS, 2 ** min(message.attempts, 9))
            await uow.write(_give_back, message, token=token, error=str(exc),
                            retry_at=clock.now() + timedelta(seconds=backoff))
            log.warning("visit_history_delivery_failed", message_id=message.id, error=str(exc))
            continue
        if await uow.write(_settle, message, answer, token=token, now=clock.now()):
            delivered += 1
    return delivered
