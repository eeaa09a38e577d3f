"""The service side of the trust boundary (shared/identity.py, shared/middleware.py), tried as an
attacker would: forged, doubled and unsigned identity headers, paths no route owns, stale deadlines."""

import asyncio
import time

import pytest
from fastapi import APIRouter, Request
from sqlalchemy import func, select

from services.warranty.models import IdempotencyRecord
from shared import context, deadline, identity, settings
from shared.app import create_service_app
from shared.db import Database
from shared.deps import CurrentCaller, PathId

from helpers import TOKEN, asgi_client, assert_problem, internal_headers

pytestmark = pytest.mark.anyio
CALLER = context.Caller(role="warehouse", key_id="k-1", warehouses=frozenset({"SC-01"}), name="stock key",
                        station="ST-01")


def signed(**changes) -> list[tuple[bytes, bytes]]:
    values = {"request_id": "r-1", "deadline_ms": str(int((time.time() + 5) * 1000)), **changes}
    return identity.headers(TOKEN, CALLER, **values)


def test_signed_headers_prove_the_caller_request_id_and_deadline():
    caller, request_id, at = identity.verify(signed(), TOKEN.encode())
    assert caller == CALLER and request_id == "r-1" and at > time.time()


def test_a_person_s_name_and_station_travel_signed_in_any_script():
    person = context.Caller(role="station", key_id="user:7", kind="user", name="张师傅 / Zhang", station="ST-JINAN-07")
    caller, _request_id, _at = identity.verify(identity.headers(TOKEN, person, request_id="r-1"), TOKEN.encode())
    assert caller == person and caller.actor() == {"kind": "user", "id": "user:7", "name": "张师傅 / Zhang"}


@pytest.mark.parametrize(("name", "value"), [
    (b"x-caller-role", b"admin"), (b"x-caller-key-id", b"someone-else"), (b"x-caller-warehouses", b""),
    (b"x-request-id", b"r-2"), (b"x-request-deadline", b"9999999999999"),
    (b"x-caller-station", b"ST-OTHER"), (b"x-caller-name", b"%E5%BC%A0"), (b"x-caller-kind", b"user"),
])
def test_any_changed_value_breaks_the_signature(name, value):
    headers = [(k, value if k == name else v) for k, v in signed()]
    with pytest.raises(identity.IdentityRefused) as refused:
        identity.verify(headers, TOKEN.encode())
    assert (refused.value.status, refused.value.code) == (401, "invalid_caller_signature")


@pytest.mark.parametrize("name", sorted(identity.SINGLE))
def test_an_identity_header_sent_twice_is_refused(name):
    headers = signed()
    smuggled = [(name, b"admin")] + headers  # a header line slipped in ahead of the gateway's own
    with pytest.raises(identity.IdentityRefused) as refused:
        identity.verify(smuggled, TOKEN.encode())
    assert (refused.value.status, refused.value.code) == (400, "duplicate_identity_header")


def test_without_the_token_or_with_another_token_nothing_is_believed():
    no_token = [(k, v) for k, v in signed() if k != identity.TOKEN]
    with pytest.raises(identity.IdentityRefused) as refused:
        identity.verify(no_token, TOKEN.encode())
    assert refused.value.code == "internal_token_required"
    forged = identity.headers("guessed-token", CALLER, request_id="r")
    forged = [(k, TOKEN.encode() if k == identity.TOKEN else v) for k, v in forged]
    with pytest.raises(identity.IdentityRefused) as refused:
        identity.verify(forged, TOKEN.encode())
    assert refused.value.code == "invalid_caller_signature"


def test_unsigned_caller_headers_are_refused():
    plain = [(identity.TOKEN, TOKEN.encode()), (identity.ROLE, b"admin")]
    with pytest.raises(identity.IdentityRefused) as refused:
        identity.verify(plain, TOKEN.encode())
    assert refused.value.code == "invalid_caller_signature"


def make_app(database_factory):
    db = database_factory("warranty")
    router = APIRouter()

    @router.get("/things/{thing_id}")
    async def thing(thing_id: PathId, caller: CurrentCaller):
        return {"id": thing_id, "role": caller.role, "warehouses": sorted(caller.warehouses)}

    @router.get("/units/{serial}")
    async def unit(serial: str):
        return {"serial": serial}

    @router.get("/units/{serial}/history")
    async def history(serial: str):
        return {"history_of": serial}

    @router.post("/slow")
    async def slow(request: Request):
        with request.app.state.db.transaction() as session:
            session.add(IdempotencyRecord(scope="s", key="slow", fingerprint="f", state="done",
                                          created_at=context_now(), updated_at=context_now()))
            session.flush()
            await asyncio.sleep(3)
        return {"done": True}

    config = settings.load("warranty", database_url=db.url, database_schema=db.schema, internal_token=TOKEN)
    return create_service_app(config, title="test", routers=[router]), db


def context_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


@pytest.fixture
async def service(database_factory):
    app, db = make_app(database_factory)
    async with asgi_client(app) as client:
        yield client, db


async def test_service_believes_only_the_signed_caller(service):
    client, _db = service
    ok = await client.get("/things/7", headers=internal_headers("warehouse", "SC-01"))
    assert ok.json() == {"id": 7, "role": "warehouse", "warehouses": ["SC-01"]}
    forged = {**internal_headers("warehouse", "SC-01"), "x-caller-role": "admin"}
    assert_problem(await client.get("/things/7", headers=forged), 401, "invalid_caller_signature")
    unsigned = {"X-Internal-Token": TOKEN, "X-Caller-Role": "admin"}
    assert_problem(await client.get("/things/7", headers=unsigned), 401, "invalid_caller_signature")


