"""The month-end figures (domain.md section 9): bills issued, paid and voided, net, VAT and total by month.

One aggregate over the bills themselves (no copy that could disagree). A bill counts in the month it
was issued (China Standard Time); `paid` and `voided` say how many of that month's bills are paid or
void now; net, VAT and total add up the month's bills that stand (issued or paid: a void bill adds
nothing). Money is summed in fen, as integers, so that no database sums it in floating point.
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.orm import Session

from services.billing import errors
from services.billing.domain.days import BUSINESS_TZ
from services.billing.models import INVOICE_STATUSES, Bill
from services.billing.settlement_schemas import BillingReport, BillingReportRow

MAX_MONTHS = 120
CENT = Decimal("0.01")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), BUSINESS_TZ).astimezone(UTC)


def _month(column, dialect: str):
    if dialect == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


def _fen(column, standing):
    return func.coalesce(func.sum(case((standing, cast(func.round(column * 100), Integer)), else_=0)), 0)


def months_between(start: date, end: date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _name(key: str) -> str:
    year, month = key.split("-")
    return f"{int(year)}年{int(month)}月"


def billing_by_month(session: Session, *, start: date, end: date) -> BillingReport:
    if end < start:
        raise errors.invalid("to", "the period ends before it starts")
    months = months_between(start, end)
    if len(months) > MAX_MONTHS:
        raise errors.invalid("to", f"a period is at most {MAX_MONTHS} months")
    month = _month(Bill.issued_at, session.get_bind().dialect.name).label("month")
    standing = Bill.status != "void"
    rows = session.execute(
        select(
            month,
            func.count(),
            func.coalesce(func.sum(case((Bill.status == "paid", 1), else_=0)), 0),
            func.coalesce(func.sum(case((Bill.status == "void", 1), else_=0)), 0),
            _fen(Bill.net, standing), _fen(Bill.vat, standing), _fen(Bill.total, standing),
        )
        .where(Bill.status.in_(INVOICE_STATUSES), Bill.issued_at >= _start_of(start),
               Bill.issued_at < _start_of(end + timedelta(days=1)))
        .group_by(month)
    ).all()
    found = {row[0]: row for row in rows}
    report = []
    for key in months:
        _key, issued, paid, voided, net, vat, total = found.get(key, (key, 0, 0, 0, 0, 0, 0))
        report.append(BillingReportRow(
            key=key, name=_name(key), issued=int(issued), paid=int(paid), voided=int(voided),
            net=(Decimal(int(net)) * CENT), vat=(Decimal(int(vat)) * CENT), total=(Decimal(int(total)) * CENT)))
    return BillingReport(from_=start, to=end, group_by="month", rows=report)
