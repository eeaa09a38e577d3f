"""shared/uow.py on the real databases: what commits, what rolls back, where the work runs,
what goes with it into a worker thread, and that a database wait leaves the event loop free.

Every test runs each way of waiting (`loop`, `thread` and `greenlet`) on every backend, constructed
explicitly, so SQLite covers the thread path as well (on SQLite `greenlet` is the loop). The tests that
hold a row lock from another connection need PostgreSQL (SQLite locks the whole file, not a row).
"""

import asyncio
import contextlib
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest
import structlog
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from services.servicedesk.main import create_app
from services.servicedesk.models import TicketCounter
from shared import context, deadline
from shared import settings as settings_module
from shared.clock import FixedClock
from shared.db import Database
from shared.uow import UnitOfWork

from helpers import TOKEN, asgi_client, internal_headers

pytestmark = pytest.mark.anyio
YEAR = 2026


class Boom(Exception):
    pass


@pytest.fixture
def found(database_factory):
    return database_factory("servicedesk")  # any migrated database: its ticket_counter is a simple keyed row


@pytest.fixture
def db(found):
    database = Database.connect(found.url, schema=found.schema)
    yield database
    database.dispose()


@pytest.fixture(params=["loop", "thread", "greenlet"])
def wait(request):
    return request.param


@pytest.fixture
def uow(db, wait):
    return UnitOfWork(db, wait=wait)


def pg_only(db):
    if db.dialect != "postgresql":
        pytest.skip("row locks held by another connection: PostgreSQL only")


def add(session, year: int, last: int = 0) -> int:
    session.add(TicketCounter(year=year, last=last))
    session.flush()
    return year


def years(session) -> dict[int, int]:
    return {row.year: row.last for row in session.scalars(select(TicketCounter))}


def stored(db) -> dict[int, int]:
    """What another connection sees, outside any unit of work under test."""
    with db.transaction(write=False) as session:
        return years(session)


def bump(session, year: int = YEAR) -> int:
    return session.execute(update(TicketCounter).where(TicketCounter.year == year)
                           .values(last=TicketCounter.last + 1).returning(TicketCounter.last)).scalar_one()


# --- commit and rollback -----------------------------------------------------------------------


async def test_write_commits_when_fn_returns_and_hands_back_its_value(uow, db):
    def two(session):
        add(session, 2030, 1)
        add(session, 2031, 2)
        return "done"

    assert await uow.write(two) == "done"
    assert stored(db) == {2030: 1, 2031: 2}
    assert await uow.read(years) == {2030: 1, 2031: 2}


async def test_write_passes_arguments_after_the_session(uow, db):
    assert await uow.write(add, 2040, last=7) == 2040
    assert stored(db) == {2040: 7}


async def test_write_rolls_back_everything_when_fn_raises(uow, db):
    await uow.write(add, YEAR)

    def half(session):
        add(session, 2030)
        bump(session)  # flushed: the database has both changes in this transaction
        assert years(session) == {YEAR: 1, 2030: 0}
        raise Boom("after two changes")

    with pytest.raises(Boom):
        await uow.write(half)
    assert stored(db) == {YEAR: 0}


async def test_a_database_error_mid_unit_rolls_back_the_changes_before_it(uow, db):
    await uow.write(add, YEAR)

    def clash(session):
        bump(session)
        add(session, YEAR)  # the key is taken: the flush fails after the bump went through

    with pytest.raises(IntegrityError):
        await uow.write(clash)
    assert stored(db) == {YEAR: 0}


async def test_read_sees_what_is_committed_and_leaves_nothing_behind(uow, db):
    await uow.write(add, YEAR, 41)
    assert await uow.read(lambda session: session.get(TicketCounter, YEAR).last + 1) == 42

    def look_then_fail(session):
        add(session, 2050)
        raise Boom()

    with pytest.raises(Boom):
        await uow.read(look_then_fail)
    assert stored(db) == {YEAR: 41}


async def test_call_runs_explicit_units_each_its_own_commit(uow, db):
    def two_units(first: int, second: int):
        with db.transaction() as session:
            add(session, first)
        with db.transaction() as session:
            add(session, second)
            raise Boom("the second unit fails")

    with pytest.raises(Boom):
        await uow.call(two_units, 2030, second=2031)
    assert stored(db) == {2030: 0}  # the first one's commit stands, the second one left nothing
    assert await uow.call(lambda: stored(db)) == {2030: 0}


async def test_the_session_is_closed_once_the_unit_ends(uow):
    session_seen = await uow.read(lambda session: session)
    assert not session_seen.in_transaction()
    assert list(session_seen) == []  # nothing left attached to it


# --- where the work runs, and what goes with it ------------------------------------------------


