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
