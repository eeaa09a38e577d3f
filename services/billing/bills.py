"""The short local transactions the repair saga is made of, one per step of
domain/saga.py, each moving the bill to its next state.

Each function takes a session, flushes and never commits: repairs.py opens
one transaction per step, between the calls to other services.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.billing import company, contracts, errors, invoices, numbering, rates, trail
from services.billing.domain.days import BUSINESS_TZ
from services.billing.domain.pricing import ContractTerms, PartUse, price_repair
from services.billing.domain.saga import OPEN_STATES, State
from services.billing.models import INVOICE_STATUSES, Bill, BillLine, BillReservation
from services.billing.schemas import BillRead, ClaimRead
from shared import context, direct, metrics
from shared import errors as shared_errors
from shared.columns import fit
from shared.contracts.inventory import ReservationLineRead, ReservationRead
from shared.contracts.warranty import SiteRead
from shared.db import RowWriter, loaded

# A reservation held by a bill still being made that consumed nothing and was not touched for
# this long may go to another bill: the holder's request was abandoned. Every step of
# a live saga touches its bill within one upstream timeout, far below this.
HOLD_LEASE = timedelta(minutes=2)
# Where `issue` leaves what it wrote (the bill, its lines, its links, the company named), in `session.info`.
ISSUED = "billing.issued"
# Where a step that has the bill's links at hand leaves what is left to consume (`left_to_consume`).
LEFT = "billing.left_to_consume"


# The rows every step reads and locks, as statements built once (`Session.get` builds its query on each call).
_BILL = select(Bill).where(Bill.id == bindparam("b_id")).with_for_update()
_LINK = select(BillReservation).where(BillReservation.reservation_id == bindparam("b_id")).with_for_update()
_LINKS = select(BillReservation).where(BillReservation.bill_id == bindparam("b_id")).order_by(BillReservation.position)
# The id of the bill of a key, and of the void bill a repair's new bill replaces: on Core (most bills have
# neither), the bill itself then loaded by _BILL.
_BILL_OF_KEY = (select(Bill.__table__.c.id)
                .where(Bill.idempotency_scope == bindparam("b_scope"), Bill.idempotency_key == bindparam("b_key"))
                .with_for_update())
_HELD = (select(BillReservation.reservation_id)
         .where(BillReservation.bill_id == bindparam("b_id"), BillReservation.state == "held")
         .order_by(BillReservation.position))
_VOID_OF_REPAIR = (select(Bill.__table__.c.id)
                   .where(Bill.repair_reference == bindparam("b_ref"), Bill.status == State.VOID,
                          Bill.replaced_by.is_(None), Bill.id != bindparam("b_id"))
                   .order_by(Bill.id.desc()).limit(1).with_for_update())
_INSERT_BILL = insert(Bill.__table__).returning(Bill.__table__.c.id)
# What each step writes, by statements built once (shared/db.RowWriter): no unit-of-work flush per step.
_PLANNED = RowWriter(Bill, "claim_id", "claim_decision", "claim_reasons", "contract_id", "customer_name",
                     "customer_address", "planned_at", "updated_at", "status")
_LINK_LINES = RowWriter(BillReservation, "lines")
_LINK_CONSUMED = RowWriter(BillReservation, "state", "consumed_at", "lines")
_CONSUMING = RowWriter(Bill, "status", "updated_at")
_ISSUED_BILL = RowWriter(Bill, "net", "vat", "total", "warranty_cost", "number", "status", "issued_at", "updated_at",
                         "paid_at", "issued_by", "company_version", "replaces")
_INSERT_LINES = insert(BillLine.__table__)


def _locked_bill(session: Session, bill_id: int) -> Bill | None:
    return session.scalars(_BILL, {"b_id": bill_id}).one_or_none()


# The same rows for the hot steps (Plan, the consume's record, the issue), which change them by RowWriter
# only: read by Core, as plain objects (shared/db.loaded), without the ORM's loading.
_BILL_ROW = select(Bill.__table__).where(Bill.__table__.c.id == bindparam("b_id")).with_for_update()
_LINK_ROWS = (select(BillReservation.__table__).where(BillReservation.__table__.c.bill_id == bindparam("b_id"))
              .order_by(BillReservation.__table__.c.position))
_LOCKED_LINK_ROWS = _LINK_ROWS.with_for_update()


# A bill as a step answers it: the ORM's object (reopen, mark_lost), or its row read as a plain object with
# the same attributes (the hot steps).
BillLike = Bill | SimpleNamespace


def _bill_row(session: Session, bill_id: int) -> SimpleNamespace | None:
    return loaded(direct.run(session, _BILL_ROW, {"b_id": bill_id}).first())


def link_rows(session: Session, bill_id: int, *, lock: bool = False) -> list[SimpleNamespace]:
    """`links_of`, as plain objects: for a step that changes them by RowWriter only."""
    return [loaded(row) for row in direct.run(session, _LOCKED_LINK_ROWS if lock else _LINK_ROWS, {"b_id": bill_id})]


def _locked_link(session: Session, reservation_id: int) -> BillReservation | None:
    return session.scalars(_LINK, {"b_id": reservation_id}).one_or_none()


def _try_hold(dialect) -> object:
    """A reservation on no bill put on this one, saying so (its id); on a bill already, nothing done."""
    table = BillReservation.__table__
    return (dialect.insert(table)
            .values(reservation_id=bindparam("b_rid"), bill_id=bindparam("b_bill"), position=bindparam("b_pos"),
                    state="held")
            .on_conflict_do_nothing(index_elements=[table.c.reservation_id])
            .returning(table.c.reservation_id))


_TRY_HOLD = {"postgresql": _try_hold(postgresql), "sqlite": _try_hold(sqlite)}


def links_of(session: Session, bill_id: int) -> list[BillReservation]:
    return list(session.scalars(_LINKS, {"b_id": bill_id}))


def begin(
    session: Session, *, scope: str, key: str, fingerprint: str, repair: dict, now: datetime
) -> Bill:
    """The bill of this Idempotency-Key: found (to resume or answer) or written, holding its reservations."""
    found = direct.run(session, _BILL_OF_KEY, {"b_scope": scope, "b_key": key}).first()
    bill = _locked_bill(session, found.id) if found is not None else None
    if bill is None:
        card = rates.in_force(session, at=now)
        columns = dict(
            idempotency_scope=scope, idempotency_key=key, fingerprint=fingerprint, status=State.BEGUN,
            **repair,
            rate_card_version=card.id, labor_rate_per_hour=card.labor_rate_per_hour,
            callout_fee=card.callout_fee, vat_rate=card.vat_rate, currency=card.currency,
            created_at=now, updated_at=now,
        )
        # The row the ORM would write for Bill(**columns), by a statement built once; the bill the saga
        # goes on with is that object, not attached to the session (nothing else in this step changes it).
        bill = Bill(id=direct.run(session, _INSERT_BILL, columns).scalar_one(), begun_now=True, **columns)
        taken_over = _hold(session, bill, now)
        _left(session, bill, tuple(rid for rid in bill.reservation_ids if rid not in taken_over))
    elif bill.fingerprint != fingerprint:
        raise shared_errors.IdempotencyKeyReused("This Idempotency-Key was used with a different repair")
    elif bill.status in OPEN_STATES:
        bill.updated_at = now  # worked on again: its reservations are not up for grabs
        session.flush()
    return bill


def reopen(session: Session, *, bill_id: int, now: datetime) -> Bill:
    """A retry of a stopped bill: begun again, holding its reservations again."""
    bill = _locked_bill(session, bill_id)
    bill.status, bill.failure_code, bill.updated_at = State.BEGUN, None, now
    _hold(session, bill, now)
    return bill


def _left(session: Session, bill: Bill, left: tuple[int, ...]) -> None:
    session.info[LEFT] = (bill.id, left)


def left_to_consume(session: Session, bill: Bill) -> tuple[int, ...]:
    """`to_consume` after a step: as the step found it with the bill's links at hand, else read."""
    known = session.info.pop(LEFT, None)
    if known is not None and known[0] == bill.id:
        return known[1]
    return to_consume(session, bill.id)


