"""Issued bills as invoices: read, list (newest first), pay, void, record the fapiao.

Paid and void are final, with one exception: a bill that charged nothing is paid when issued,
and may still be voided (nothing was paid), so that its repair can be billed again.
"""

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.billing import company, errors, trail
from services.billing.domain.days import business_day
from services.billing.models import INVOICE_STATUSES, Bill, BillLine, BillReservation
from services.billing.schemas import BillRead
from shared import pagination
from shared.context import Caller


def get(session: Session, number: str, *, for_update: bool = False) -> Bill:
    query = select(Bill).where(Bill.number == number.strip().upper())
    if for_update:
        query = query.with_for_update()
    bill = session.scalars(query).one_or_none()
    if bill is None:
        raise errors.InvoiceNotFound(f"No invoice {number}")
    return bill


def list_invoices(
    session: Session, *, serial_number: str | None, status: str | None, after: str | None, limit: int,
    repair_reference: str | None = None,
) -> list[Bill]:
    # Newest first: numbers run up within a year and the year leads them, so the number orders them.
    query = pagination.keyset(select(Bill).where(Bill.status.in_(INVOICE_STATUSES)), Bill.number,
                              after=after, limit=limit, descending=True)
    if serial_number is not None:
        query = query.where(Bill.serial_number == serial_number)
    if status is not None:
        query = query.where(Bill.status == status)
    if repair_reference is not None:
        query = query.where(Bill.repair_reference == repair_reference.strip())
    return list(session.scalars(query))


def _refuse(bill: Bill, action: str) -> errors.InvalidInvoiceState:
    return errors.InvalidInvoiceState(f"Invoice {bill.number} is {bill.status}; it cannot be {action}")


def pay(session: Session, number: str, *, method: str, reference: str | None, caller: Caller | None,
        now: datetime) -> Bill:
    bill = get(session, number, for_update=True)
    if bill.status != "issued":
        raise _refuse(bill, "paid")
    bill.status, bill.updated_at, bill.paid_at = "paid", now, now
    bill.payment_method, bill.payment_reference = method, reference
    bill.paid_by = caller.actor() if caller is not None else None
    session.flush()
    trail.record(session, caller, action="bill.paid", object_type="bill", object_id=bill.number, at=now,
                 changes={"status": ["issued", "paid"], "payment_method": [None, method],
                          **({"payment_reference": [None, reference]} if reference else {})})
    return bill


def void(session: Session, number: str, *, caller: Caller | None, now: datetime) -> Bill:
    """Cancel the charge (红冲); the parts stay issued (they are in the unit), and the repair may be
    billed again: the new bill takes over the consumed reservations and points back to this one."""
    bill = get(session, number, for_update=True)
    free_and_settled = bill.status == "paid" and bill.total == 0
    if bill.status != "issued" and not free_and_settled:
        raise _refuse(bill, "voided")
    before = bill.status
    bill.status, bill.updated_at, bill.voided_at = "void", now, now
    bill.voided_by = caller.actor() if caller is not None else None
    session.flush()
    trail.record(session, caller, action="bill.voided", object_type="bill", object_id=bill.number, at=now,
                 changes={"status": [before, "void"]})
    return bill


def record_fapiao(session: Session, number: str, *, fapiao_number: str, issued_on: date, caller: Caller | None,
                  now: datetime) -> Bill:
    """The VAT invoice issued for the bill; recording it again corrects it (the trail keeps both)."""
    bill = get(session, number, for_update=True)
    if bill.status == "void":
        raise _refuse(bill, "given a fapiao")
    if issued_on > business_day(now):
        raise errors.invalid("issued_on", "a fapiao cannot be dated in the future")
    if issued_on < business_day(bill.issued_at):
        raise errors.invalid("issued_on", "a fapiao cannot be dated before the bill was issued")
    before = {"fapiao_number": bill.fapiao_number, "fapiao_issued_on": bill.fapiao_issued_on}
    bill.fapiao_number, bill.fapiao_issued_on, bill.fapiao_recorded_at = fapiao_number, issued_on, now
    bill.updated_at = now
    session.flush()
    trail.record(session, caller, action="bill.fapiao_recorded", object_type="bill", object_id=bill.number,
                 at=now, changes=trail.diff(before, {"fapiao_number": fapiao_number, "fapiao_issued_on": issued_on}))
    return bill


def read_many(session: Session, bills: list[Bill]) -> list[BillRead]:
    ids = [b.id for b in bills]
    lines: dict[int, list[BillLine]] = defaultdict(list)
    links: dict[int, list[BillReservation]] = defaultdict(list)
    if ids:
        for line in session.scalars(
            select(BillLine).where(BillLine.bill_id.in_(ids)).order_by(BillLine.bill_id, BillLine.position)
        ):
            lines[line.bill_id].append(line)
        for link in session.scalars(
            select(BillReservation).where(BillReservation.bill_id.in_(ids))
            .order_by(BillReservation.bill_id, BillReservation.position)
        ):
            links[link.bill_id].append(link)
    companies = company.versions(session, {b.company_version for b in bills if b.company_version is not None})
    return [BillRead.of(b, lines[b.id], links[b.id], companies.get(b.company_version)) for b in bills]


def read(session: Session, bill: Bill) -> BillRead:
    return read_many(session, [bill])[0]


def read_by_number(session: Session, number: str) -> BillRead:
    return read(session, get(session, number))