async def test_loop_runs_on_the_event_loop_and_thread_in_a_worker_thread(uow, wait):
    loop_thread = threading.get_ident()
    ran_in = {await uow.read(lambda session: threading.get_ident()),
              await uow.write(lambda session: threading.get_ident()),
              await uow.call(threading.get_ident)}
    if wait == "thread":
        assert loop_thread not in ran_in
    else:  # greenlets run on the event loop's thread (on SQLite `greenlet` is the loop)
        assert ran_in == {loop_thread}


async def test_the_deadline_request_id_and_log_fields_reach_the_unit(uow):
    seen = {}

    def look(session):
        seen["deadline"] = deadline.remaining()
        seen["request_id"] = context.request_id()
        seen["log"] = structlog.contextvars.get_contextvars()
        seen["db"] = session.execute(text("SELECT 1")).scalar_one()

    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id="req-uow-1", caller="desk:k1")
    request = context.set_request_id("req-uow-1")
    budget = deadline.start_in(30)
    try:
        await uow.read(look)
    finally:
        deadline.reset(budget)
        context.reset_request_id(request)
        structlog.contextvars.clear_contextvars()
    assert 25 < seen["deadline"] <= 30
    assert seen["request_id"] == "req-uow-1"
    assert seen["log"] == {"request_id": "req-uow-1", "caller": "desk:k1"}
    assert seen["db"] == 1


async def test_a_unit_whose_deadline_passes_while_it_runs_commits_nothing(uow, db):
    # Without the deadline in the worker thread, the unit would see no deadline and commit.
    def slow(session):
        add(session, 2030)
        bump(session, 2030)
        time.sleep(0.4)  # the request's budget runs out while the unit works

    budget = deadline.start_in(0.2)
    try:
        with pytest.raises(deadline.DeadlineExceeded):
            await uow.write(slow)
    finally:
        deadline.reset(budget)
    assert stored(db) == {}
    await uow.write(add, 2030)  # with no deadline the same write commits
    assert stored(db) == {2030: 0}


async def test_a_unit_whose_deadline_has_already_passed_commits_nothing(uow, db):
    budget = deadline.start(time.time() - 1)
    try:
        with pytest.raises(deadline.DeadlineExceeded):
            await uow.write(add, 2030)
    finally:
        deadline.reset(budget)
    assert stored(db) == {}


async def test_a_thread_limiter_of_n_lets_at_most_n_units_run_at_once(db):
    limited = UnitOfWork(db, wait="thread", threads=2)
    active, most, lock = 0, 0, threading.Lock()

    def unit(session, n: int) -> int:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        try:
            session.execute(text("SELECT 1")).scalar_one()
            time.sleep(0.15)  # a slow statement
            return n
        finally:
            with lock:
                active -= 1

    started = time.monotonic()
    assert await asyncio.gather(*(limited.read(unit, n) for n in range(6))) == list(range(6))
    assert most == 2
    assert time.monotonic() - started >= 3 * 0.15  # six units, two at a time


async def test_a_request_cancelled_mid_unit_stops_only_once_the_unit_has_ended(uow, db, wait):
    # A thread cannot be interrupted: the request waits for it, so nothing commits after the answer.
    entered = threading.Event()

    def slow(session) -> None:
        add(session, 2031)
        entered.set()
        time.sleep(0.4)

    task = asyncio.ensure_future(uow.write(slow))
    while not entered.is_set() and not task.done():
        await asyncio.sleep(0.01)
    task.cancel()
    if wait == "thread":
        with pytest.raises(asyncio.CancelledError):
            await task
    elif wait == "loop":  # on the loop nothing can interrupt the unit: it had ended before the cancel came
        await task
    else:  # a greenlet is cancelled only while it waits on the database, and is then finished first
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert stored(db) == {2031: 0}  # committed before the cancellation reached the request


# --- a database wait and the event loop (PostgreSQL: a row lock held by another connection) -----


class RowLock:
    """Another connection holding `ticket_counter`'s row for YEAR (FOR UPDATE) until released."""

    def __init__(self, url: str, schema: str | None) -> None:
        self.db = Database.connect(url, schema=schema)
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        with self.db.transaction() as session:
            session.execute(select(TicketCounter).where(TicketCounter.year == YEAR).with_for_update()).scalar_one()
            self.pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            self.locked.set()
            self.release.wait(30)

    def __enter__(self) -> "RowLock":
        self.thread.start()
        assert self.locked.wait(10), "the other connection did not get the row lock"
        return self

    def __exit__(self, *_exc) -> None:
        self.release.set()
        self.thread.join(10)
        self.db.dispose()


