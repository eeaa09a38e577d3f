"""A bill's cost in billing's own database work (issue 22 item 3): two transactions (the request key's claim
with Begin; the plan, the last consume's record and the issue in one), and the statements of each."""

from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import String, bindparam, cast, event, select

from services.billing import bills
from services.billing.domain.saga import State
from services.billing.main import create_app
from services.billing.models import Bill
from shared import direct
from shared.db import Database

from billing_support import COMPRESSOR, FILTER, post_repair, repair_body
from helpers import asgi_client, internal_headers

pytestmark = pytest.mark.anyio

# Statements per transaction, BEGIN and COMMIT aside, for a bill of one reservation: the claim with Begin
# (on PostgreSQL the key's transaction lock tried; the key's row read, the claim inserted, the bill of the
# key, the rate card, the bill inserted, the reservation's link inserted unless it is on a bill already);
# then the plan, the consume recorded and the bill issued (the links locked; the bill, the contract, the bill
# updated, the link's lines; the link consumed, the bill; its line, the company, a void bill it replaces, the
# number, the bill updated, the audit entry, the answer stored).
ONE_RESERVATION = {"sqlite": [6, 14], "postgresql": [7, 14]}


@pytest.fixture
async def app_and_client(billing_settings, clock, warranty, inventory):
    transports = {"warranty": httpx.MockTransport(warranty.handler),
                  "inventory": httpx.MockTransport(inventory.handler)}
    app = create_app(billing_settings, clock=clock, transports=transports, recover=False)
    async with asgi_client(app, headers=internal_headers(role="billing")) as client:
        yield app, client


def transactions(app, seen: list[list[str]]):
    engines = app.state.db.engines

    def statement(_conn, _cursor, text, *_):
        if not text.startswith("SET LOCAL"):
            seen[-1].append(" ".join(text.split()))

    def run_directly(text):
        statement(None, None, text)

    listeners = [("begin", lambda _conn: seen.append([])), ("before_cursor_execute", statement)]
    for engine in engines:
        for name, fn in listeners:
            event.listen(engine, name, fn)
    direct.listeners.append(run_directly)  # the statements run on the driver (shared/direct.py)

    def stop():
        direct.listeners.remove(run_directly)
        for engine in engines:
            for name, fn in listeners:
                event.remove(engine, name, fn)
    return stop


async def test_a_bill_is_two_transactions(app_and_client, inventory):
    app, billing = app_and_client
    warm = await post_repair(billing, repair_body(reservation_ids=[inventory.add_reservation(FILTER)],
                                                  repair_reference="R-0"), key="warm")
    assert warm.status_code == 201
    seen: list[list[str]] = []
    stop = transactions(app, seen)
    try:
        made = await post_repair(billing, repair_body(reservation_ids=[inventory.add_reservation(COMPRESSOR)]))
    finally:
        stop()
    assert made.status_code == 201, made.text
    dialect = app.state.db.write_engine.dialect.name
    assert [len(statements) for statements in seen] == ONE_RESERVATION[dialect], seen
    # The year's invoice counter is taken last: its row stays locked until the commit and every other bill
    # waits for it, so only what needs the number follows (the bill updated, its audit entry, the answer).
    issue = seen[-1]
    counter = next(i for i, text in enumerate(issue) if text.startswith("UPDATE invoice_counter"))
    assert [text.split()[:2] + [text.split()[2].strip('"')] for text in issue[counter + 1:]] == [
        ["UPDATE", "bill", "SET"], ["INSERT", "INTO", "audit_entry"], ["UPDATE", "idempotency_record", "SET"]], issue


async def test_a_bill_of_two_reservations_records_the_first_consume_apart(app_and_client, inventory):
    app, billing = app_and_client
    rids = [inventory.add_reservation(COMPRESSOR), inventory.add_reservation(FILTER)]
    seen: list[list[str]] = []
    stop = transactions(app, seen)
    try:
        made = await post_repair(billing, repair_body(reservation_ids=rids))
    finally:
        stop()
    assert made.status_code == 201, made.text
    assert len(seen) == 3  # the claim with Begin, the plan with the first consume, the last consume with the issue
    assert made.json()["reservation_ids"] == rids and [inventory.consumes_of(rid) for rid in rids] == [1, 1]


@pytest.mark.parametrize("certificate", [None, {"number": "CERT-1"}])
async def test_a_bill_begun_is_the_row_the_orm_would_write(billing_db, certificate):
    """Begin writes the bill with one statement built once (bills._INSERT_BILL): the same row, column for
    column (a certificate of None is JSON null there, as the ORM writes it; columns not given stay NULL)."""
    database = Database.connect(billing_db.url, schema=billing_db.schema)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    columns = dict(
        idempotency_scope="s", fingerprint="f", status=State.BEGUN, serial_number="AC-100001",
        repair_reference="R-1", performed_on=date(2026, 3, 1), component="unit", causes=["unknown"],
        certificate=certificate, reservation_ids=[3, 1], labor_hours=Decimal("2.5"), visits=1, rate_card_version=1,
        labor_rate_per_hour=Decimal("120.00"), callout_fee=Decimal("50.00"), vat_rate=Decimal("0.13"),
        currency="CNY", created_at=now, updated_at=now,
    )
    try:
        with database.transaction() as session:
            session.add(Bill(idempotency_key="orm", **columns))
            session.execute(bills._INSERT_BILL, {"idempotency_key": "core", **columns})
        table = Bill.__table__
        names = [c for c in table.c if c.name not in ("id", "idempotency_key")]
        # Raw column values (JSON as stored text), not what the types make of them.
        raw = select(*(cast(c, String) for c in names)).where(table.c.idempotency_key == bindparam("k"))
        with database.write_engine.connect() as conn:
            orm, core = (conn.execute(raw, {"k": k}).one() for k in ("orm", "core"))
        assert dict(zip([c.name for c in names], core, strict=True)) == dict(
            zip([c.name for c in names], orm, strict=True))
    finally:
        database.dispose()
