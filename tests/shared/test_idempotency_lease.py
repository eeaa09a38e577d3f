"""Idempotency claims that outlive their holder (shared/idempotency.py): taken over by a retry after
a short lease, but never while a live request may still commit (its claim holds until its deadline);
a 409 while a claim holds carries Retry-After; the lease is the service's setting, in every service."""

from datetime import datetime, timedelta

import pytest
from fastapi import APIRouter, Request

from services.warranty.models import IdempotencyRecord
from shared import deadline, settings
from shared.app import create_service_app
from shared.clock import FixedClock
from shared.deps import IdempotencyKey
from shared.idempotency import Idempotency, fingerprint, run_idempotent
from shared.types import Qty, StrictModel

from helpers import TOKEN, asgi_client, assert_problem, internal_headers

pytestmark = pytest.mark.anyio
PATH = "/things"
BODY = {"qty": 1}


class Thing(StrictModel):
    qty: Qty


def make_app(database_factory, clock, calls, **overrides):
    db = database_factory("warranty")
    router = APIRouter()

    @router.post(PATH, status_code=201)
    async def create(thing: Thing, request: Request, key: IdempotencyKey = None):
        def effect(_session):
            calls.append(thing.qty)
            return Thing(qty=len(calls))

        return await run_idempotent(request, key=key, payload=thing, status=201, effect=effect)

    def on_startup(app):
        app.state.idempotency = Idempotency(app.state.db, IdempotencyRecord, app.state.clock)

    config = settings.load("warranty", database_url=db.url, database_schema=db.schema, internal_token=TOKEN,
                           **overrides)
    return create_service_app(config, title="test", routers=[router], clock=clock, on_startup=on_startup)


def claim_as_another_process(app, key: str) -> None:
    """A claim made by a request of another process, which then dies (or cannot give it back)."""
    app.state.idempotency.claim(scope=f"test-key:{PATH}", key=key,
                                fingerprint=fingerprint("POST", PATH, Thing(**BODY).model_dump(mode="json")))


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 11, 25, 9, 0))


async def test_a_claim_whose_holder_died_is_taken_over_after_the_lease(database_factory, clock):
    calls = []
    app = make_app(database_factory, clock, calls)
    async with asgi_client(app, headers=internal_headers()) as client:
        assert app.state.idempotency.lease == timedelta(seconds=10)  # the setting's default
        claim_as_another_process(app, "k-dead")
        busy = await client.post(PATH, json=BODY, headers={"Idempotency-Key": "k-dead"})
        assert_problem(busy, 409, "idempotency_in_progress")
        assert 1 <= int(busy.headers["retry-after"]) <= 5
        clock.advance(seconds=9)
        again = await client.post(PATH, json=BODY, headers={"Idempotency-Key": "k-dead"})
        assert_problem(again, 409, "idempotency_in_progress")
        assert again.headers["retry-after"] == "1"  # the claim lapses in a second
        clock.advance(seconds=1)
        taken = await client.post(PATH, json=BODY, headers={"Idempotency-Key": "k-dead"})
        assert taken.status_code == 201 and calls == [1]
        replay = await client.post(PATH, json=BODY, headers={"Idempotency-Key": "k-dead"})
        assert replay.headers["idempotent-replayed"] == "true" and replay.json() == taken.json()


async def test_a_live_request_keeps_its_claim_until_its_deadline(database_factory, clock):
    """A slow request with 30 s to go: past the 10 s lease its claim still holds, so no retry runs the
    effect a second time beside it; past its deadline (and a grace second) a retry takes it over."""
    calls = []
    app = make_app(database_factory, clock, calls)
    async with asgi_client(app, headers=internal_headers()) as client:
        token = deadline.start_in(30)
        try:
            claim_as_another_process(app, "k-slow")  # made under the request's 30 s deadline
        finally:
            deadline.reset(token)
        for seconds in (11, 10):  # 11 s, then 21 s after the claim: past the lease, within the deadline
            clock.advance(seconds=seconds)
            held = await client.post(PATH, json=BODY, headers={"Idempotency-Key": "k-slow"})
            assert_problem(held, 409, "idempotency_in_progress")
            assert 1 <= int(held.headers["retry-after"]) <= 5
        assert calls == []
        clock.advance(seconds=10)  # 31 s: the deadline and the grace are past, nobody can still commit
        assert (await client.post(PATH, json=BODY, headers={"Idempotency-Key": "k-slow"})).status_code == 201
        assert calls == [1]


async def test_the_lease_is_the_services_setting(database_factory, clock):
    app = make_app(database_factory, clock, [], idempotency_lease_seconds=3)
    async with asgi_client(app, headers=internal_headers()) as client:
        assert app.state.idempotency.lease == timedelta(seconds=3)
        claim_as_another_process(app, "k-3")
        clock.advance(seconds=3)
        assert (await client.post(PATH, json=BODY, headers={"Idempotency-Key": "k-3"})).status_code == 201


@pytest.mark.parametrize("service", ["warranty", "inventory", "billing"])
async def test_every_service_with_keys_uses_the_setting(database_factory, service):
    import importlib

    db = database_factory(service)
    create_app = importlib.import_module(f"services.{service}.main").create_app
    config = settings.load(service, database_url=db.url, database_schema=db.schema, internal_token=TOKEN,
                           idempotency_lease_seconds=4)
    app = create_app(config)
    async with asgi_client(app, headers=internal_headers()):
        assert app.state.idempotency.lease == timedelta(seconds=4)