def to_consume(session: Session, bill_id: int) -> tuple[int, ...]:
    """The reservations on the bill that inventory has not issued yet, in the bill's order."""
    # Their ids only (not the links with their lines): the saga asks after every step.
    return tuple(row[0] for row in direct.run(session, _HELD, {"b_id": bill_id}))


def _hold(session: Session, bill: Bill, now: datetime) -> set[int]:
    """Hold the bill's reservations; the ids of those taken over, consumed, from a void bill."""
    # In id order, so that two bills sharing reservations never wait on each other in a cycle.
    positions = {rid: i for i, rid in enumerate(bill.reservation_ids)}
    taken_over = set()
    try_hold = _TRY_HOLD[session.get_bind().dialect.name]
    for reservation_id in sorted(positions):
        if direct.run(session, try_hold, {"b_rid": reservation_id, "b_bill": bill.id,
                                          "b_pos": positions[reservation_id]}).first() is not None:
            continue  # on no bill: held now, in one statement
        link = _locked_link(session, reservation_id)
        if link is not None and link.bill_id == bill.id:
            continue
        if link is not None:
            holder = session.get(Bill, link.bill_id, with_for_update=True)
            if _replaced_by(holder, link, bill):
                # Consumed for this repair's void bill: the parts are in the unit, the new bill bills them.
                link.bill_id, link.from_bill_id, link.position = bill.id, holder.id, positions[reservation_id]
                session.flush()
                taken_over.add(reservation_id)
                continue
            if not _abandoned(session, holder, now):
                where = holder.number or "another bill still being made"
                raise errors.ReservationNotActive(f"Reservation {reservation_id} is on {where}")
            abandon(session, bill_id=holder.id, code="superseded", now=now)
        session.add(BillReservation(reservation_id=reservation_id, bill_id=bill.id,
                                    position=positions[reservation_id], state="held"))
        try:
            session.flush()
        except IntegrityError:
            # Another process put it on its bill a moment ago.
            raise errors.ReservationNotActive(f"Reservation {reservation_id} is on another bill") from None
    return taken_over


