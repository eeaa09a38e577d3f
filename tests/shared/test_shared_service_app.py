"""The app factory every service shares: errors, token, limits, request ids, idempotency."""

import asyncio
from datetime import datetime

import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel

from shared import errors, settings
from shared.app import create_service_app
from shared.clock import FixedClock
from shared.deps import IdempotencyKey
from shared.idempotency import Idempotency, run_idempotent
from shared.types import Money, Qty, StrictModel

from helpers import TOKEN, asgi_client, assert_problem, internal_headers

pytestmark = pytest.mark.anyio


class Thing(StrictModel):
    qty: Qty
    price: Money


class Echo(BaseModel):
    n: int
    price: Money


def make_app(database_factory, clock, calls, gate=None):
    db = database_factory("warranty")  # any migrated service database with an idempotency table
    router = APIRouter()

    @router.post("/things", status_code=201)
    async def create(thing: Thing, request: Request, key: IdempotencyKey = None):
        if gate is not None:
            await gate.wait()

        def effect(_session):
            calls.append(thing.qty)
            return Echo(n=len(calls), price=thing.price)

        return await run_idempotent(request, key=key, payload=thing, status=201, effect=effect)

    @router.get("/boom")
    async def boom():
        raise RuntimeError("secret SQL: SELECT * FROM api_key")

    @router.get("/conflict")
    async def conflict():
        raise errors.Conflict("already there", hint="x")

    def on_startup(app):
        from services.warranty.models import IdempotencyRecord

        app.state.idempotency = Idempotency(app.state.db, IdempotencyRecord, app.state.clock)

    config = settings.load("warranty", database_url=db.url, database_schema=db.schema,
                           internal_token=TOKEN, max_body_bytes=200)
    return create_service_app(config, title="test", routers=[router], clock=clock, on_startup=on_startup)


@pytest.fixture
def calls():
    return []


@pytest.fixture
async def client(database_factory, calls):
    app = make_app(database_factory, FixedClock(datetime(2026, 11, 25)), calls)
    async with asgi_client(app, headers=internal_headers()) as c:
        yield c


async def test_unexpected_error_is_500_problem_without_trace(client):
    response = await client.get("/boom")
    body = assert_problem(response, 500, "internal_error")
    assert "SELECT" not in response.text and "Traceback" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]


async def test_domain_error_carries_its_code_and_extras(client):
    body = assert_problem(await client.get("/conflict"), 409, "conflict")
    assert body["detail"] == "already there" and body["hint"] == "x"


async def test_request_without_internal_token_is_refused(client):
    response = await client.get("/conflict", headers={"X-Internal-Token": "wrong"})
    assert_problem(response, 401, "internal_token_required")


async def test_health_and_readiness_need_no_token(client):
    assert (await client.get("/healthz", headers={"X-Internal-Token": ""})).status_code == 200
    assert (await client.get("/readyz", headers={"X-Internal-Token": ""})).json() == {"status": "ready"}


async def test_request_id_is_kept_and_returned(client):
    response = await client.get("/conflict", headers=internal_headers(request_id="abc-123"))
    assert response.status_code == 409
    assert response.headers["x-request-id"] == "abc-123" and response.json()["request_id"] == "abc-123"


async def test_oversized_body_is_413_by_length_and_when_streamed(client):
    assert_problem(await client.post("/things", content=b"{" + b" " * 300 + b"}"), 413, "payload_too_large")

    async def chunks():
        for _ in range(10):
            yield b" " * 50

    assert_problem(await client.post("/things", content=chunks()), 413, "payload_too_large")


@pytest.mark.parametrize(
    ("body", "field"),
    [({"qty": "2", "price": "1.00"}, "qty"), ({"qty": 1.5, "price": "1.00"}, "qty"),
     ({"qty": True, "price": "1.00"}, "qty"), ({"qty": 0, "price": "1.00"}, "qty"),
     ({"qty": 1, "price": 1.0}, "price"), ({"qty": 1, "price": "1.005"}, "price"),
     ({"qty": 1, "price": "-1.00"}, "price"), ({"qty": 1, "price": "1.00", "x": 1}, "x")],
)
async def test_strict_types_coerce_nothing(client, body, field):
    found = assert_problem(await client.post("/things", json=body), 422, "validation_error")
    assert [e["field"] for e in found["errors"]] == [field]


async def test_malformed_json_is_422_problem(client):
    response = await client.post("/things", content=b'{"qty": ', headers={"Content-Type": "application/json"})
    assert_problem(response, 422, "validation_error")


async def test_idempotent_replay_key_reuse_and_money_on_the_wire(client, calls):
    headers = {"Idempotency-Key": "k-1"}
    first = await client.post("/things", json={"qty": 2, "price": "12.5"}, headers=headers)
    again = await client.post("/things", json={"qty": 2, "price": "12.5"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() == {"n": 1, "price": "12.50"}
    assert calls == [2]
    reused = await client.post("/things", json={"qty": 3, "price": "12.5"}, headers=headers)
    assert_problem(reused, 422, "idempotency_key_reused")


async def test_failed_attempt_gives_its_key_back(client, calls):
    headers = {"Idempotency-Key": "k-2"}
    assert (await client.post("/things", json={"qty": 1, "price": "1.001"}, headers=headers)).status_code == 422
    assert (await client.post("/things", json={"qty": 1, "price": "1.00"}, headers=headers)).status_code == 201


async def test_in_flight_duplicate_is_409_then_replays(database_factory, calls):
    gate = asyncio.Event()
    app = make_app(database_factory, FixedClock(datetime(2026, 11, 25)), calls, gate=gate)
    async with asgi_client(app, headers=internal_headers()) as c:
        headers = {"Idempotency-Key": "k-3"}
        body = {"qty": 1, "price": "1.00"}
        app.state.idempotency.claim(scope="test-key:/things", key="k-3",
                                    fingerprint=__import__("shared.idempotency", fromlist=["x"]).fingerprint(
                                        "POST", "/things", Thing(**body).model_dump(mode="json")))
        gate.set()
        assert_problem(await c.post("/things", json=body, headers=headers), 409, "idempotency_in_progress")
        app.state.clock.advance(seconds=61)  # the first holder died: its claim lapses
        assert (await c.post("/things", json=body, headers=headers)).status_code == 201
        assert (await c.post("/things", json=body, headers=headers)).headers["idempotent-replayed"] == "true"
    assert calls == [1]


async def test_stored_answers_are_kept_48_hours_then_purged(database_factory, calls):
    clock = FixedClock(datetime(2026, 11, 25))
    app = make_app(database_factory, clock, calls)
    async with asgi_client(app, headers=internal_headers()) as c:
        await c.post("/things", json={"qty": 1, "price": "1.00"}, headers={"Idempotency-Key": "old"})
        clock.advance(hours=47)
        await c.post("/things", json={"qty": 2, "price": "1.00"}, headers={"Idempotency-Key": "new"})
        assert app.state.idempotency.purge() == 0
        clock.advance(hours=2)
        assert app.state.idempotency.purge() == 1
        replay = await c.post("/things", json={"qty": 2, "price": "1.00"}, headers={"Idempotency-Key": "new"})
        assert replay.headers["idempotent-replayed"] == "true"
        again = await c.post("/things", json={"qty": 1, "price": "1.00"}, headers={"Idempotency-Key": "old"})
        assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert calls == [1, 2, 1]
