"""Random sequences of stock operations against the real database: after every
step each stock row equals the ledger's sums and a model of what should be."""

from collections import defaultdict

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from services.inventory import errors, ledger, reservations, stock
from services.inventory.models import Movement, Reservation, ReservationLine, Stock
from services.inventory.schemas import AdjustmentCreate, ReceiptCreate, TransferCreate
from shared.clock import FixedClock
from shared.context import SYSTEM

from inventory_support import NOW, seed

PARTS = ("P1", "P2")
WAREHOUSES = ("W1", "W2")
parts = st.sampled_from(PARTS)
places = st.sampled_from(WAREHOUSES)
qty = st.integers(min_value=1, max_value=6)


def test_stock_always_equals_the_ledger(db, inventory_db):
    class Ledger(RuleBasedStateMachine):
        made = Bundle("reservations")

        def __init__(self):
            super().__init__()
            inventory_db.reset()
            self.clock = FixedClock(NOW)
            self.on_hand = defaultdict(int)
            self.reservations = {}  # id -> [warehouse, {part: qty}, expires_at, status]
            # Stock everywhere from the start, so that most steps do something rather than fail.
            start = {(code, part): 6 for code in WAREHOUSES for part in PARTS}
            with db.transaction() as session:
                seed(session, parts=PARTS, places=WAREHOUSES, stock_levels=start)
            self.on_hand.update(start)

        def run(self, use_case, **kwargs):
            with db.transaction() as session:
                return use_case(session, caller=SYSTEM, now=self.clock.now(), **kwargs)

        def available(self, warehouse, part):
            now = self.clock.now()
            held = sum(lines.get(part, 0) for w, lines, expires, status in self.reservations.values()
                       if w == warehouse and status == "active" and expires > now)
            return self.on_hand[warehouse, part] - held

        @rule(warehouse=places, part=parts, n=qty)
        def receive(self, warehouse, part, n):
            receipt = ReceiptCreate(warehouse=warehouse, part_number=part, qty=n, reference="r")
            self.run(stock.receive, receipt=receipt)
            self.on_hand[warehouse, part] += n

        @rule(source=places, destination=places, part=parts, n=qty)
        def transfer(self, source, destination, part, n):
            if source == destination:
                return
            body = TransferCreate(from_warehouse=source, to_warehouse=destination, part_number=part, qty=n,
                                  reference="t")
            try:
                self.run(stock.transfer, transfer_in=body)
            except errors.InsufficientStock as exc:
                assert n > self.available(source, part)
                assert exc.extra["shortages"][0]["available"] == max(0, self.available(source, part))
                return
            assert n <= self.available(source, part)
            self.on_hand[source, part] -= n
            self.on_hand[destination, part] += n

        @rule(warehouse=places, part=parts, delta=st.integers(min_value=-6, max_value=6).filter(bool))
        def adjust(self, warehouse, part, delta):
            body = AdjustmentCreate(warehouse=warehouse, part_number=part, delta=delta, reason="count")
            try:
                self.run(stock.adjust, adjustment=body)
            except errors.InsufficientStock:
                assert -delta > self.available(warehouse, part)
                return
            self.on_hand[warehouse, part] += delta

        @rule(target=made, warehouse=places, lines=st.dictionaries(parts, st.integers(1, 3), min_size=1),
              ttl=st.sampled_from([60, 3600, 86400]))
        def reserve(self, warehouse, lines, ttl):
            try:
                made = self.run(reservations.reserve, warehouse=warehouse, reference="ro",
                                lines=sorted(lines.items()), ttl_seconds=ttl)
            except errors.InsufficientStock as exc:
                short = {s["part_number"] for s in exc.extra["shortages"]}
                assert short == {p for p, n in lines.items() if n > self.available(warehouse, p)}
                return multiple()
            assert all(n <= self.available(warehouse, p) for p, n in lines.items())
            self.reservations[made.id] = [warehouse, dict(lines), made.expires_at, "active"]
            return made.id

        @rule(rid=made, data=st.data())
        def consume(self, rid, data):
            warehouse, lines, expires, status = self.reservations[rid]
            used = data.draw(st.one_of(st.none(), st.fixed_dictionaries(
                {p: st.integers(min_value=0, max_value=n) for p, n in lines.items()})))
            try:
                self.run(reservations.consume, reservation_id=rid,
                         used=sorted(used.items()) if used is not None else None)
            except errors.ReservationNotActive:
                assert status != "active" or expires <= self.clock.now()
                return
            assert status == "active" and expires > self.clock.now()
            for part, n in (lines if used is None else used).items():
                self.on_hand[warehouse, part] -= n
            self.reservations[rid][3] = "consumed"

        @rule(rid=made)
        def release(self, rid):
            try:
                self.run(reservations.release, reservation_id=rid)
            except errors.ReservationNotActive:
                assert self.reservations[rid][3] != "active" or self.reservations[rid][2] <= self.clock.now()
                return
            self.reservations[rid][3] = "released"

        @rule(minutes=st.sampled_from([1, 30, 90, 1500]))
        def time_passes(self, minutes):
            self.clock.advance(minutes=minutes)

        @rule()
        def sweep(self):
            with db.transaction() as session:
                ledger.sweep(session, now=self.clock.now())

        @invariant()
        def stock_equals_the_ledger(self):
            with db.transaction(write=False) as session:
                rows = {(s.warehouse, s.part_number): s for s in session.scalars(select(Stock))}
                moved = {(w, p): int(q) for w, p, q in session.execute(
                    select(Movement.warehouse, Movement.part_number, func.sum(Movement.qty))
                    .group_by(Movement.warehouse, Movement.part_number))}
                held = {(w, p): int(q) for w, p, q in session.execute(
                    select(Reservation.warehouse, ReservationLine.part_number, func.sum(ReservationLine.qty))
                    .join(ReservationLine).where(Reservation.status == "active")
                    .group_by(Reservation.warehouse, ReservationLine.part_number))}
                seen = stock.list_stock(session, warehouse=None, part_number=None, after=None, limit=500,
                                        now=self.clock.now())
            assert set(moved) <= set(rows)
            for key, row in rows.items():
                assert row.on_hand == moved.get(key, 0) == self.on_hand[key]
                assert row.reserved == held.get(key, 0)
                assert 0 <= row.reserved <= row.on_hand
            for level in seen:
                assert level.available == self.available(level.warehouse, level.part_number) >= 0

    run_state_machine_as_test(
        Ledger,
        settings=settings(max_examples=25, stateful_step_count=20, deadline=None,
                          suppress_health_check=list(HealthCheck)),
    )
