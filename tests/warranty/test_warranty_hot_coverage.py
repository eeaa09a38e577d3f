"""The coverage read served hot (shared/operations.py `hot=True`: a plain route on a Core connection) answers
exactly what FastAPI's route of the same declaration answers (the operation on a Session): status, headers and
body bytes, errors included, on the same database."""

import sqlite3
from datetime import date

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import event

from services.warranty import policies, units
from services.warranty.domain import terms
from services.warranty.main import create_app
from shared import context, identity, uow
from shared.hot import HotRoute

from helpers import TOKEN, asgi_client, internal_headers, without_hot_routes
from warranty_support import unit_body

pytestmark = pytest.mark.anyio

RID = "req-hot-coverage"  # one request id for both, signed as the gateway signs it
COVERAGE = "/units/HVAC-000001/coverage"
# (method, path, query, the status both give): every shape of a coverage request the route can meet.
REQUESTS = [
    ("GET", COVERAGE, {}, 200),
    ("GET", COVERAGE, {"on": "2025-07-01"}, 200),
    ("GET", COVERAGE, {"on": "2024-02-29", "component": "unit"}, 200),
    ("GET", COVERAGE, {"on": "2027-03-16", "component": "heating_system"}, 200),
    ("GET", COVERAGE, {"component": "cooling_system"}, 200),
    ("GET", COVERAGE, {"on": "2025-13-01"}, 422),
    ("GET", COVERAGE, {"on": "yesterday"}, 422),
    ("GET", COVERAGE, {"on": ""}, 422),
    ("GET", COVERAGE, {"on": "2025-1-1"}, 422),
    ("GET", COVERAGE, {"component": "roof"}, 422),
    ("GET", COVERAGE, {"component": ""}, 422),
    ("GET", COVERAGE, {"on": "never", "component": "roof"}, 422),
    ("GET", COVERAGE, [("on", "2025-01-01"), ("on", "bad")], 422),
    ("GET", COVERAGE, [("on", "bad"), ("on", "2025-01-01")], 200),
    ("GET", COVERAGE, {"unknown": "1", "on": "2025-07-01"}, 200),
    ("GET", "/units/%20hvac-000001%20/coverage", {"on": "2025-07-01"}, 200),  # the serial normalised
    ("GET", "/units/HVAC-999999/coverage", {}, 404),
    ("GET", "/units/HVAC-999999/coverage", {"on": "bad"}, 422),
    ("GET", "/units/%E5%BA%8F%E5%88%97/coverage", {}, 404),
    ("GET", "/units/" + "X" * 300 + "/coverage", {}, 404),
    ("GET", "/units/a%2Fb/coverage", {}, 404),
    ("GET", "/units/a%00b/coverage", {}, 404),
    ("GET", COVERAGE, {"on": "2025-01-01\x00"}, 422),
    ("GET", COVERAGE + "/", {}, 307),
    ("GET", "/units//coverage", {}, 404),
    ("HEAD", COVERAGE, {"on": "2025-07-01"}, 200),
    ("POST", COVERAGE, {}, 405),
    ("PUT", COVERAGE, {}, 405),
    ("GET", "/units/HVAC-000001/history", {}, 200),  # a neighbour is not taken by the hot routes
    # The unit with its terms, the other hot read.
    ("GET", "/units/HVAC-000001", {}, 200),
    ("GET", "/units/%20hvac-000001%20", {}, 200),
    ("GET", "/units/HVAC-000001", {"on": "2025-07-01"}, 200),
    ("GET", "/units/HVAC-999999", {}, 404),
    ("GET", "/units/%E5%BA%8F%E5%88%97", {}, 404),
    ("GET", "/units/" + "X" * 300, {}, 404),
    ("GET", "/units/a%00b", {}, 404),
    ("GET", "/units/HVAC-000001/", {}, 307),
    ("HEAD", "/units/HVAC-000001", {}, 200),
    ("POST", "/units/HVAC-000001", {}, 405),
    ("DELETE", "/units/HVAC-000001", {}, 405),
]


def station_headers(station: str) -> dict:
    caller = context.Caller(role="station", key_id="user:21", kind="user", name="孙师傅", station=station)
    return {k.decode(): v.decode() for k, v in identity.headers(TOKEN, caller, request_id=RID)}


@pytest.fixture
async def both(warranty_settings, clock):
    """(hot, plain): the service as it runs, and the same service with FastAPI's route only."""
    hot_app = create_app(warranty_settings, clock=clock)
    plain_app = without_hot_routes(create_app(warranty_settings, clock=clock))
    async with asgi_client(hot_app, headers=internal_headers(request_id=RID)) as hot, \
            asgi_client(plain_app, headers=internal_headers(request_id=RID)) as plain:
        assert (await hot.post("/units", json=unit_body(accepted_on="2024-03-01"))).status_code == 201
        yield hot_app, hot, plain_app, plain


async def same_answer(hot, plain, method, path, params, headers=None):
    ours = await hot.request(method, path, params=params, headers=headers)
    theirs = await plain.request(method, path, params=params, headers=headers)
    where = (method, path, params)
    assert ours.status_code == theirs.status_code, where
    assert ours.headers.multi_items() == theirs.headers.multi_items(), where
    assert ours.content == theirs.content, where
    return ours


