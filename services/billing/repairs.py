"""Billing a finished repair: a saga over warranty and inventory.

1. A pending bill, keyed by the Idempotency-Key, is written (with the request
   and the rate card in force) before any remote effect, and holds its
   reservations so that no other bill can take them.
2. The reservations are read (all must be active) and the claim is posted with
   the key `bill-<id>-claim`; decision, reservation lines and covering contract
   are stored.
3. Each reservation is consumed with the key `bill-<id>-res-<reservation id>`,
   each success stored at once.
4. The bill is priced from what inventory issued and numbered, in the
   transaction that stores the Idempotency-Key's answer.

No transaction is open while another service is called. An upstream failure
leaves the pending bill as it stands (503/504): a retry with the same key
resumes it, and the keys make every remote step happen once. A definitive
refusal before anything was consumed stops the bill (it lets its reservations
go); once anything was consumed, only completing the bill is allowed.
"""

import asyncio
import uuid

import structlog

from services.billing import bills, errors, invoices
from services.billing.clients import Claim, Reservation, Upstreams
from services.billing.schemas import RepairCreate
from shared import errors as shared_errors
from shared.clock import Clock
from shared.db import Database
from shared.idempotency import Attempt

log = structlog.get_logger("billing.repairs")

# Refusals that no retry of the same request can change: the bill stops (if nothing was consumed).
DEFINITIVE = (errors.UnitNotFound, errors.ReservationNotFound, errors.ReservationNotActive,
              shared_errors.Unprocessable)


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
    def __init__(self, db: Database, upstreams: Upstreams, clock: Clock) -> None:
        self.db = db
        self.warranty = upstreams.warranty
        self.inventory = upstreams.inventory
        self.clock = clock

    async def bill(
        self, *, run: Attempt, scope: str, key: str | None, fingerprint: str, repair_in: RepairCreate
    ) -> dict:
        """Make (or resume, or replay) the bill of this request; the answer is the issued bill."""
        if repair_in.performed_on > bills.business_day(self.clock.now()):
            raise errors.invalid("performed_on", "a finished repair cannot be dated in the future")
        generated = key is None
        key = key or f"auto-{uuid.uuid4().hex}"
        try:
            return await self._run(run=run, scope=scope, key=key, fingerprint=fingerprint,
                                   repair_in=repair_in)
        except (shared_errors.UpstreamUnavailable, shared_errors.UpstreamTimeout) as exc:
            if generated:
                # Without it a client that sent no key could never resume this bill.
                exc.extra["idempotency_key"] = key
            raise

    async def _run(
        self, *, run: Attempt, scope: str, key: str, fingerprint: str, repair_in: RepairCreate
    ) -> dict:
        with self.db.transaction() as session:
            bill = bills.open_bill(session, scope=scope, key=key, fingerprint=fingerprint,
                                   repair=_request_columns(repair_in), now=self.clock.now())
            if bill.status != "pending":
                # Issued before (its key's stored answer has been purged): answer its state now.
                body = invoices.read(session, bill).model_dump(mode="json")
                run.record(session, 201, body)
                return body
        log.info("bill_started", bill_id=bill.id, planned=bill.planned_at is not None)
        if bill.planned_at is None:
            await self._plan(bill)
        await self._consume(bill.id)
        with self.db.transaction() as session:
            issued = bills.issue(session, bill_id=bill.id, now=self.clock.now())
            body = invoices.read(session, issued).model_dump(mode="json")
            run.record(session, 201, body)
        log.info("bill_issued", bill_id=bill.id, number=issued.number)
        return body

    async def _plan(self, bill) -> None:
        try:
            reservations = await self._read_reservations(bill.reservation_ids)
            if bill.claim_id is None:
                claim = await self.warranty.post_claim(idempotency_key=claim_key(bill.id),
                                                       claim=_claim_body(bill))
            else:  # decided on an earlier attempt, before that attempt stopped
                claim = Claim(bill.claim_id, bill.claim_decision, bill.claim_reasons)
        except DEFINITIVE as exc:
            self._abandon(bill.id, exc)
            raise
        with self.db.transaction() as session:
            bills.record_plan(session, bill_id=bill.id, reservations=reservations, claim=claim,
                              now=self.clock.now())

    async def _read_reservations(self, reservation_ids: list[int]) -> dict[int, Reservation]:
        found = await asyncio.gather(
            *(self.inventory.get_reservation(rid) for rid in reservation_ids), return_exceptions=True
        )
        for result in found:
            if isinstance(result, BaseException):
                raise result
        for rid, reservation in zip(reservation_ids, found, strict=True):
            if reservation.status != "active":
                raise errors.ReservationNotActive(f"Reservation {rid} is {reservation.status}")
        return dict(zip(reservation_ids, found, strict=True))

    async def _consume(self, bill_id: int) -> None:
        with self.db.transaction(write=False) as session:
            links = bills.links_of(session, bill_id)
        consumed_any = any(link.state == "consumed" for link in links)
        for link in links:
            if link.state != "held":
                continue
            rid = link.reservation_id
            try:
                reservation = await self.inventory.consume(rid, idempotency_key=consume_key(bill_id, rid))
            except (errors.ReservationNotActive, errors.ReservationNotFound) as exc:
                if not consumed_any:
                    self._abandon(bill_id, exc)
                    raise
                # Parts are already issued for this bill: it must be completed, without these.
                log.warning("reservation_lost", bill_id=bill_id, reservation_id=rid, code=exc.code)
                with self.db.transaction() as session:
                    bills.mark_lost(session, bill_id=bill_id, reservation_id=rid, now=self.clock.now())
                continue
            with self.db.transaction() as session:
                bills.mark_consumed(session, bill_id=bill_id, reservation_id=rid, reservation=reservation,
                                    now=self.clock.now())
            consumed_any = True

    def _abandon(self, bill_id: int, exc: shared_errors.ServiceError) -> None:
        log.info("bill_stopped", bill_id=bill_id, code=exc.code)
        with self.db.transaction() as session:
            bills.abandon(session, bill_id=bill_id, code=exc.code, now=self.clock.now())