def waiting_on_locks(db, held: RowLock) -> int:
    """Backends waiting now, directly or behind another waiter, for the lock `held` holds: this test's
    only (other tests, in other schemas of the same database, may be waiting on locks of their own)."""
    with db.transaction(write=False) as session:
        return session.execute(text(
            "WITH RECURSIVE chain(pid) AS (SELECT CAST(:holder AS integer) UNION "
            "SELECT a.pid FROM pg_stat_activity a JOIN chain ON chain.pid = ANY(pg_blocking_pids(a.pid))) "
            "SELECT count(*) - 1 FROM chain"), {"holder": held.pid}).scalar_one()


async def until(predicate, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "timed out waiting"
        await asyncio.sleep(0.02)


async def ticking(counter: list[int]) -> None:
    while True:
        counter[0] += 1
        await asyncio.sleep(0.005)


def desk_app(found):
    settings = settings_module.load("servicedesk", database_url=found.url, database_schema=found.schema,
                                    internal_token=TOKEN)
    refuse = httpx.MockTransport(lambda _request: httpx.Response(503))
    return create_app(settings, clock=FixedClock(datetime(2026, 11, 27, 2, 0, tzinfo=UTC)),
                      transports={"warranty": refuse, "inventory": refuse}, deliver=False)


async def test_the_event_loop_stays_free_while_a_write_waits_on_a_row_lock(found, db):
    pg_only(db)
    uow = UnitOfWork(db, wait="thread")
    await uow.write(add, YEAR)
    ticks = [0]
    async with asgi_client(desk_app(found), headers=internal_headers(role="desk")) as service:
        with RowLock(found.url, found.schema) as held:
            write = asyncio.create_task(uow.write(bump))
            await until(lambda: waiting_on_locks(db, held) == 1)  # the write is in the database, waiting
            ticker = asyncio.create_task(ticking(ticks))
            await asyncio.sleep(0.3)
            answers = [(await service.get("/healthz")).status_code for _ in range(5)]
            assert not write.done() and waiting_on_locks(db, held) == 1  # still waiting, all the while
            assert ticks[0] >= 10 and answers == [200] * 5  # and the loop ran everything else
            held.release.set()
            assert await asyncio.wait_for(write, 10) == 1  # released: the write completes
            ticker.cancel()
    assert stored(db) == {YEAR: 1}


async def test_control_waiting_on_the_event_loop_stops_it(found, db):
    # The measurement above can tell: the same wait in `loop` mode holds the whole loop.
    pg_only(db)
    uow = UnitOfWork(db, wait="loop")
    await uow.write(add, YEAR)
    ticks = [0]
    with RowLock(found.url, found.schema) as held:
        ticker = asyncio.create_task(ticking(ticks))
        await asyncio.sleep(0.05)
        threading.Timer(0.5, held.release.set).start()
        before, started = ticks[0], time.monotonic()
        assert await uow.write(bump) == 1
        waited, ticked = time.monotonic() - started, ticks[0] - before
        ticker.cancel()
    assert waited >= 0.4 and ticked == 0


async def test_a_request_waiting_on_a_row_lock_leaves_healthz_answering(found, db):
    # The service desk's own path: a report takes the year's counter row, held here by another connection.
    pg_only(db)
    await UnitOfWork(db).write(add, YEAR)
    app = desk_app(found)
    async with asgi_client(app, headers=internal_headers(role="desk")) as service:
        if app.state.uow.wait != "thread":
            pytest.skip("DB_WAIT=loop chosen for this run: requests wait on the event loop by choice")
        with RowLock(found.url, found.schema) as held:
            report = asyncio.create_task(service.post("/tickets", json={
                "caller": {"name": "Li Na", "phone": "+86 531 8888 0001"}, "description": "No cooling", "level": 3}))
            await until(lambda: waiting_on_locks(db, held) == 1)
            for _ in range(5):
                assert (await service.get("/healthz")).status_code == 200
            assert not report.done()
            held.release.set()
            created = await asyncio.wait_for(report, 10)
    assert created.status_code == 201, created.text
    assert created.json()["number"] == f"SR-{YEAR}-000001"


async def test_a_limiter_of_n_lets_at_most_n_units_wait_on_the_database(found, db):
    pg_only(db)
    await UnitOfWork(db).write(add, YEAR)
    limited = UnitOfWork(db, wait="thread", threads=2)
    with RowLock(found.url, found.schema) as held:
        writes = [asyncio.create_task(limited.write(bump)) for _ in range(5)]
        await until(lambda: waiting_on_locks(db, held) == 2)
        await asyncio.sleep(0.3)
        assert waiting_on_locks(db, held) == 2 and not any(w.done() for w in writes)  # three wait for a thread
        held.release.set()
        assert sorted(await asyncio.wait_for(asyncio.gather(*writes), 20)) == [1, 2, 3, 4, 5]
    assert stored(db) == {YEAR: 5}
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(TicketCounter)) == 1