def test_the_coverage_read_is_declared_hot_and_served_in_front_of_fastapi():
    app = create_app()
    hot = [r for r in app.router.routes if isinstance(r, HotRoute)]
    assert app.router.routes[:2] == hot  # in front of every other route
    assert {r.path for r in hot} == {"/units/{serial}/coverage", "/units/{serial}"}
    first = next(r for r in hot if r.path == "/units/{serial}/coverage")
    assert not [r for r in without_hot_routes(create_app()).router.routes if isinstance(r, HotRoute)]
    # FastAPI's route of the declaration stays, for the OpenAPI document and the other methods.
    assert "/units/{serial}/coverage" in app.openapi()["paths"] and not isinstance(first, APIRoute)


@pytest.mark.parametrize(("method", "path", "params", "status"), REQUESTS)
async def test_every_coverage_request_is_answered_as_fastapis_route_answers_it(both, method, path, params, status):
    _, hot, _, plain = both
    assert (await same_answer(hot, plain, method, path, params)).status_code == status


async def test_the_hot_route_serves_the_read_on_a_connection_and_fastapi_on_a_session(both, monkeypatch):
    hot_app, hot, plain_app, plain = both
    served = []
    for app, name in ((hot_app, "hot"), (plain_app, "plain")):
        for way in ("read", "read_rows"):
            original = getattr(app.state.uow, way)

            async def counted(fn, *args, _original=original, _way=way, _name=name, **kwargs):
                served.append((_name, _way))
                return await _original(fn, *args, **kwargs)

            monkeypatch.setattr(app.state.uow, way, counted)
    answer = await same_answer(hot, plain, "GET", COVERAGE, {"on": "2025-07-01"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert answer.headers["x-route-template"] == "/units/{serial}/coverage"
    assert served == [("hot", "read_rows"), ("plain", "read")]


async def test_bad_parameters_are_named_in_fastapis_order(both):
    _, hot, _, plain = both
    answer = await same_answer(hot, plain, "GET", COVERAGE, {"on": "never", "component": "roof"})
    assert answer.json()["code"] == "validation_error"
    assert [e["field"] for e in answer.json()["errors"]] == ["on", "component"]


@pytest.mark.parametrize("station", ["ST-JINAN-07", "SC-JINAN", ""])
async def test_a_station_caller_gets_the_same_answer(both, station):
    _, hot, _, plain = both
    answer = await same_answer(hot, plain, "GET", COVERAGE, {"on": "2025-07-01"}, station_headers(station))
    assert answer.status_code == 200


async def test_a_unit_of_a_new_policy_and_region_fills_the_pinned_terms_on_a_connection(both):
    hot_app, hot, _, plain = both
    assert (await hot.post("/units", json=unit_body(serial="HB-000001", region="harbin"))).status_code == 201
    answer = await same_answer(hot, plain, "GET", "/units/HB-000001/coverage", {"on": "2025-07-01"})
    assert answer.status_code == 200 and len(answer.json()["components"]) == 6


class Locked:
    """A driver connection whose every statement finds the database locked (sqlite3's own error)."""

    in_transaction = False

    def execute(self, *_args):
        raise sqlite3.OperationalError("database is locked")


async def test_a_database_fault_is_answered_alike(both, monkeypatch):
    hot_app, hot, plain_app, plain = both
    for app in (hot_app, plain_app):
        for engine in app.state.db.engines:
            refused = engine.dialect.loaded_dbapi.OperationalError("database is locked")

            def refuse(*_args, _refused=refused):
                raise _refused

            event.listen(engine, "before_cursor_execute", refuse)
    raw_reads = hot_app.state.db._raw_reads  # noqa: SLF001 (on SQLite the hot read goes straight to sqlite3)
    if raw_reads is not None:
        raw_reads._local.raw = Locked()  # noqa: SLF001 (this thread's, the event loop's: DB_WAIT=loop)
    elif hot_app.state.db.native and uow.NATIVE_READS:  # on PostgreSQL it goes over asyncpg (shared/native.py)
        import asyncpg

        async def reset(*_args, **_kwargs):
            raise ConnectionResetError("connection reset by peer")

        monkeypatch.setattr(asyncpg.Connection, "fetch", reset)
    answer = await same_answer(hot, plain, "GET", COVERAGE, {"on": "2025-07-01"})
    assert answer.status_code == 503 and answer.json()["code"] == "database_busy"
    if raw_reads is not None:
        raw_reads._local.raw = None  # noqa: SLF001


async def test_a_deadline_passed_on_arrival_is_answered_alike(both):
    _, hot, _, plain = both
    late = internal_headers(deadline_ms="1000", request_id=RID)
    answer = await same_answer(hot, plain, "GET", COVERAGE, {}, late)
    assert answer.status_code == 504


async def test_the_terms_kept_are_those_computed_and_bounded(both, monkeypatch):
    hot_app, hot, _, plain = both
    pinned = hot_app.state.pinned
    with hot_app.state.db.reading() as connection:
        unit = units.find(connection, "HVAC-000001")
        kept = units.terms_of(connection, unit, pinned)
        rules = pinned.rules(connection, unit.policy_version)
        calendar = pinned.calendar(connection, unit.calendar_id)
        assert list(kept) == terms.compute_terms(rules, unit.accepted_on, calendar)
        assert units.terms_of(connection, unit, pinned) is kept  # computed once per process
        monkeypatch.setattr(policies, "TERMS_KEPT", 2)
        for day in (date(2024, 3, 2), date(2024, 3, 3), date(2024, 3, 4)):
            assert list(pinned.terms(connection, unit.policy_version, unit.calendar_id, day)) == \
                terms.compute_terms(rules, day, calendar)
        assert len(pinned._terms) <= 2  # noqa: SLF001
    # the answers from the kept terms are FastAPI's route's, computed afresh
    await same_answer(hot, plain, "GET", COVERAGE, {"on": "2025-07-01"})
