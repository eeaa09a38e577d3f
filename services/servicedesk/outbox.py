"""Work for warranty and inventory that must happen exactly once, whatever is down when it is decided.

A message is written in the transaction that decides it (a resolution, a
report whose coverage is still unknown, a loaner to give back) and delivered
by a background task in every process. A process claims a few due messages
with a lease (one UPDATE: under SQLite's write lock, or FOR UPDATE SKIP LOCKED
on PostgreSQL), calls the other service with the message's idempotency key,
and marks it delivered only while its claim holds. A claim lost to an expired
lease costs at most a second call with the same key, which the other service
answers without doing it twice. Each step (look, claim, give back, settle) is
one unit of work (shared/uow.py): on PostgreSQL none of them holds the event loop.
"""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.servicedesk import tickets
from services.servicedesk.clients import Upstreams
from services.servicedesk.models import OutboxMessage, Ticket
from shared import context, errors
from shared.clock import Clock
from shared.uow import UnitOfWork

log = structlog.get_logger("servicedesk.outbox")
LEASE = timedelta(seconds=60)
BATCH = 20
MAX_BACKOFF_SECONDS = 300


def enqueue(session: Session, ticket: Ticket, *, kind: str, payload: dict, now: datetime,
            key: str | None = None) -> OutboxMessage:
    message = OutboxMessage(ticket_id=ticket.id, kind=kind, payload=payload,
                            idempotency_key=key or f"servicedesk-{kind}-{uuid.uuid4().hex}",
                            created_at=now, next_attempt_at=now, attempts=0)
    session.add(message)
    session.flush()
    return message


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message this process holds a claim on: plain values, read in the claim's transaction."""

    id: int
    ticket_id: int
    kind: str
    payload: dict
    idempotency_key: str
    attempts: int


def pending(session: Session, now: datetime, model=OutboxMessage) -> bool:
    """Whether a message of outbox table `model` is due and not delivered."""
    return session.scalars(select(model.id).where(
        model.delivered_at.is_(None), model.next_attempt_at <= now).limit(1)).first() is not None


def lease(session: Session, model, unsent, *, token: str, now: datetime, limit: int) -> list:
    """Claim for `token` up to `limit` rows of an outbox table `model` that are `unsent`, due and held by no
    live lease (one UPDATE, which counts the attempt); the rows it took, oldest first."""
    due = (select(model.id)
           .where(unsent, model.next_attempt_at <= now, (model.claimed_until.is_(None)) | (model.claimed_until < now))
           .order_by(model.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    session.execute(update(model).where(model.id.in_(due.scalar_subquery()))
                    .values(claimed_by=token, claimed_until=now + LEASE, attempts=model.attempts + 1),
                    execution_options={"synchronize_session": False})
    return list(session.scalars(select(model).where(model.claimed_by == token, unsent).order_by(model.id)))


def claim(session: Session, *, token: str, now: datetime, limit: int = BATCH) -> list[Claimed]:
    """Claim up to `limit` due messages for `token` (a write unit: one UPDATE, then what it took)."""
    return [Claimed(m.id, m.ticket_id, m.kind, m.payload, m.idempotency_key, m.attempts)
            for m in lease(session, OutboxMessage, OutboxMessage.delivered_at.is_(None), token=token, now=now,
                           limit=limit)]


def give_back(session: Session, message, *, token: str, error: str, retry_at: datetime,
              model=OutboxMessage) -> None:
    """A failed delivery: the claim is dropped and the message (of outbox table `model`) waits until `retry_at`."""
    session.execute(update(model).where(model.id == message.id, model.claimed_by == token)
                    .values(claimed_by=None, claimed_until=None, last_error=error[:500], next_attempt_at=retry_at))


def settle(session: Session, message: Claimed, answer, *, token: str, clock: Clock) -> bool:
    """Mark it delivered and apply the answer, only while the claim is still ours; whether it was."""
    done = session.execute(update(OutboxMessage).where(
        OutboxMessage.id == message.id, OutboxMessage.claimed_by == token,
        OutboxMessage.delivered_at.is_(None)).values(delivered_at=clock.now(), last_error=None))
    if done.rowcount != 1:  # the lease ran out and another process applied it
        return False
    _apply(session, message, answer, clock.now())
    return True


async def _send(message: Claimed, upstreams: Upstreams):
    payload = message.payload
    if message.kind == "history":
        return await upstreams.warranty.add_repair(payload["serial_number"], record=payload["record"],
                                                   idempotency_key=message.idempotency_key)
    if message.kind == "coverage":
        return await upstreams.warranty.unit_coverage(payload["serial_number"], on=date.fromisoformat(payload["on"]))
    return await upstreams.inventory.release(payload["reservation_id"], idempotency_key=message.idempotency_key)


def _apply(session: Session, message: Claimed, answer, now: datetime) -> None:
    ticket = session.get(Ticket, message.ticket_id)
    if message.kind == "history":
        # None: warranty has no such unit, so there is no history to land in.
        ticket.history_delivered = True if answer is not None else None
        tickets.log(session, ticket, "history_delivered" if answer is not None else "history_not_applicable",
                    at=now, by=context.SYSTEM, now=now, step=False, record_id=answer)
    elif message.kind == "coverage":
        if ticket.serial_number != message.payload["serial_number"] or not ticket.coverage_pending:
            return  # the serial changed since: this answer is about another unit
        tickets.apply_unit(ticket, answer)
        tickets.log(session, ticket, "coverage_filled", at=now, by=context.SYSTEM, now=now, step=False,
                    unit_known=answer.known)
    else:
        ticket.loaner_status = "returned"
        tickets.log(session, ticket, "loaner_released", at=now, by=context.SYSTEM, now=now, step=False,
                    reservation_id=message.payload["reservation_id"])
    tickets.refresh(session, ticket, now)


async def deliver_due(uow: UnitOfWork, upstreams: Upstreams, clock: Clock) -> int:
    """Deliver what is due now; the number delivered by this call."""
    now = clock.now()
    if not await uow.read(pending, now):
        return 0
    token = uuid.uuid4().hex
    messages = await uow.write(claim, token=token, now=now)
    delivered = 0
    for message in messages:
        try:
            answer = await _send(message, upstreams)
        except (errors.UpstreamUnavailable, errors.UpstreamTimeout) as exc:
            backoff = min(MAX_BACKOFF_SECONDS, 2 ** min(message.attempts, 9))
            await uow.write(give_back, message, token=token, error=str(exc),
                            retry_at=clock.now() + timedelta(seconds=backoff))
            log.warning("outbox_delivery_failed", message_id=message.id, kind=message.kind, error=str(exc))
            continue
        if await uow.write(settle, message, answer, token=token, clock=clock):
            delivered += 1
    return delivered


async def run_forever(uow: UnitOfWork, upstreams: Upstreams, clock: Clock, interval: float) -> None:
    from services.servicedesk import visit_history  # here, not above: it imports this module

    while True:
        try:
            await deliver_due(uow, upstreams, clock)
            await visit_history.deliver_history(uow, upstreams, clock)  # planned visits' records, their own outbox
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a busy database now is no reason to stop delivering later
            log.warning("outbox_pass_failed", error=str(exc))
        await asyncio.sleep(interval)
