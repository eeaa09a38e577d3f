"""shared.db against the real databases: add_new under a race, UTC timestamps."""

import threading
import time
from datetime import UTC, datetime

import pytest

from gateway.models import ApiKey
from shared.db import Database, add_new


class Taken(Exception):
    pass


def key(key_id: str, key_hash: str) -> ApiKey:
    return ApiKey(id=key_id, name="n", role="station", warehouses="", key_hash=key_hash,
                  created_at=datetime(2026, 11, 25, 8, 0, tzinfo=UTC))


@pytest.fixture
def db(database_factory):
    found = database_factory("gateway")
    database = Database.connect(found.url, schema=found.schema)
    yield database
    database.dispose()


def test_add_new_refuses_a_taken_key(db):
    with db.transaction() as session:
        add_new(session, key("k1", "h1"), exists=Taken())
    with pytest.raises(Taken), db.transaction() as session:
        add_new(session, key("k1", "h2"), exists=Taken())


def test_add_new_under_a_real_race_gives_one_row_and_one_clear_refusal(db):
    outcomes = []
    first_flushed = threading.Event()

    def first():
        with db.transaction() as session:
            add_new(session, key("race", "h-a"), exists=Taken())
            first_flushed.set()
            time.sleep(0.3)  # hold the row uncommitted while the second one tries
        outcomes.append("created")

    def second():
        first_flushed.wait(5)
        try:
            with db.transaction() as session:
                add_new(session, key("race", "h-b"), exists=Taken())
            outcomes.append("created")
        except Taken:
            outcomes.append("taken")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes) == ["created", "taken"]
    with db.transaction(write=False) as session:
        assert session.get(ApiKey, "race").key_hash == "h-a"


def test_timestamps_come_back_aware_in_utc(db):
    with db.transaction() as session:
        add_new(session, key("tz", "h-tz"), exists=Taken())
    with db.transaction(write=False) as session:
        assert session.get(ApiKey, "tz").created_at == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
        assert session.get(ApiKey, "tz").created_at.tzinfo is not None


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2026, 1, 1, tzinfo=UTC), None),  # before any version
        (datetime(2026, 3, 1, tzinfo=UTC), "march"),  # the day it takes effect
        (datetime(2026, 5, 1, tzinfo=UTC), "may-later"),  # two of the same day: the newer wins
        (datetime(2027, 1, 1, tzinfo=UTC), "may-later"),
    ],
)
def test_the_version_in_force_is_the_latest_that_has_come_the_newer_deciding_a_tie(database_factory, at, expected):
    from services.servicedesk.models import CommitmentVersion
    from shared.db import in_force

    found = database_factory("servicedesk")
    database = Database.connect(found.url, schema=found.schema)
    made = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        with database.transaction() as session:
            session.query(CommitmentVersion).delete()
            for effective, name in ((datetime(2026, 3, 1, tzinfo=UTC), "march"),
                                    (datetime(2026, 5, 1, tzinfo=UTC), "may"),
                                    (datetime(2026, 5, 1, tzinfo=UTC), "may-later")):
                session.add(CommitmentVersion(effective_from=effective, body={"name": name}, created_at=made))
        with database.transaction(write=False) as session:
            version = in_force(session, CommitmentVersion, at, newer=CommitmentVersion.id)
            assert (version.body["name"] if version else None) == expected
            if expected is None:
                with pytest.raises(Taken):
                    in_force(session, CommitmentVersion, at, newer=CommitmentVersion.id, missing=Taken())
    finally:
        database.dispose()


def test_on_postgresql_begin_and_the_time_left_go_in_one_round_trip(db):
    """Under a deadline a transaction starts with BEGIN and its statement_timeout sent together
    (shared/pg_engine._begun_with); the setting holds for the transaction only, and a connection that is not idle
    is left to the usual way (psycopg's BEGIN, then the setting)."""
    if db.write_engine.dialect.name != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    from sqlalchemy import text

    from shared import deadline
    from shared import pg_engine as shared_db

    answers = []
    real = shared_db._begun_with

    def spy(driver, setting):
        answers.append(real(driver, setting))
        return answers[-1]

    shared_db._begun_with = spy
    token = deadline.start(time.time() + 5)
    try:
        with db.transaction() as session:
            timeout_ms = int(session.execute(text("SHOW statement_timeout")).scalar().removesuffix("ms"))
            assert 4_000 < timeout_ms <= 5_000
            driver = session.connection().connection.driver_connection
            assert real(driver, "SET LOCAL statement_timeout = 1") is False  # in a transaction already
        deadline.reset(token)
        token = None
        with db.transaction() as session:
            assert session.execute(text("SHOW statement_timeout")).scalar() == "0"
    finally:
        shared_db._begun_with = real
        if token is not None:
            deadline.reset(token)
    assert answers == [True]
