"""Issued bills as invoices: read, list, pay, void (paid and void are final)."""

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.billing import errors
from services.billing.models import INVOICE_STATUSES, Bill, BillLine, BillReservation
from services.billing.schemas import BillRead
from shared import pagination


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
    query = pagination.keyset(select(Bill).where(Bill.status.in_(INVOICE_STATUSES)), Bill.number,
                              after=after, limit=limit)
    if serial_number is not None:
        query = query.where(Bill.serial_number == serial_number)
    if status is not None:
        query = query.where(Bill.status == status)
    if repair_reference is not None:
        query = query.where(Bill.repair_reference == repair_reference.strip())
    return list(session.scalars(query))


def _settle(session: Session, number: str, *, to: str, now: datetime) -> Bill:
    bill = get(session, number, for_update=True)
    if bill.status != "issued":
        raise errors.InvalidInvoiceState(
            f"Invoice {bill.number} is {bill.status}; only an issued invoice can become {to}"
        )
    bill.status, bill.updated_at = to, now
    if to == "paid":
        bill.paid_at = now
    else:
        bill.voided_at = now
    session.flush()
    return bill


def pay(session: Session, number: str, *, now: datetime) -> Bill:
    return _settle(session, number, to="paid", now=now)


def void(session: Session, number: str, *, now: datetime) -> Bill:
    """Cancel the charge; the parts stay issued (they are in the unit)."""
    return _settle(session, number, to="void", now=now)


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
    return [BillRead.of(b, lines[b.id], links[b.id]) for b in bills]


def read(session: Session, bill: Bill) -> BillRead:
    return read_many(session, [bill])[0]


def read_by_number(session: Session, number: str) -> BillRead:
    return read(session, get(session, number))
