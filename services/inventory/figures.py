"""Parts figures for a manager (domain.md section 9): parts consumed, from the ledger's issue movements, by
part, warehouse or month, counted by the database (GROUP BY); and the supply-guarantee shortfalls on the
period's last day, with on-hand as the ledger had it at the end of that day.

Days are China's (UTC+8, no daylight saving): a period from D1 to D2 covers the movements from D1 00:00 to
D2 24:00 China time. An issue is valued at the list price its reservation line recorded (what the part
listed at when it was reserved for the repair; the issue movement carries it), in whole cents, so the sum
is exact on every database.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

from sqlalchemy import BigInteger, cast, func, select
from sqlalchemy.orm import Session

from services.inventory import guarantee
from services.inventory.domain import guarantee as rules
from services.inventory.models import MOVEMENT_KINDS, Movement, Part, Warehouse

GROUPS = ("part", "warehouse", "month")
CHINA = timezone(timedelta(hours=8), "CST")


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    name: str
    qty: int
    value: Decimal
    issues: int


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period as UTC instants: [start 00:00, the day after end 00:00) in China time."""
    return (datetime.combine(start, time(0), CHINA).astimezone(UTC),
            datetime.combine(end + timedelta(days=1), time(0), CHINA).astimezone(UTC))


def _month(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


def consumed(session: Session, *, start: date, end: date, group_by: str) -> tuple[list[Row], Row]:
    """The period's issues grouped by `group_by`, read from the ledger's (kind, time, ...) index alone;
    the totals are the rows' sums (each issue is in exactly one row)."""
    m = Movement.__table__.c
    used = -m.qty
    if group_by == "part":
        key = m.part_number
    elif group_by == "warehouse":
        key = m.warehouse
    else:
        key = _month(session, m.created_at)
    since, until = bounds(start, end)
    found = session.execute(
        select(key.label("key"), func.sum(used).label("qty"),
               func.sum(used * cast(func.round(m.list_price * 100), BigInteger)).label("cents"),
               func.count().label("issues"))
        .where(m.kind == "issue", m.created_at >= since, m.created_at < until)
        .group_by(key)
    ).all()
    names = _names(session, group_by, [r.key for r in found])
    rows = [Row(r.key, names.get(r.key, r.key), int(r.qty), _money(r.cents), r.issues) for r in found]
    rows.sort(key=(lambda r: r.key) if group_by == "month" else (lambda r: (-r.value, -r.qty, r.key)))
    return rows, Row("total", "Total", sum(r.qty for r in rows), sum((r.value for r in rows), Decimal("0.00")),
                     sum(r.issues for r in rows))


def _names(session: Session, group_by: str, keys: list[str]) -> dict[str, str]:
    if not keys or group_by == "month":
        return {}
    table = Part.__table__.c if group_by == "part" else Warehouse.__table__.c
    code = table.part_number if group_by == "part" else table.code
    return dict(session.execute(select(code, table.name).where(code.in_(keys))).all())


def _money(cents) -> Decimal:
    return (Decimal(int(cents or 0)) / 100).quantize(Decimal("0.01"))


def shortfalls_on(session: Session, day: date) -> list[rules.Shortfall]:
    """The supply-guarantee shortfalls of `day`, most urgent first, with each part's on-hand over every
    warehouse as it stood at the end of that day: today's stock less what the ledger moved since (for
    a recent day, a few movements)."""
    _since, until = bounds(day, day)
    m = Movement.__table__.c

    def on_hand(session: Session, part_numbers: list[str]) -> dict[str, int]:
        now = guarantee.stock_now(session, part_numbers)
        later = session.execute(
            select(m.part_number, func.sum(m.qty))
            .where(m.kind.in_(MOVEMENT_KINDS), m.created_at >= until, m.part_number.in_(part_numbers))
            .group_by(m.part_number))
        moved = {part: int(qty) for part, qty in later}
        return {part: int(now.get(part) or 0) - moved.get(part, 0) for part in part_numbers}

    return guarantee.report(session, on=day, totals=on_hand).shortfalls
