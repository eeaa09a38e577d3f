"""The one adapter from a declared operation to its route (shared/operations.py), on a real migrated database."""

import asyncio
from datetime import datetime

import pytest
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import text

from shared import errors, pagination, settings
from shared.app import create_service_app
from shared.clock import FixedClock
from shared.deps import CurrentCaller, CurrentClock
from shared.idempotency import Idempotency
from shared.operations import Operations, cursor_of, error_codes
from shared.types import StrictModel

from helpers import TOKEN, asgi_client, assert_problem, internal_headers

pytestmark = pytest.mark.anyio


class NoSuchThing(errors.NotFound):
    code, title = "thing_not_found", "No such thing"


class ThingExists(errors.Conflict):
    code, title = "thing_exists", "There is such a thing already"


class ThingIn(StrictModel):
    name: str


class ThingRead(BaseModel):
    n: int
    name: str
    by: str
    at: datetime
    transaction: bool


class Listing(BaseModel):
    after: int | None
    limit: int


def make_app(database_factory, seen: list):
    db = database_factory("warranty")  # any migrated service database with an idempotency table
    router = APIRouter()
    ops = Operations(router, tags=["things"])

    @ops.post("/things", "createThing", "Make a thing", idempotent=True, raises=[ThingExists],
              body={"name": "a"}, answer={"n": 1})
    def create(session, thing: ThingIn, request: Request, caller: CurrentCaller, clock: CurrentClock) -> ThingRead:
        if thing.name == "taken":
            raise ThingExists()
        seen.append(thing.name)
        session.execute(text("SELECT 1"))
        return ThingRead(n=len(seen), name=thing.name, by=caller.role, at=clock.now(),
                         transaction=session.in_transaction() and request.method == "POST")

    @ops.get("/things", "listThings", "Things")
    def listing(session, limit: int = Query(10), after: cursor_of(pagination.is_id) = None) -> Listing:
        return Listing(after=after, limit=limit)

    @ops.get("/brief", "briefThing", "Members that are None left out", exclude_none=True)
    def brief(session) -> Listing:
        return Listing(after=None, limit=1)

    @ops.get("/things/{n}", "getThing", "A thing", raises=[NoSuchThing])
    def get(session, n: int) -> ThingRead:
        raise NoSuchThing()

    def on_startup(app):
        from services.warranty.models import IdempotencyRecord

        app.state.idempotency = Idempotency(app.state.db, IdempotencyRecord, app.state.clock)

    config = settings.load("warranty", database_url=db.url, database_schema=db.schema, internal_token=TOKEN)
    return create_service_app(config, title="test", routers=[router], clock=FixedClock(datetime(2026, 12, 5)),
                              on_startup=on_startup)


@pytest.fixture
def seen():
    return []


@pytest.fixture
async def app_client(database_factory, seen):
    app = make_app(database_factory, seen)
    async with asgi_client(app, headers=internal_headers(role="station")) as client:
        yield app, client


async def test_a_create_runs_in_a_transaction_with_what_the_request_gives(app_client, seen):
    _, client = app_client
    response = await client.post("/things", json={"name": "a"})
    assert response.status_code == 201
    assert response.json() == {"n": 1, "name": "a", "by": "station", "at": "2026-12-05T00:00:00Z",
                               "transaction": True}


async def test_the_same_key_twice_is_one_effect_and_a_corrected_body_is_refused(app_client, seen):
    _, client = app_client
    first = await client.post("/things", json={"name": "a"}, headers={"Idempotency-Key": "k1"})
    again = await client.post("/things", json={"name": "a"}, headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true" and seen == ["a"]
    assert_problem(await client.post("/things", json={"name": "b"}, headers={"Idempotency-Key": "k1"}),
                   422, "idempotency_key_reused")
    assert seen == ["a"]


async def test_the_same_key_sent_many_times_at_once_is_one_effect(app_client, seen):
    """Real concurrency: on PostgreSQL the effects run in worker threads at the same moment; a duplicate
    that finds the key's transaction lock taken is answered 409 in progress, never a second effect."""
    _, client = app_client
    answers = await asyncio.gather(*[
        client.post("/things", json={"name": "same"}, headers={"Idempotency-Key": "k-many"}) for _ in range(12)])
    assert seen == ["same"]
    made = [a for a in answers if a.status_code == 201]
    assert made and all(a.json() == made[0].json() for a in made)
    for refused in (a for a in answers if a.status_code != 201):
        assert_problem(refused, 409, "idempotency_in_progress")
    again = await client.post("/things", json={"name": "same"}, headers={"Idempotency-Key": "k-many"})
    assert again.status_code == 201 and again.json() == made[0].json() and seen == ["same"]


async def test_a_refused_effect_keeps_nothing_and_gives_the_key_back(app_client, seen):
    _, client = app_client
    assert_problem(await client.post("/things", json={"name": "taken"}, headers={"Idempotency-Key": "k2"}),
                   409, "thing_exists")
    assert seen == []
    # nothing of the refused request stayed: the same key with another body is a new request
    assert (await client.post("/things", json={"name": "b"}, headers={"Idempotency-Key": "k2"})).status_code == 201
    assert seen == ["b"]


async def test_the_cursor_is_decoded_before_the_use_case_and_refused_unless_its_shape_fits(app_client):
    _, client = app_client
    assert (await client.get("/things")).json() == {"after": None, "limit": 10}
    cursor = pagination.encode(41)
    assert (await client.get("/things", params={"cursor": cursor, "limit": 3})).json() == {"after": 41, "limit": 3}
    for bad in (pagination.encode("41"), pagination.encode([41]), "%%%not-base64", pagination.encode(-1)):
        assert_problem(await client.get("/things", params={"cursor": bad}), 422, "invalid_cursor")


async def test_an_answer_can_leave_out_what_is_none(app_client):
    _, client = app_client
    assert (await client.get("/brief")).json() == {"limit": 1}


async def test_the_errors_it_raises_are_its_documented_ones(app_client):
    app, client = app_client
    assert_problem(await client.get("/things/3"), 404, "thing_not_found")
    spec = app.openapi()
    create = spec["paths"]["/things"]["post"]
    assert create["operationId"] == "createThing" and create["tags"] == ["things"]
    assert create["responses"]["409"]["x-problem-codes"] == ["idempotency_in_progress", "thing_exists"]
    assert create["responses"]["422"]["x-problem-codes"] == ["validation_error", "idempotency_key_reused"]
    assert create["requestBody"]["content"]["application/json"]["example"] == {"name": "a"}
    assert {p["name"] for p in create["parameters"]} == {"Idempotency-Key"}
    listed = spec["paths"]["/things"]["get"]
    assert [p["name"] for p in listed["parameters"]] == ["limit", "cursor"]
    assert "invalid_cursor" in listed["responses"]["422"]["x-problem-codes"]
    assert spec["paths"]["/things/{n}"]["get"]["responses"]["404"]["x-problem-codes"] == ["thing_not_found"]


def test_error_codes_group_the_raised_classes_by_status_in_order():
    assert error_codes([NoSuchThing, ThingExists, errors.NotFound]) == {
        404: ("thing_not_found", "not_found"), 409: ("thing_exists",)}
    assert error_codes({409: "conflict", 404: ("a", "b")}) == {409: ("conflict",), 404: ("a", "b")}
    assert error_codes(None) == {}
