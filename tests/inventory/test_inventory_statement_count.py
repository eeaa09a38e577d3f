"""A reservation's cost in statements (issue 22 item 3): ONE on PostgreSQL (reservation_statement.py), five on
SQLite; the same rows either way; the lazy expiry only when something is due; never oversold, also while
due reservations are given back by whichever request finds them."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from services.inventory import errors, reservations
from services.inventory.models import AuditEntry, Reservation, ReservationLine, Stock
from shared import direct
from shared.context import SYSTEM

from helpers import assert_problem
from inventory_support import NOW, make_catalog, reserve, stock_of

pytestmark = pytest.mark.anyio
# Statements of a reservation made, BEGIN and COMMIT aside: PostgreSQL's one statement; SQLite's SELECT
# (warehouse, parts, anything due), INSERT reservation, INSERT lines, UPDATE stock, INSERT audit entry.
MADE = {"postgresql": 1, "sqlite": 5}
# What an Idempotency-Key adds (shared/idempotency.py): PostgreSQL's transaction lock on the key, the key's
# row read, the answer stored; SQLite has no lock to take.
KEYED = {"postgresql": 3, "sqlite": 2}


ALONE = "ALONE "  # a statement run alone over asyncpg, or sent with others (shared/native.py): no BEGIN


@contextmanager
def statements(app):
    """What the app sends: every statement, and BEGIN, COMMIT and ROLLBACK as the engines' events (on
    PostgreSQL psycopg sends each as a round trip of its own; on SQLite BEGIN goes straight to the driver),
    and each statement run alone over asyncpg (where a reservation without a key goes on PostgreSQL)."""
    seen: list[str] = []
    engines = app.state.db.engines
    native = app.state.db.native_statements() if app.state.db.native else None
    if native is not None:
        sent, sent_together = native.fetch, native.fetch_together

        async def fetch(statement, params):
            seen.append(ALONE + " ".join(statement.sql.split()))
            return await sent(statement, params)

        async def fetch_together(statement, params, order, among=None):  # a group of one: nothing else waits
            seen.append(ALONE + " ".join(statement.sql.split()))
            return await sent_together(statement, params, order, among=among)

        native.fetch, native.fetch_together = fetch, fetch_together
    listeners = [
        ("before_cursor_execute", lambda _conn, _cursor, statement, *_: seen.append(" ".join(statement.split()))),
        ("begin", lambda _conn: seen.append("BEGIN")),
        ("commit", lambda _conn: seen.append("COMMIT")),
        ("rollback", lambda _conn: seen.append("ROLLBACK")),
    ]
    for engine in engines:
        for name, fn in listeners:
            event.listen(engine, name, fn)

    def run_directly(statement):  # on the transaction's driver connection (shared/direct.py)
        seen.append(" ".join(statement.split()))

    direct.listeners.append(run_directly)
    try:
        yield seen
    finally:
        direct.listeners.remove(run_directly)
        for engine in engines:
            for name, fn in listeners:
                event.remove(engine, name, fn)
        if native is not None:
            del native.fetch, native.fetch_together


def after_the_native_try(app, seen: list[str]) -> list[str]:
    """On PostgreSQL a reservation run alone that finds something due (or is refused) changes nothing and is
    left to the use case (uow.Fallback): that first try, one statement, is cut off here."""
    if app.state.db.native:
        assert seen[0].startswith(ALONE + "WITH ") and not seen[1].startswith(ALONE), seen
        return seen[1:]
    return seen


def between(seen: list[str]) -> list[str]:
    """The statements of one transaction, checked to be exactly one, committed (or one statement run alone,
    its own transaction)."""
    if len(seen) == 1 and seen[0].startswith(ALONE):
        return [seen[0].removeprefix(ALONE)]
    assert seen[0] == "BEGIN" and seen[-1] == "COMMIT" and seen.count("BEGIN") == 1, seen
    return seen[1:-1]


async def test_a_reservation_costs_one_statement_on_postgresql_and_five_on_sqlite(inventory, inventory_app):
    await make_catalog(inventory_app, stock_levels={("SC-01", "P-100"): 9, ("SC-01", "P-200"): 9})
    dialect = inventory_app.state.db.dialect
    for lines in ([("P-100", 1)], [("P-200", 2), ("P-100", 1)]):
        with statements(inventory_app) as seen:
            response = await reserve(inventory, lines)
        assert response.status_code == 201, response.text
        assert len(between(seen)) == MADE[dialect], seen
        if inventory_app.state.db.native:  # ... run alone over asyncpg: no BEGIN, no COMMIT, no psycopg
            assert seen[0].startswith(ALONE) and "INSERT INTO audit_entry" in seen[0], seen
    with statements(inventory_app) as seen:
        response = await reserve(inventory, [("P-100", 1)], headers={"Idempotency-Key": "count-1"})
    assert response.status_code == 201, response.text
    assert len(between(seen)) == MADE[dialect] + KEYED[dialect], seen
    if dialect == "postgresql":
        [one] = [s for s in seen if "reservation" in s]
        assert one.startswith("WITH ") and "INSERT INTO audit_entry" in one and "UPDATE stock" in one


async def test_the_lazy_expiry_runs_only_when_something_is_due(inventory, inventory_app, clock):
    await make_catalog(inventory_app, stock_levels={("SC-01", "P-100"): 5})
    lapsing = (await reserve(inventory, [("P-100", 4)], ttl_seconds=60)).json()["id"]
    clock.advance(seconds=61)
    with statements(inventory_app) as seen:
        response = await reserve(inventory, [("P-100", 5)])
    assert response.status_code == 201, response.text
    done = between(after_the_native_try(inventory_app, seen))
    assert any(s.startswith("UPDATE reservation SET status") for s in done), done
    if inventory_app.state.db.dialect == "postgresql":  # the statement, the expiry, the statement again
        assert done[0].startswith("WITH ") and done[-1] == done[0]
    assert await stock_of(inventory, "SC-01", "P-100") == {
        "warehouse": "SC-01", "part_number": "P-100", "on_hand": 5, "reserved": 5, "available": 0}
    expiries = (await inventory.get("/audit", params={"object_type": "reservation", "object_id": str(lapsing)}))
    assert [e["action"] for e in expiries.json()["items"]] == ["expire", "create"]
    # nothing due any more: no expiry looked for beyond the first statement
    with statements(inventory_app) as seen:
        assert (await reserve(inventory, [("P-100", 1)])).status_code == 409
    assert not any(s.startswith("UPDATE reservation") for s in seen)


async def test_unknown_warehouse_or_part_is_404_before_anything_due_is_given_back(inventory, inventory_app, clock):
    await make_catalog(inventory_app, stock_levels={("SC-01", "P-100"): 5})
    lapsing = (await reserve(inventory, [("P-100", 4)], ttl_seconds=60)).json()["id"]
    clock.advance(seconds=61)
    assert_problem(await reserve(inventory, [("P-100", 1)], warehouse="SC-99"), 404, "warehouse_not_found")
    missing = assert_problem(await reserve(inventory, [("P-100", 1), ("P-999", 1), ("P-998", 1)]), 404,
                             "part_not_found")
    assert missing["part_numbers"] == ["P-998", "P-999"]
    trail = (await inventory.get("/audit", params={"object_type": "reservation", "object_id": str(lapsing)})).json()
    assert [e["action"] for e in trail["items"]] == ["create"]
    # a short reservation rolls the expiry it found back with it
    assert_problem(await reserve(inventory, [("P-100", 6)]), 409, "insufficient_stock")
    trail = (await inventory.get("/audit", params={"object_type": "reservation", "object_id": str(lapsing)})).json()
    assert [e["action"] for e in trail["items"]] == ["create"]


def _written(session, reservation_id: int) -> tuple:
    """The rows a reservation wrote, without the ids the database gave them."""
    reservation = session.execute(select(Reservation.__table__).where(Reservation.id == reservation_id)).one()
    lines = session.execute(select(ReservationLine.__table__).where(ReservationLine.reservation_id == reservation_id)
                            .order_by(ReservationLine.part_number)).all()
    [entry] = session.execute(select(AuditEntry.__table__).where(
        AuditEntry.object_type == "reservation", AuditEntry.object_id == str(reservation_id))).all()
    return (reservation._asdict() | {"id": None}, [line._asdict() | {"reservation_id": None} for line in lines],
            entry._asdict() | {"id": None, "object_id": None})


async def test_the_one_statement_writes_the_rows_the_steps_write(inventory, inventory_app, db):
    if db.dialect != "postgresql":
        pytest.skip("the one statement is PostgreSQL's")
    await make_catalog(inventory_app, stock_levels={("SC-01", "P-100"): 9, ("SC-01", "P-200"): 9})
    lines = [("P-200", 2), ("P-100", 3)]
    ordered = sorted(lines)
    after = {"warehouse": "SC-01", "reference": "RO-1", "status": "active", "expires_at": NOW + timedelta(hours=1),
             "lines": dict(ordered)}
    written, stocks = [], []
    for take in (reservations._at_once, reservations._in_steps):  # the two ways, compared
        with db.transaction() as session:
            reservation_id, _parts = take(session, caller=SYSTEM, warehouse="SC-01", reference="RO-1", lines=lines,
                                          ordered=ordered, now=NOW, expires=NOW + timedelta(hours=1), after=after)
        with db.transaction() as session:
            written.append(_written(session, reservation_id))
            stocks.append(session.execute(select(Stock.part_number, Stock.on_hand, Stock.reserved)
                                          .order_by(Stock.part_number)).all())
    assert written[0] == written[1]
    assert [tuple(r) for r in stocks[0]] == [("P-100", 9, 3), ("P-200", 9, 2)]
    assert [tuple(r) for r in stocks[1]] == [("P-100", 9, 6), ("P-200", 9, 4)]


async def test_threads_never_oversell_while_due_reservations_are_given_back(inventory, inventory_app, db):
    """Reservations of one part and of two (in both orders) at once, in threads with their own connections,
    while six due reservations wait to be given back by whichever finds them first: each is expired once,
    every freed unit is taken, none twice."""
    in_stock, attempts = 20, 60
    await make_catalog(inventory_app, stock_levels={("SC-01", "P-100"): in_stock, ("SC-01", "P-200"): in_stock})
    with db.transaction() as session:
        lapsing = [reservations.reserve(session, caller=SYSTEM, warehouse="SC-01", reference="OLD",
                                        lines=[("P-100", 2), ("P-200", 2)], ttl_seconds=60, now=NOW).id
                   for _ in range(6)]
    later = NOW + timedelta(seconds=61)
    orders = ([("P-100", 1)], [("P-200", 1), ("P-100", 1)], [("P-100", 1), ("P-200", 1)])

    def one(n: int) -> tuple[str, list]:
        try:
            with db.transaction() as session:
                reservations.reserve(session, caller=SYSTEM, warehouse="SC-01", reference="RO", lines=orders[n % 3],
                                     ttl_seconds=3600, now=later)
            return "reserved", orders[n % 3]
        except errors.InsufficientStock:
            return "short", []

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(one, range(attempts)))
    taken = Counter()
    for _kind, lines in outcomes:
        for part, qty in lines:
            taken[part] += qty
    assert taken["P-100"] == in_stock  # every attempt wants P-100, three times more than there is
    p100, p200 = await stock_of(inventory, "SC-01", "P-100"), await stock_of(inventory, "SC-01", "P-200")
    assert (p100["reserved"], p100["available"]) == (in_stock, 0)
    assert p200["reserved"] == taken["P-200"] <= in_stock
    with db.transaction() as session:
        statuses = session.scalars(select(Reservation.status).where(Reservation.id.in_(lapsing))).all()
        expiries = session.scalars(select(AuditEntry.object_id).where(AuditEntry.action == "expire")).all()
    assert statuses == ["expired"] * 6
    assert sorted(expiries) == sorted(str(r) for r in lapsing)
