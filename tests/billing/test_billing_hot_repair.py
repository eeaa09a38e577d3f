"""A repair's bill served hot (shared/hot.py `written`: the hand-written `POST /repairs` as a HotWrite in front
of FastAPI's routing): a request whose body and key pass FastAPI's fields goes straight to the endpoint, with
its dependencies read off the request as FastAPI reads them; everything else is handed to FastAPI's route with
its body and answered as ever. Compared against the same service with FastAPI's routes only."""

from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from starlette.responses import JSONResponse

from services.billing.main import create_app
from shared import hot
from shared.hot import HotWrite

from billing_support import COMPRESSOR, repair_body
from helpers import answered_alike, asgi_client, internal_headers, reaching_fastapi, without_hot_routes

pytestmark = pytest.mark.anyio

RID = "req-hot-bill"
JSON = {"content-type": "application/json"}
# (name, body bytes or JSON, extra headers, the status both give): what FastAPI's fields refuse, or JSON
# they accept that the bill refuses before anything is written.
REFUSED = [
    ("no body", b"", JSON, 422),
    ("a body that is null", None, {}, 422),
    ("a body that is a list", [repair_body()], {}, 422),
    ("json cut short", b'{"serial_number": "', JSON, 422),
    ("not utf-8", b'{"serial_number": "\xff"}', JSON, 400),
    ("no content type", b'{"serial_number": "X"}', {}, 422),
    ("text", repair_body(), {"content-type": "text/plain"}, 422),
    ("an unknown member", {**repair_body(), "discount": "10"}, {}, 422),
    ("no serial", {k: v for k, v in repair_body().items() if k != "serial_number"}, {}, 422),
    ("negative hours", repair_body(labor_hours="-1"), {}, 422),
    ("a cause nobody knows", repair_body(causes=["lightning"]), {}, 422),
]


@pytest.fixture
async def both(billing_settings, clock, warranty, inventory):
    """(hot app, hot client, plain client) on one database, against the same faked warranty and inventory."""
    def app():
        transports = {"warranty": httpx.MockTransport(warranty.handler),
                      "inventory": httpx.MockTransport(inventory.handler)}
        return create_app(billing_settings, clock=clock, transports=transports)

    hot_app, plain_app = app(), without_hot_routes(app())
    async with asgi_client(hot_app, headers=internal_headers(role="billing", request_id=RID)) as ours, \
            asgi_client(plain_app, headers=internal_headers(role="billing", request_id=RID)) as theirs:
        yield hot_app, ours, theirs


def test_the_bill_is_served_in_front_of_fastapi():
    app = create_app()
    assert [r.path for r in app.router.routes if isinstance(r, HotWrite)] == ["/repairs"]
    assert isinstance(app.router.routes[0], HotWrite)
    assert "/repairs" in app.openapi()["paths"]  # FastAPI's route stays, for the document and the rest


@pytest.mark.parametrize(("name", "body", "headers", "status"), REFUSED, ids=[r[0] for r in REFUSED])
async def test_every_refused_bill_is_answered_as_fastapis_route_answers_it(both, name, body, headers, status):
    _, ours, theirs = both
    answer = await answered_alike(ours, theirs, "POST", "/repairs", body, {**headers, "Idempotency-Key": "r-1"})
    assert answer.status_code == status, answer.text


async def test_a_bill_is_served_without_fastapis_route_and_its_key_replays(both, inventory, monkeypatch):
    hot_app, ours, theirs = both
    route = hot_app.router.routes[0]
    handed = reaching_fastapi(monkeypatch, route)
    body = repair_body(reservation_ids=[inventory.add_reservation(COMPRESSOR)])
    first = await ours.post("/repairs", json=body, headers={"Idempotency-Key": "bill-1"})
    assert first.status_code == 201, first.text
    assert first.headers["x-route-template"] == "/repairs"
    again = await ours.post("/repairs", json=body, headers={"Idempotency-Key": "bill-1"})
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert handed == []
    # The same key through FastAPI's route (the other app's: the route is the router's, shared by both apps)
    # replays the same stored answer.
    assert (await theirs.post("/repairs", json=body, headers={"Idempotency-Key": "bill-1"})).json() == first.json()
    assert handed == ["/repairs"]
    handed.clear()
    # Without a key the endpoint makes one up and tells it, as ever.
    keyless = await ours.post("/repairs", json=repair_body(repair_reference="REP-2026-0002"))
    assert keyless.status_code == 201 and keyless.headers["idempotency-key"].startswith("auto-")
    assert handed == []
    assert (await ours.post("/repairs", json={**body, "discount": "1"})).status_code == 422
    assert handed == ["/repairs"]


async def _reads_request(request: Request) -> str:
    return request.url.path


def _sync_dependency() -> str:
    return "x"


def _app_with(route_of) -> FastAPI:
    router = APIRouter()
    route_of(router)
    app = FastAPI()
    app.include_router(router)
    hot.serve_hot(app, [router])
    return app


def _get(router):
    @router.get("/things")
    @hot.written
    async def things():
        return JSONResponse({})


def _query(router):
    @router.post("/things")
    @hot.written
    async def things(body: dict, limit: int = Query(10)):
        return JSONResponse({})


def _sync(router):
    @router.post("/things")
    @hot.written
    def things(body: dict):
        return JSONResponse({})


def _deep_dependency(router):
    @router.post("/things")
    @hot.written
    async def things(body: dict, value: Annotated[str, Depends(_sync_dependency)]):
        return JSONResponse({})


@pytest.mark.parametrize("route_of", [_get, _query, _sync, _deep_dependency])
def test_written_refuses_an_endpoint_it_could_not_serve_as_fastapi_does(route_of):
    with pytest.raises(TypeError):
        _app_with(route_of)


async def test_a_written_endpoint_gets_its_dependencies_and_must_answer_with_a_response():
    def route_of(router):
        @router.post("/things/{n}")
        @hot.written
        async def things(n: int, body: dict, request: Request, path: Annotated[str, Depends(_reads_request)]):
            if n == 0:
                return {"n": n}  # not a Response: a programming error, not served as if FastAPI had
            return JSONResponse({"n": n, "body": body, "path": path, "same": request.url.path == path})

    app = _app_with(route_of)
    assert isinstance(app.router.routes[0], HotWrite)
    async with asgi_client(app) as client:
        answer = await client.post("/things/3", json={"a": 1})
        assert answer.json() == {"n": 3, "body": {"a": 1}, "path": "/things/3", "same": True}
        assert (await client.post("/things/x", json={})).status_code == 422  # FastAPI's route answers it
        assert (await client.post("/things/0", json={})).status_code == 500  # ServerErrorMiddleware's
