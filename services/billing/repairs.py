"""Billing a finished repair: the I/O loop of the saga in domain/saga.py.

The loop asks `saga.next_step` what to do for the bill's state and the facts
it has, does it (a call to warranty or inventory, or one short local
transaction from bills.py), and asks again. No transaction is open while
another service is called. It is an explicit unit of work (shared/uow.py): each local
step is `await uow.call(...)`, its transaction off the event loop where the database
waits (PostgreSQL), and the calls to other services stay async between them. The remote steps carry keys of their own
(`bill-<id>-claim`, `bill-<id>-res-<reservation id>`), so a retry that resumes
a bill makes every remote effect happen once.

Deadlines: the request's deadline (X-Request-Deadline, shared.deadline) bounds
every call to another service (shared.http waits less and passes a smaller
deadline on) and every local step (one that would commit after the deadline is
rolled back; only what another service has already done is recorded anyway).
Once it is spent nothing more is started: the bill is suspended where it
stands, the answer is 504, and nothing goes on in the background.
"""


import structlog

from services.billing import bills, errors, invoices
from services.billing.clients import Upstreams
from services.billing.domain import saga
from services.billing.domain.days import business_day
from services.billing.domain.saga import Facts, Outcome, State
from services.billing.models import Bill
from services.billing.schemas import ClaimRead, RepairCreate
from shared import deadline, peers
from shared import errors as shared_errors
from shared.clock import Clock
from shared.context import Caller
from shared.contracts.inventory import ReservationRead
from shared.contracts.warranty import SiteRead
from shared.idempotency import Attempt, Idempotency
from shared.uow import UnitOfWork

log = structlog.get_logger("billing.repairs")

# Refusals that no retry of the same request can change.
DEFINITIVE = (errors.UnitNotFound, errors.ReservationNotFound, errors.ReservationNotActive,
              shared_errors.Unprocessable)
# Failures a retry may cure: a service down, slow or failing.
TRANSIENT = (shared_errors.UpstreamUnavailable, shared_errors.UpstreamTimeout)
# Less than this left before the deadline, and no step is started: answering takes time too.
LAST_STEP_SECONDS = deadline.MARGIN_SECONDS


def claim_key(bill_id: int) -> str:
    return f"bill-{bill_id}-claim"


def consume_key(bill_id: int, reservation_id: int) -> str:
    return f"bill-{bill_id}-res-{reservation_id}"


def _request_columns(repair_in: RepairCreate) -> dict:
    return {
        "serial_number": repair_in.serial_number,
        "repair_reference": repair_in.repair_reference,
        "performed_on": repair_in.performed_on,
        "component": repair_in.component,
        "causes": list(repair_in.causes),
        "certificate": repair_in.certificate.model_dump() if repair_in.certificate else None,
        "reservation_ids": list(repair_in.reservation_ids),
        "labor_hours": repair_in.labor_hours,
        "visits": repair_in.visits,
    }


def _claim_body(bill) -> dict:
    return {
        "serial_number": bill.serial_number,
        "failed_on": bill.performed_on.isoformat(),
        "component": bill.component,
        "causes": bill.causes,
        "certificate": bill.certificate,
        "description": f"Billing of repair {bill.repair_reference}",
    }