def _replaced_by(holder: Bill, link: BillReservation, bill: Bill) -> bool:
    return holder.status == State.VOID and link.state == "consumed" and holder.repair_reference == bill.repair_reference


def _abandoned(session: Session, holder: Bill, now: datetime) -> bool:
    # Only a bill that consumed nothing may stop; one that consumed parts keeps them until completed.
    if holder.status not in (State.BEGUN, State.PLANNED) or now - holder.updated_at < HOLD_LEASE:
        return False
    return all(link.state == "held" for link in links_of(session, holder.id))


def abandon(session: Session, *, bill_id: int, code: str, now: datetime) -> None:
    """Stop a bill that consumed nothing: it lets its reservations go (those taken over from a void
    bill go back to it); a retry reopens it."""
    bill = _locked_bill(session, bill_id)
    links = links_of(session, bill_id)
    if bill.status not in (State.BEGUN, State.PLANNED) or any(
        link.state != "held" and link.from_bill_id is None for link in links
    ):
        return  # parts were consumed: only completing the bill is allowed now
    bill.status, bill.failure_code, bill.planned_at, bill.updated_at = State.STOPPED, code, None, now
    for link in links:
        if link.from_bill_id is not None:
            link.bill_id, link.from_bill_id = link.from_bill_id, None
    session.execute(delete(BillReservation).where(BillReservation.bill_id == bill_id, BillReservation.state == "held"))
    session.flush()


