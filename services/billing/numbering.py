"""The bills' gapless numbers: one counter row per year, locked from the number's taking until the bill's
commit (so a bill that does not commit burns no number)."""

from sqlalchemy import bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.billing.domain.pricing import invoice_number
from services.billing.models import InvoiceCounter
from shared import direct

_COUNTER = InvoiceCounter.__table__
_ADVANCE = (update(_COUNTER).where(_COUNTER.c.year == bindparam("b_year"))
            .values(last_sequence=_COUNTER.c.last_sequence + 1).returning(_COUNTER.c.last_sequence))


def next_number(session: Session, *, year: int) -> str:
    """The next gapless number of the year, from a counter row locked until the bill's commit.

    One statement on every bill but a year's first: the counter moves on and says where it is;
    only when the year has no counter yet is it made (concurrent first bills meet on its key).
    """
    table = _COUNTER
    sequence = direct.run(session, _ADVANCE, {"b_year": year}).scalar()
    if sequence is None:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        first_of_year = dialect.insert(table).values(year=year, last_sequence=0)
        session.execute(first_of_year.on_conflict_do_nothing(index_elements=["year"]))
        sequence = session.execute(_ADVANCE, {"b_year": year}).scalar_one_or_none()
    return invoice_number(year, sequence)
