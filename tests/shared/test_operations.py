"""The one adapter from a declared operation to its route (shared/operations.py), on a real migrated database."""

import asyncio
import time
from datetime import date, datetime

import pytest
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy import Integer, bindparam, cast, select, text

from shared import db as shared_db
from shared import deadline, errors, pagination, settings
from shared import uow as shared_uow
from shared.app import create_service_app
from shared.clock import FixedClock
from shared.db import Database
from shared.deps import CurrentCaller, CurrentClock
from shared.hot import HotRoute, serve_hot
from shared.idempotency import Idempotency
from shared.operations import Operations, cursor_of, error_codes
from shared.types import StrictModel
from shared.uow import UnitOfWork

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


def test_hot_is_only_for_a_get_of_path_and_query_parameters():
    ops = Operations(APIRouter())
    with pytest.raises(TypeError):
        @ops.post("/things", "createThing", "Make a thing", hot=True)
        def create(session, thing: ThingIn) -> ThingRead: ...
    with pytest.raises(TypeError):
        @ops.get("/things", "listThings", "Things", hot=True)
        def listing(session, after: cursor_of(pagination.is_id) = None) -> Listing: ...
    with pytest.raises(TypeError):
        @ops.get("/things/{n}", "getThing", "A thing", hot=True)
        def get(session, n: int, request: Request) -> Listing: ...


async def _caller_name(request: Request) -> str:
    return request.headers.get("x-name", "nobody")


def _sync_reader(request: Request) -> str:
    return "sync"


async def _two_parameters(request: Request, limit: int = 1) -> str:
    return "two"


@pytest.mark.parametrize("reader", [_sync_reader, _two_parameters])
def test_a_written_endpoints_dependencies_are_only_async_reads_of_the_request(reader):
    """One rule for what the adapter and a hot write call themselves (shared/hot.request_reader)."""
    from typing import Annotated

    from fastapi import Depends, FastAPI
    from starlette.responses import JSONResponse

    from shared.hot import written

    router = APIRouter()

    @router.post("/written")
    @written
    async def endpoint(thing: ThingIn, name: Annotated[str, Depends(reader)]) -> JSONResponse:
        return JSONResponse({"name": name})

    with pytest.raises(TypeError, match="read the request only"):
        serve_hot(FastAPI(), [router])


async def test_a_written_endpoint_is_given_what_its_request_reader_reads():
    from typing import Annotated

    import httpx
    from fastapi import Depends, FastAPI
    from starlette.responses import JSONResponse

    from shared.hot import HotWrite, written

    router = APIRouter()

    @router.post("/written")
    @written
    async def endpoint(thing: ThingIn, name: Annotated[str, Depends(_caller_name)]) -> JSONResponse:
        return JSONResponse({"thing": thing.name, "name": name})

    app = FastAPI()
    app.include_router(router)
    serve_hot(app, [router])
    assert isinstance(app.router.routes[0], HotWrite)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        answer = await client.post("/written", json={"name": "泵"}, headers={"x-name": "zhangwei"})
    assert answer.status_code == 200 and answer.json() == {"thing": "泵", "name": "zhangwei"}


HOT_REQUESTS = [("/hot/2", {}, 200), ("/hot/1", {"limit": 3}, 200), ("/hot/0", {}, 404), ("/hot/x", {}, 422),
                ("/hot/2", {"limit": 0}, 422), ("/hot/x", {"limit": "a"}, 422)]


async def test_a_hot_read_runs_on_a_connection_and_answers_as_fastapis_route_does(database_factory):
    db = database_factory("warranty")
    router = APIRouter()
    ops = Operations(router, tags=["things"])
    given = []

    @ops.get("/hot/{n}", "hotThing", "A hot read", raises=[NoSuchThing], exclude_none=True, hot=True)
    def hot(session, n: int, clock: CurrentClock, limit: int = Query(10, ge=1)) -> Listing:
        given.append(type(session).__name__)
        if n == 0:
            raise NoSuchThing()
        after = session.execute(select(cast(bindparam("n"), Integer)), {"n": n + clock.today().day}).scalar_one()
        return Listing(after=after if n > 1 else None, limit=limit)

    config = settings.load("warranty", database_url=db.url, database_schema=db.schema, internal_token=TOKEN)
    served, plain = (create_service_app(config, title="test", routers=[router], clock=FixedClock(datetime(2026, 12, 5)))
                     for _ in range(2))
    serve_hot(served, [router])
    headers = internal_headers(request_id="req-hot")
    async with asgi_client(served, headers=headers) as ours, asgi_client(plain, headers=headers) as theirs:
        for path, params, status in HOT_REQUESTS:
            a, b = await ours.get(path, params=params), await theirs.get(path, params=params)
            assert a.status_code == b.status_code == status, (path, params)
            assert (a.headers.multi_items(), a.content) == (b.headers.multi_items(), b.content), (path, params)
        assert (await ours.get("/hot/2")).json() == {"after": 7, "limit": 10}  # None left out
        assert (await ours.post("/hot/2")).status_code == 405  # FastAPI's route answers the other methods
    # The hot route's is a Core connection; on SQLite the thread's sqlite3 connection (shared/rawread.py), on
    # PostgreSQL an asyncpg connection (shared/native.py).
    core = ("Reader" if shared_db.RAW_READS else "Connection") if db.url.startswith("sqlite") else \
        ("NativeReader" if shared_db.NATIVE and shared_uow.NATIVE_READS else "Connection")
    assert given == [core, "Session"] * 3 + [core]
    assert served.openapi() == plain.openapi()