class RepairSaga:
    def __init__(self, uow: UnitOfWork, upstreams: Upstreams, clock: Clock, caller: Caller | None = None) -> None:
        self.uow = uow
        self.db = uow.db
        self.warranty = upstreams.warranty
        self.inventory = upstreams.inventory
        self.clock = clock
        self.caller = caller

    async def bill_once(
        self, idempotency: Idempotency, *, scope: str, key: str, fingerprint: str, repair_in: RepairCreate
    ):
        """The bill made under the request's Idempotency-Key: the key claimed with the bill's first step
        (Begin) in one transaction, then the rest of the saga.

        Returns the stored answer (a response to replay) or the issued bill; a failure after the claim gives
        it back, so that a retry with the same key runs again (a failed claim committed nothing).
        """
        if repair_in.performed_on > business_day(self.clock.now()):
            raise errors.invalid("performed_on", "a finished repair cannot be dated in the future")
        run = Attempt(idempotency, scope, key)
        begin = dict(scope=scope, key=key, fingerprint=fingerprint, repair=_request_columns(repair_in))
        try:
            return await self._run(run, state=None, bill_id=0, to_consume=(), begin=begin)
        except BaseException:
            if run.claimed:
                # Giving the key's claim back, on the way out, is cleanup: never refused as late
                # (or the retry would find the key still in flight), nor cut short by a cancellation.
                deadline.start(None)
                await self.uow.call(idempotency.give_back, scope=scope, key=key)  # never raises
            raise

    async def resume(self, run: Attempt, *, bill_id: int, state: State, to_consume: tuple[int, ...]) -> dict:
        """Complete a bill left mid-way (services/billing/recovery.py), from the state it stands in."""
        return await self._run(run, state=state, bill_id=bill_id, to_consume=to_consume, begin=None)

    async def _run(self, run: Attempt, *, state: State | None, bill_id: int, to_consume: tuple[int, ...],
                   begin: dict | None) -> dict:
        bill = None
        outcome, refused, error = Outcome.NONE, None, None
        # The plan (claim, reservations, site) of a bill with parts to consume, decided but not recorded yet: it
        # is recorded in the transaction that records the first consume (one transaction fewer per bill).
        # Until then the bill reads begun, and whoever takes it up again asks inventory what was consumed.
        plan = None
        while True:
            facts = Facts(to_consume=to_consume, outcome=outcome, refused_reservation=refused,
                          out_of_time=_out_of_time())
            step = saga.next_step(state, facts)
            log.debug("saga_step", bill_id=bill_id, state=state, step=type(step).__name__)
            outcome, refused = Outcome.NONE, None
            try:
                match step:
                    case saga.Answer():
                        return await self.uow.call(self._answer, run, bill_id)
                    case saga.Suspend():
                        if facts.outcome is Outcome.FAILED:
                            log.info("bill_suspended", bill_id=bill_id, state=state, code=error.code)
                            raise error
                        log.info("bill_suspended", bill_id=bill_id, state=state, code="deadline")
                        raise shared_errors.UpstreamTimeout(
                            "The repair could not be billed within the time the caller gave; "
                            "retry with the same Idempotency-Key"
                        )
                    case saga.Begin():
                        stored, begun = await self.uow.call(self._claim_and_begin, run, begin)
                        if stored is not None:
                            return stored.replay()  # the key's answer, from an earlier request
                        bill, to_consume = begun
                        bill_id = bill.id
                        log.info("bill_begun", bill_id=bill_id, state=bill.status)
                    case saga.Reopen():
                        bill, to_consume = await self._local(bills.reopen, bill_id=bill_id)
                    case saga.Plan():
                        if bill is None:  # resumed begun (services/billing/recovery.py)
                            bill = await self.uow.call(self._read, bill_id)
                        reservations, claim, site = await self._plan_remote(bill, to_consume)
                        if to_consume:
                            plan = dict(reservations=reservations, claim=claim, site=site)
                            state = State.PLANNED
                            continue
                        bill, to_consume = await self._record(bills.record_plan, bill_id=bill_id,
                                                              reservations=reservations, claim=claim, site=site)
                    case saga.Consume(reservation_id=rid):
                        reservation = await self.inventory.consume(rid, idempotency_key=consume_key(bill_id, rid))
                        consumed = dict(bill_id=bill_id, reservation_id=rid, reservation=reservation, plan=plan)
                        plan = None
                        if to_consume == (rid,) and not _out_of_time():
                            # The last one: recorded and the bill issued in one transaction.
                            body, recorded = await self.uow.call(self._consume_then_issue, run, consumed)
                            if body is not None:
                                log.info("bill_issued", bill_id=bill_id, number=body["number"])
                                return body
                            bill, to_consume = recorded
                        else:
                            bill, to_consume = await self._record(_planned_and_consumed, **consumed)
                    case saga.LeaveOff(reservation_id=rid):
                        log.warning("reservation_lost", bill_id=bill_id, reservation_id=rid, code=error.code)
                        bill, to_consume = await self._record(bills.mark_lost, bill_id=bill_id, reservation_id=rid)
                    case saga.Stop():
                        log.info("bill_stopped", bill_id=bill_id, code=error.code)
                        await self._local(bills.abandon, bill_id=bill_id, code=error.code)
                        raise error
                    case saga.Issue():
                        body = await self.uow.call(self._issue, run, bill_id)
                        log.info("bill_issued", bill_id=bill_id, number=body["number"])
                        return body
            except DEFINITIVE as exc:
                if not isinstance(step, saga.Plan | saga.Consume):
                    raise  # a local step refused (a reservation on another bill): nothing was written
                outcome, error = Outcome.REFUSED, exc
                refused = step.reservation_id if isinstance(step, saga.Consume) else None
            except TRANSIENT as exc:
                if isinstance(step, saga.Suspend):
                    raise
                outcome, error = Outcome.FAILED, exc
            except deadline.DeadlineExceeded:
                pass  # the step was rolled back; the next turn finds no time left and suspends
            else:
                state = State(bill.status)

    async def _local(self, step, **kwargs) -> tuple[bills.BillLike, tuple[int, ...]]:
        """One local step in its own transaction; past the deadline it is rolled back, not committed."""
        return await self.uow.call(self._step, step, kwargs, bounded=True)

    async def _record(self, step, **kwargs) -> tuple[bills.BillLike, tuple[int, ...]]:
        """Record what another service has already done, even past the deadline.

        Rolling it back would not undo it: a consume done at inventory but forgotten here would let
        the bill look as if it had consumed nothing, and stop, leaving issued parts without a bill.
        """
        return await self.uow.call(self._step, step, kwargs, bounded=False)

    def _step(self, step, kwargs: dict, *, bounded: bool) -> tuple[bills.BillLike | None, tuple[int, ...]]:
        """`step` in one transaction, and what the bill has left to consume read in the same one."""
        unbound = None if bounded else deadline.start(None)
        try:
            with self.db.transaction() as session:
                return self._in(session, step, kwargs, bounded=bounded)
        finally:
            if unbound is not None:
                deadline.reset(unbound)

    def _in(self, session, step, kwargs: dict, *, bounded: bool) -> tuple[bills.BillLike | None, tuple[int, ...]]:
        bill = step(session, now=self.clock.now(), **kwargs)
        left = bills.left_to_consume(session, bill) if bill is not None else ()
        if bounded:
            deadline.check()
        return bill, left

    def _claim_and_begin(self, run: Attempt, begin: dict):
        """The request's key claimed and its bill found or begun (Begin) in ONE transaction, rolled back
        whole past the deadline: (the stored answer to replay, None) or (None, the bill and what it has left
        to consume). A resumed bill (`resume`) holds its claim already and begins no more."""
        stored, begun = run.idempotency.claim_with(
            scope=run.scope, key=run.key, fingerprint=begin["fingerprint"],
            effect=lambda session: self._in(session, bills.begin, begin, bounded=True))
        run.claimed = stored is None
        return stored, begun

    def _consume_then_issue(self, run: Attempt, consumed: dict) -> tuple[dict | None, tuple | None]:
        """The last consume recorded and the bill issued in ONE transaction (what `Consume` then `Issue`
        do in two): (the issued bill's answer, None). When the bill is not to be issued now (no time left,
        or something still to consume) or the deadline passes before the commit, that transaction is
        rolled back and the consume, which inventory has done, is recorded alone, even past the deadline,
        as `_record` does, in the same call (a request cancelled meanwhile still waits for it): (None,
        what `_step` gives). Nothing is then issued, and the bill is left consuming, as before."""
        try:
            return self._consumed_and_issued(run, consumed), None
        except (deadline.DeadlineExceeded, _NotIssuedNow):
            pass
        return None, self._step(_planned_and_consumed, consumed, bounded=False)

    def _consumed_and_issued(self, run: Attempt, consumed: dict) -> dict:
        # One statement per row written (shared/db.RowWriter): the link consumed, and the bill, consuming then
        # issued, in one UPDATE.
        with self.db.transaction() as session, session.no_autoflush:
            now = self.clock.now()
            # The bill's links locked first, as the consume's record alone locks its link before the bill.
            links = bills.link_rows(session, consumed["bill_id"], lock=True)
            bill = _planned_and_consumed(session, now=now, links=links, issuing=True, **consumed)
            facts = Facts(to_consume=bills.held(links), out_of_time=_out_of_time())
            if saga.next_step(State.CONSUMING, facts) != saga.Issue():
                raise _NotIssuedNow()
            issued = bills.issue(session, bill_id=bill.id, now=now, caller=self.caller, locked=(bill, links))
            body = bills.issued_read(session, issued).model_dump(mode="json")
            run.record(session, 201, body)
            deadline.check()
        return body

    def _read(self, bill_id: int) -> Bill:
        with self.db.transaction(write=False) as session:
            return session.get(Bill, bill_id)

    def _answer(self, run: Attempt, bill_id: int) -> dict:
        # Issued on an earlier attempt whose stored answer has since been purged: answer its state now.
        with self.db.transaction() as session:
            body = invoices.read(session, session.get(Bill, bill_id)).model_dump(mode="json")
            run.record(session, 201, body)
        return body

    def _issue(self, run: Attempt, bill_id: int) -> dict:
        with self.db.transaction() as session:
            issued = bills.issue(session, bill_id=bill_id, now=self.clock.now(), caller=self.caller)
            body = bills.issued_read(session, issued).model_dump(mode="json")
            run.record(session, 201, body)
            deadline.check()
        return body

    async def _plan_remote(self, bill, to_consume: tuple[int, ...]) -> tuple[dict[int, ReservationRead], ClaimRead,
                                                                             SiteRead]:
        # A bill that got as far as its claim before may have had a consume done whose answer was
        # lost: a reservation that reads consumed is then left to the bill's own consume key, which
        # inventory replays if it was this bill's, and refuses if it was someone else's.
        # So may a bill found begun again (its plan is recorded with its first consume): only one begun in this
        # request surely has nothing consumed.
        usable = ("active",) if bill.begun_now and bill.claim_id is None else ("active", "consumed")
        # A reservation not left to consume was taken over consumed from the repair's void bill.
        wanted = {rid: usable if rid in to_consume else ("consumed",) for rid in bill.reservation_ids}
        if bill.claim_id is not None:  # decided on an earlier attempt, before that attempt stopped
            reservations, unit = await peers.all_of(self._read_reservations(wanted),
                                            self.warranty.get_unit(bill.serial_number))
            return reservations, ClaimRead(id=bill.claim_id, decision=bill.claim_decision,
                                           reasons=bill.claim_reasons or []), unit.site
        # Every reservation read active before the claim is asked for (a refusal then leaves no claim);
        # the claim's answer names the unit's site (an unknown unit is the claim's 404), so the unit is
        # not read on its own (one request fewer per bill, issue 22).
        reservations = await self._read_reservations(wanted)
        claim = await self.warranty.post_claim(idempotency_key=claim_key(bill.id), claim=_claim_body(bill))
        site = claim.site if claim.site is not None else (await self.warranty.get_unit(bill.serial_number)).site
        # Warranty's decision, as the bill keeps it (billing's ClaimRead: its id, decision and reasons).
        return reservations, ClaimRead.model_validate(claim.model_dump()), site

    async def _read_reservations(self, wanted: dict[int, tuple[str, ...]]) -> dict[int, ReservationRead]:
        found = await peers.all_of(*(self.inventory.get_reservation(rid) for rid in wanted))
        for (rid, usable), reservation in zip(wanted.items(), found, strict=True):
            if reservation.status not in usable:
                raise errors.ReservationNotActive(f"Reservation {rid} is {reservation.status}")
        return dict(zip(wanted, found, strict=True))


def _planned_and_consumed(session, *, now, plan: dict | None, links=None, issuing: bool = False, **consumed):
    """A consume recorded, with the bill's plan when it is the first (`plan`, not recorded yet), in the caller's
    transaction; the bill's links locked first (as `_consumed_and_issued` does), then the bill."""
    if plan is not None:
        links = bills.link_rows(session, consumed["bill_id"], lock=True) if links is None else links
        bills.record_plan(session, bill_id=consumed["bill_id"], now=now, links=links, **plan)
    return bills.mark_consumed(session, now=now, links=links, issuing=issuing, **consumed)


class _NotIssuedNow(Exception):
    """The bill still has something to consume, or no time is left: roll back, record the consume alone."""


def _out_of_time() -> bool:
    left = deadline.remaining()
    return left is not None and left <= LAST_STEP_SECONDS