async def test_service_refuses_a_doubled_identity_header(service):
    client, _db = service
    headers = list(internal_headers("warehouse", "SC-01").items()) + [("X-Caller-Role", "admin")]
    assert_problem(await client.get("/things/7", headers=headers), 400, "duplicate_identity_header")


async def test_a_request_past_its_deadline_is_504_at_once_and_does_nothing(service):
    client, _db = service
    late = internal_headers(deadline_ms=str(int((time.time() - 1) * 1000)))
    started = time.monotonic()
    response = await client.get("/things/7", headers=late)
    assert_problem(response, 504, "upstream_timeout")
    assert response.headers["retry-after"] and time.monotonic() - started < 1


async def test_work_still_running_at_the_deadline_is_rolled_back_and_answered_504(service):
    client, db = service
    soon = internal_headers(deadline_ms=str(int((time.time() + 0.5) * 1000)))
    started = time.monotonic()
    response = await client.post("/slow", headers=soon)
    assert_problem(response, 504, "upstream_timeout")
    assert time.monotonic() - started < 2
    with Database.connect(db.url, schema=db.schema).transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


async def test_unit_of_work_past_its_deadline_rolls_back_instead_of_committing(database_factory):
    db = database_factory("warranty")
    database = Database.connect(db.url, schema=db.schema)
    token = deadline.start(time.time() + 30)
    try:
        with pytest.raises(deadline.DeadlineExceeded), database.transaction() as session:
            session.add(IdempotencyRecord(scope="s", key="k", fingerprint="f", state="done",
                                          created_at=context_now(), updated_at=context_now()))
            session.flush()
            deadline.reset(token)
            token = deadline.start(time.time() - 0.1)  # the budget ran out while we worked
    finally:
        deadline.reset(token)
    with database.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
    database.dispose()


@pytest.mark.parametrize("path", ["/things/0", "/things/-1", "/things/2147483648",
                                  "/things/1213118108129271352731956674560", "/things/abc", "/things/1.5"])
async def test_an_id_that_cannot_exist_is_422_never_500(service, path):
    client, _db = service
    assert_problem(await client.get(path, headers=internal_headers()), 422, "validation_error")


@pytest.mark.parametrize("segment", ["A%2Fhistory", "A%2fhistory", "A%0D%0Ax-caller-role:%20admin", "A%00B"])
async def test_a_segment_that_would_leave_its_place_is_404_problem(service, segment):
    client, _db = service
    response = await client.get(f"/units/{segment}", headers=internal_headers())
    assert_problem(response, 404, "not_found")


async def test_space_and_question_mark_stay_in_the_segment(service):
    client, _db = service
    response = await client.get("/units/AB%20CD%3F-123", headers=internal_headers())
    assert response.json() == {"serial": "AB CD?-123"}


async def test_head_answers_like_get_without_a_body(service):
    client, _db = service
    get = await client.get("/things/7", headers=internal_headers())
    head = await client.head("/things/7", headers=internal_headers())
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    assert_problem(await client.get("/nowhere", headers=internal_headers()), 404, "not_found")


async def test_a_nul_in_the_query_is_422_before_any_query_runs(service):
    client, _db = service
    response = await client.get("/units/A?project_code=%00", headers=internal_headers())
    assert_problem(response, 422, "validation_error")


async def test_a_service_calling_another_signs_and_passes_a_shorter_deadline():
    import httpx

    from shared import errors, http

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    async with httpx.MockTransport(handler) as transport:
        client = http.ServiceClient(transport, "http://inventory", "inventory", TOKEN, timeout=10.0)
        rid = context.set_request_id("trace-9")
        token = deadline.start(time.time() + 3.0)
        try:
            await client.request("GET", "/stock")
            sent_at = seen[-1]
            caller, request_id, at = identity.verify(
                [(k.lower(), v) for k, v in sent_at.headers.raw], TOKEN.encode())
            assert (caller.role, request_id) == ("system", "trace-9")
            # we wait at most 3 - 0.25 s, and the callee must be done 0.25 s before we give up
            assert time.time() < at < time.time() + 3.0 - 2 * deadline.MARGIN_SECONDS + 0.05
            deadline.reset(token)
            token = deadline.start(time.time() + 0.1)  # less than the margin left: no call at all
            with pytest.raises(errors.UpstreamTimeout):
                await client.request("GET", "/stock")
            assert len(seen) == 1
        finally:
            deadline.reset(token)
            context.reset_request_id(rid)


def test_on_postgresql_a_statement_runs_no_longer_than_the_time_left(database_factory, backend):
    if backend != "postgres":
        pytest.skip("SET LOCAL statement_timeout is PostgreSQL's")
    from sqlalchemy import text

    db = database_factory("warranty")
    database = Database.connect(db.url, schema=db.schema)
    token = deadline.start(time.time() + 0.5)
    started = time.monotonic()
    try:
        with pytest.raises(deadline.DeadlineExceeded), database.transaction() as session:
            session.execute(text("SELECT pg_sleep(3)"))
    finally:
        deadline.reset(token)
        database.dispose()
    assert time.monotonic() - started < 2
