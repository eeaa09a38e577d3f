"""The recovery pass: bills left mid-way are completed or given up, so that no part stays consumed
without a bill even when the client never retries.

A request's saga stops where it stands on a failure (a service down, its deadline spent, a step that
the database could not record) and a retry with the same key resumes it. When no retry comes, this
pass, run in the background of every billing process, picks up each bill still being made that
nobody touched for `bills.HOLD_LEASE`:

- `begun` or `planned`: inventory may have issued parts whose record was lost (the answer, or our own
  step that should have recorded it; a bill's plan is recorded with its first consume, so a bill whose
  first consume was done may still read begun). Each held reservation is read: if every one is still
  active, nothing was consumed, and the bill is stopped, letting its reservations go; otherwise it is
  completed. A begun bill with no reservation is stopped.
- `consuming`: parts were issued for it: it is completed.

Completing runs the saga's own steps with the bill's own keys (a consume that inventory already did
is replayed, never done twice) and issues the bill, storing the answer under the request's key, so
the client's retry gets that bill. A consumed reservation is thus always billed; none needs to go
back to stock. While it works on a bill the pass holds the request's Idempotency-Key claim, so a
retry arriving meanwhile is told `idempotency_in_progress` rather than running the same saga at once.
"""

import asyncio
from datetime import datetime

import structlog
from sqlalchemy import select

from services.billing import bills
from services.billing.clients import Upstreams
from services.billing.domain.saga import State
from services.billing.models import Bill
from services.billing.repairs import RepairSaga
from shared import errors as shared_errors
from shared.clock import Clock
from shared.context import SYSTEM
from shared.idempotency import Attempt, Idempotency
from shared.uow import UnitOfWork

log = structlog.get_logger("billing.recovery")
DEFAULT_SECONDS = 60.0
AT_MOST = 50  # bills per pass: a backlog is worked off over several passes


def _stalled(db, *, now: datetime) -> list[tuple[int, str]]:
    with db.transaction(write=False) as session:
        return [(row.id, row.status) for row in session.execute(
            select(Bill.id, Bill.status)
            .where(Bill.status.in_((State.BEGUN, State.PLANNED, State.CONSUMING)),
                   Bill.updated_at < now - bills.HOLD_LEASE)
            .order_by(Bill.id).limit(AT_MOST)
        )]


def _claim(db, idempotency: Idempotency, bill_id: int):
    with db.transaction(write=False) as session:
        bill = session.get(Bill, bill_id)
        scope, key, fingerprint = bill.idempotency_scope, bill.idempotency_key, bill.fingerprint
    try:
        stored = idempotency.claim(scope=scope, key=key, fingerprint=fingerprint)
    except (shared_errors.IdempotencyInProgress, shared_errors.IdempotencyKeyReused):
        return None  # a request is working on it now
    if stored is not None:
        return None  # answered already
    return Attempt(idempotency, scope, key, claimed=True)


def _state(db, bill_id: int, *, now: datetime) -> tuple[State, tuple[int, ...]]:
    """The bill's state and what it has left to consume, read again under the claim; touched, so that
    no other bill takes its reservations while the pass works on it."""
    with db.transaction() as session:
        bill = session.get(Bill, bill_id, with_for_update=True)
        if bill.status in (State.BEGUN, State.PLANNED, State.CONSUMING):
            bill.updated_at = now
        return State(bill.status), bills.to_consume(session, bill_id)


def _stop(db, bill_id: int, *, now: datetime) -> None:
    with db.transaction() as session:
        bills.abandon(session, bill_id=bill_id, code="abandoned", now=now)


async def recover_bill(uow: UnitOfWork, upstreams: Upstreams, clock: Clock, idempotency: Idempotency,
                       bill_id: int) -> str:
    """Complete or stop one stalled bill; what became of it ("issued", "stopped", or "left")."""
    run = await uow.call(_claim, uow.db, idempotency, bill_id)
    if run is None:
        return "left"
    try:
        state, to_consume = await uow.call(_state, uow.db, bill_id, now=clock.now())
        nothing_consumed = state is State.BEGUN and not to_consume
        if state in (State.BEGUN, State.PLANNED) and to_consume:
            found = await asyncio.gather(*(upstreams.inventory.get_reservation(rid) for rid in to_consume))
            nothing_consumed = all(reservation.status == "active" for reservation in found)
        if nothing_consumed:  # give it up: it holds nothing that was issued
            await uow.call(_stop, uow.db, bill_id, now=clock.now())
            log.info("bill_recovered", bill_id=bill_id, outcome="stopped")
            await uow.call(idempotency.release, scope=run.scope, key=run.key)
            return "stopped"
        if state not in (State.BEGUN, State.PLANNED, State.CONSUMING):
            await uow.call(idempotency.release, scope=run.scope, key=run.key)
            return "left"
        saga = RepairSaga(uow, upstreams, clock, SYSTEM)
        try:
            body = await saga.resume(run, bill_id=bill_id, state=state, to_consume=to_consume)
        except shared_errors.ServiceError as exc:
            log.info("bill_recovered", bill_id=bill_id, outcome="refused", code=exc.code)
            await uow.call(idempotency.release, scope=run.scope, key=run.key)
            return "stopped" if exc.status < 500 else "left"
        log.info("bill_recovered", bill_id=bill_id, outcome="issued", number=body["number"])
        return "issued"
    except BaseException:
        await uow.call(idempotency.release, scope=run.scope, key=run.key)
        raise


async def recover_once(uow: UnitOfWork, upstreams: Upstreams, clock: Clock, idempotency: Idempotency) -> dict:
    """One pass over the stalled bills; how many became what."""
    outcomes: dict[str, int] = {}
    for bill_id, _status in await uow.call(_stalled, uow.db, now=clock.now()):
        try:
            outcome = await recover_bill(uow, upstreams, clock, idempotency, bill_id)
        except Exception as exc:  # one bill in trouble is no reason to leave the others
            log.warning("bill_recovery_failed", bill_id=bill_id, error=type(exc).__name__)
            outcome = "left"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


async def run_forever(uow: UnitOfWork, upstreams: Upstreams, clock: Clock, idempotency: Idempotency,
                      seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            outcomes = await recover_once(uow, upstreams, clock, idempotency)
            if outcomes:
                log.info("recovery_pass", **outcomes)
        except Exception as exc:  # the database away now is no reason to stop trying later
            log.warning("recovery_pass_failed", error=type(exc).__name__)