FAST_REQUESTS = [
    ("/fast/2", {"kind": "ab"}), ("/fast/2", {}), ("/fast/x", {}), ("/fast/2", {"kind": "a"}),
    ("/fast/2", {"kind": "ab", "page-size": "3"}), ("/fast/2", {"kind": "ab", "page-size": "10"}),
    ("/fast/2", {"kind": "ab", "page_size": "3"}), ("/fast/2", {"kind": "ab", "on": "2026-02-30"}),
    ("/fast/2", {"kind": "ab", "on": "2026-02-28"}), ("/fast/2", {"kind": ""}),
    ("/many/2", {"tag": ["a", "b"]}), ("/many/2", {}), ("/many/x", {"tag": "a"}),
]


async def test_hot_parameters_are_read_once_per_process_and_answer_as_fastapi_does(database_factory):
    """Plain path and query parameters (required, bounded, aliased, optional) are read by the hot route's own
    reader; a repeated one sends the route's query through FastAPI's general reader. Both answer every
    request, good or bad, byte for byte as FastAPI's route does."""
    db = database_factory("warranty")
    router = APIRouter()
    ops = Operations(router, tags=["things"])

    @ops.get("/fast/{n}", "fastThing", "A hot read of plain parameters", hot=True)
    def fast(session, n: int, kind: str = Query(min_length=2), size: int = Query(5, alias="page-size", le=9),
             on: date | None = None) -> Listing:
        return Listing(after=n + (on.day if on else 0), limit=size)

    @ops.get("/many/{n}", "manyThing", "A hot read of a repeated parameter", hot=True)
    def many(session, n: int, tag: list[str] = Query([])) -> Listing:
        return Listing(after=len(tag), limit=n)

    config = settings.load("warranty", database_url=db.url, database_schema=db.schema, internal_token=TOKEN)
    served, plain = (create_service_app(config, title="test", routers=[router]) for _ in range(2))
    serve_hot(served, [router])
    readers = {route.path: (route.path_params is not None, route.query_params is not None)
               for route in served.router.routes if isinstance(route, HotRoute)}
    assert readers == {"/fast/{n}": (True, True), "/many/{n}": (True, False)}
    headers = internal_headers(request_id="req-fast")
    async with asgi_client(served, headers=headers) as ours, asgi_client(plain, headers=headers) as theirs:
        statuses = []
        for path, params in FAST_REQUESTS:
            a, b = await ours.get(path, params=params), await theirs.get(path, params=params)
            assert (a.status_code, a.headers.multi_items(), a.content) == (
                b.status_code, b.headers.multi_items(), b.content), (path, params)
            statuses.append(a.status_code)
    assert statuses == [200, 422, 422, 422, 200, 422, 200, 422, 200, 422, 200, 200, 422]


async def test_a_hot_read_past_its_deadline_is_not_answered(database_factory):
    test_db = database_factory("warranty")
    db = Database.connect(test_db.url, schema=test_db.schema)
    uow = UnitOfWork(db)
    token = deadline.start(time.time() - 1)
    try:
        with pytest.raises(deadline.DeadlineExceeded):
            await uow.read_rows(lambda connection: connection.execute(text("SELECT 1")).scalar_one())
    finally:
        deadline.reset(token)
    assert await uow.read_rows(lambda connection: connection.execute(text("SELECT 2")).scalar_one()) == 2
    assert db.read_engine.pool.checkedout() == 0
    await db.dispose_native()
    db.dispose()