def _text(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    return value.strip()[:limit] or None


def _stored(line: ReservationLineRead) -> dict:
    """A reservation's line as a bill keeps it (the part, its quantities and prices), read back by _parts."""
    return line.model_dump(mode="json", exclude={"uom"})


def record_plan(
    session: Session, *, bill_id: int, reservations: dict[int, ReservationRead], claim: ClaimRead, now: datetime,
    site: SiteRead | None = None, links: list[BillReservation] | None = None,
) -> BillLike:
    """The claim decided, the reservations read and the contract found: consuming may begin (`site`: the unit's;
    `links`: the bill's, read and locked in this transaction by a caller that records a consume in it too)."""
    bill = _bill_row(session, bill_id)
    contract = contracts.covering(session, serial_number=bill.serial_number, on=bill.performed_on)
    links = link_rows(session, bill_id) if links is None else links
    # Made out to the contract's customer, else to the unit's site; copied, never looked up again.
    site_name, site_address = (_text(site.name, 200), _text(site.address, 300)) if site else (None, None)
    _PLANNED.write(
        session, bill, claim_id=claim.id, claim_decision=claim.decision,
        claim_reasons=[reason.model_dump() for reason in claim.reasons],
        contract_id=contract.id if contract is not None else None,
        customer_name=(contract.customer if contract is not None else site_name) or bill.customer_name,
        customer_address=site_address or bill.customer_address,
        planned_at=now, updated_at=now, status=State.PLANNED,
    )
    for link in links:
        if link.state == "held":  # one taken over consumed keeps the lines it was issued with
            _LINK_LINES.write(session, link, lines=[_stored(line) for line in reservations[link.reservation_id].lines])
    _left(session, bill, held(links))
    return bill


def held(links: list[BillReservation]) -> tuple[int, ...]:
    """`to_consume` of the bill's links (all of them, in their order), as they stand in the session."""
    return tuple(link.reservation_id for link in links if link.state == "held")


def mark_consumed(
    session: Session, *, bill_id: int, reservation_id: int, reservation: ReservationRead, now: datetime,
    links: list[BillReservation] | None = None, issuing: bool = False,
) -> BillLike:
    """`links`: all the bill's links, read and locked in this transaction (`link_rows(..., lock=True)`).
    `issuing`: the bill is issued in this same transaction, which writes its row once (then its status here
    is still the one it was read with: the caller knows it is consuming)."""
    link = _locked_link(session, reservation_id) if links is None else next(
        (link for link in links if link.reservation_id == reservation_id), None)
    # What inventory says it issued is what is billed.
    _LINK_CONSUMED.write(session, link, state="consumed", consumed_at=now,
                         lines=[_stored(line) for line in reservation.lines])
    bill = _bill_row(session, bill_id)
    if not issuing:
        _CONSUMING.write(session, bill, status=State.CONSUMING, updated_at=now)
    if links is not None:  # what is left to consume, known here (over a hint an earlier step of this one left)
        _left(session, bill, held(links))
    return bill


def mark_lost(session: Session, *, bill_id: int, reservation_id: int, now: datetime) -> Bill:
    link = _locked_link(session, reservation_id)
    link.state = "lost"
    bill = _locked_bill(session, bill_id)
    bill.updated_at = now
    session.flush()
    return bill


def _parts(links: list[BillReservation]) -> list[PartUse]:
    parts = []
    for link in links:
        if link.state != "consumed":
            continue
        for line in link.lines or []:  # as _stored wrote them (consumed_qty None: kept before inventory gave it)
            qty = line["qty"] if line.get("consumed_qty") is None else line["consumed_qty"]
            if qty > 0:
                parts.append(PartUse(line["part_number"], line.get("name") or "", qty,
                                     Decimal(str(line["list_price"])), Decimal(str(line["out_of_warranty_price"]))))
    return parts


def _contract_terms(session: Session, contract_id: int | None) -> ContractTerms | None:
    if contract_id is None:
        return None
    contract = contracts.get(session, contract_id)
    return ContractTerms(includes_labor=contract.includes_labor,
                         parts_discount_pct=Decimal(contract.parts_discount_pct))


def _replacing(session: Session, bill: Bill, links: list[BillReservation]) -> Bill | None:
    """The void bill this one replaces: the one whose consumed parts it took over, else the latest void
    bill of the same repair not replaced yet."""
    taken_from = next((link.from_bill_id for link in links if link.from_bill_id is not None), None)
    if taken_from is not None:
        return _locked_bill(session, taken_from)
    void = direct.run(session, _VOID_OF_REPAIR, {"b_ref": bill.repair_reference, "b_id": bill.id}).first()
    return _locked_bill(session, void.id) if void is not None else None


def issue(session: Session, *, bill_id: int, now: datetime, caller: context.Caller | None = None,
          locked: tuple[BillLike, list[BillReservation]] | None = None) -> BillLike:
    """Price what was consumed and number the bill, in one transaction: no number is ever burnt.

    A bill that charges nothing is settled as it is issued: it is never "unpaid". `locked`: the bill,
    already read and locked in this transaction, and all its links (the last consume's record).
    What it wrote is left in `session.info[ISSUED]` (`issued_read`): the answer needs no read back.
    """
    bill, links = locked if locked is not None else (_bill_row(session, bill_id), None)
    if bill.status in INVOICE_STATUSES:
        return bill  # a duplicate attempt got here first
    return _issue(session, bill, links if links is not None else link_rows(session, bill_id), now=now, caller=caller)


def _issue(session: Session, bill: BillLike, links: list[BillReservation], *, now: datetime,
           caller: context.Caller | None) -> BillLike:
    bill_id = bill.id
    priced = price_repair(
        approved=bill.claim_decision == "approved",
        parts=_parts(links),
        labor_hours=Decimal(bill.labor_hours),
        visits=bill.visits,
        rates=rates.as_rates(bill.labor_rate_per_hour, bill.callout_fee, bill.vat_rate, bill.currency),
        contract=_contract_terms(session, bill.contract_id),
    )
    rows = [{"bill_id": bill_id, "position": i, "kind": line.kind,
             "description": fit(line.description, BillLine.description), "qty": line.qty,
             "unit_price": line.unit_price, "amount": line.amount}
            for i, line in enumerate(priced.lines)]
    if rows:
        direct.later_many(session, _INSERT_LINES, rows)
    who = caller or context.SYSTEM
    found = company.latest(session)
    replaced = _replacing(session, bill, links)
    # The number last: its counter row stays locked until the commit, and every bill of the year waits for it
    # (on PostgreSQL each statement after it is a round trip that every other bill waits through).
    number = numbering.next_number(session, year=now.astimezone(BUSINESS_TZ).year)
    _ISSUED_BILL.write(
        session, bill, net=priced.net, vat=priced.vat, total=priced.total, warranty_cost=priced.warranty_cost,
        number=number, status=State.PAID if priced.total == 0 else State.ISSUED, issued_at=now, updated_at=now,
        paid_at=now if priced.total == 0 else bill.paid_at, issued_by=who.actor(),
        company_version=found.id if found is not None else None,
        replaces=replaced.number if replaced is not None else bill.replaces,
    )
    if replaced is not None:
        replaced.replaced_by = bill.number  # rare: the ORM writes it at the commit
    # The answer's lines as written (BillRead.of reads their attributes).
    session.info[ISSUED] = (bill, [SimpleNamespace(**row) for row in rows], links, found)
    trail.record(session, who, action="bill.issued", object_type="bill", object_id=bill.number, at=now,
                 changes={"status": [None, bill.status], "total": [None, bill.total],
                          **({"replaces": [None, bill.replaces]} if bill.replaces else {})})
    if replaced is not None:
        trail.record(session, who, action="bill.replaced", object_type="bill", object_id=replaced.number, at=now,
                     changes={"replaced_by": [None, bill.number]})
    metrics.after_commit(session, metrics.BILLS_ISSUED)
    return bill


def issued_read(session: Session, bill: Bill) -> BillRead:
    """The answer of a bill: from what `issue` wrote in this transaction when it issued it (the rows it
    holds are what a read would give back: the same objects), else read."""
    written = session.info.get(ISSUED)
    if written is not None and written[0] is bill:
        _bill, lines, links, found = written
        return BillRead.of(bill, lines, links, found if found is not None and found.id == bill.company_version
                           else None)
    return invoices.read(session, bill)
