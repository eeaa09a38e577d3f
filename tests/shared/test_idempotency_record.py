"""The stored answer and the claim it closes (shared/idempotency.Idempotency.record): written with the effect's
transaction (on PostgreSQL held and sent with its next statement or its COMMIT: shared/direct.later), and the
claim stays this process's to give back until that write is made."""

from datetime import datetime

import pytest

from services.warranty.models import IdempotencyRecord
from shared.clock import FixedClock
from shared.db import Database
from shared.idempotency import Idempotency

SCOPE = "test-key:/things"


@pytest.fixture
def idempotency(database_factory):
    found = database_factory("warranty")
    db = Database.connect(found.url, schema=found.schema)
    yield Idempotency(db, IdempotencyRecord, FixedClock(datetime(2026, 12, 7, 9, 0)))
    db.dispose()


def test_a_recorded_answer_is_replayed_and_the_claim_is_no_longer_held(idempotency):
    assert idempotency.claim(scope=SCOPE, key="k-1", fingerprint="f") is None
    assert (SCOPE, "k-1") in idempotency._held
    with idempotency.db.transaction() as session:
        idempotency.record(session, scope=SCOPE, key="k-1", status=201, body={"id": 7})
    assert (SCOPE, "k-1") not in idempotency._held
    stored = idempotency.claim(scope=SCOPE, key="k-1", fingerprint="f")
    assert (stored.status, stored.body) == (201, {"id": 7})


def test_a_transaction_that_fails_before_the_answer_is_written_leaves_the_claim_to_give_back(idempotency):
    assert idempotency.claim(scope=SCOPE, key="k-2", fingerprint="f") is None
    with pytest.raises(RuntimeError), idempotency.db.transaction() as session:
        idempotency.record(session, scope=SCOPE, key="k-2", status=201, body={"id": 8})
        raise RuntimeError("the effect failed after its answer was made")
    if idempotency.db.dialect == "postgresql":  # the answer was held, never sent: still this process's claim
        assert (SCOPE, "k-2") in idempotency._held
    idempotency.give_back(scope=SCOPE, key="k-2")
    assert idempotency.claim(scope=SCOPE, key="k-2", fingerprint="f") is None  # given back: claimed anew


def test_an_answer_whose_claim_is_gone_is_refused_and_nothing_commits(idempotency):
    assert idempotency.claim(scope=SCOPE, key="k-3", fingerprint="f") is None
    idempotency.release(scope=SCOPE, key="k-3")  # purged meanwhile
    with pytest.raises(RuntimeError, match="missing"), idempotency.db.transaction() as session:
        idempotency.record(session, scope=SCOPE, key="k-3", status=201, body={"id": 9})
    assert idempotency.claim(scope=SCOPE, key="k-3", fingerprint="f") is None
