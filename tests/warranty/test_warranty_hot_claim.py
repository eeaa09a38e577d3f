"""A claim served hot (shared/operations.py `HotWrite`: `hot=True` on the idempotent `POST /claims`) answers
exactly what FastAPI's route of the same declaration answers: status, headers and body (the claim's id apart:
both write to the same database), errors included. A request whose body and key pass FastAPI's fields goes
straight to the operation's call; everything else is handed to FastAPI's route with its body."""

import pytest

from services.warranty.main import create_app
from shared import context, identity
from shared.hot import HotWrite

from helpers import TOKEN, answered_alike, asgi_client, internal_headers, reaching_fastapi, without_hot_routes
from warranty_support import certificate, unit_body

pytestmark = pytest.mark.anyio

RID = "req-hot-claim"
GOOD = {"serial_number": "HVAC-000001", "failed_on": "2025-07-01", "component": "cooling_system",
        "causes": ["quality_defect"], "certificate": certificate(), "description": "Compressor stops"}
JSON = {"content-type": "application/json"}


def _station(station: str) -> dict:
    caller = context.Caller(role="station", key_id="user:21", kind="user", name="孙师傅", station=station)
    return {k.decode(): v.decode() for k, v in identity.headers(TOKEN, caller, request_id=RID)}


# (name, body bytes or JSON, extra headers, the status both give)
REQUESTS = [
    ("approved", GOOD, {}, 201),
    ("no description", {k: v for k, v in GOOD.items() if k != "description"}, {}, 201),
    ("no certificate", {**GOOD, "certificate": None}, {}, 201),
    ("an exclusion", {**GOOD, "causes": ["improper_use"]}, {}, 201),
    ("no causes", {**GOOD, "causes": []}, {}, 201),
    ("after the term", {**GOOD, "failed_on": "2031-07-01"}, {}, 201),
    ("a certificate of another unit", {**GOOD, "certificate": certificate(serial="HVAC-000002")}, {}, 201),
    ("the serial in small letters", {**GOOD, "serial_number": " hvac-000001 "}, {}, 201),
    ("json with a charset", GOOD, {"content-type": "application/json; charset=utf-8"}, 201),
    ("a json subtype", GOOD, {"content-type": "application/merge-patch+json"}, 201),
    ("a key", GOOD, {"Idempotency-Key": "claim-1"}, 201),
    ("a key too long", GOOD, {"Idempotency-Key": "k" * 300}, 422),
    ("a station's person", GOOD, _station("ST-JINAN-07"), 201),
    ("an unknown unit", {**GOOD, "serial_number": "HVAC-999999"}, {}, 404),
    ("an unknown cause", {**GOOD, "causes": ["lightning"]}, {}, 422),
    ("an unknown component", {**GOOD, "component": "roof"}, {}, 422),
    ("a date that is not one", {**GOOD, "failed_on": "2025-02-30"}, {}, 422),
    ("no certificate member", {k: v for k, v in GOOD.items() if k != "certificate"}, {}, 422),
    ("an unknown member", {**GOOD, "priority": "high"}, {}, 422),
    ("a description too long", {**GOOD, "description": "x" * 100_000}, {}, 422),
    ("a body that is a list", [GOOD], {}, 422),
    ("a body that is null", None, {}, 422),
    ("no body", b"", JSON, 422),
    ("json cut short", b'{"serial_number": "HVAC', JSON, 422),
    ("not utf-8", b'{"serial_number": "\xff"}', JSON, 400),
    ("no content type", b'{"serial_number": "HVAC-000001"}', {}, 422),
    ("text", GOOD, {"content-type": "text/plain"}, 422),
    ("a deadline passed", GOOD, internal_headers(deadline_ms="1000", request_id=RID), 504),
]


@pytest.fixture
async def both(warranty_settings, clock):
    """(hot app, hot client, plain client): the service as it runs, and the same service with FastAPI's
    routes only, on one database with one unit."""
    hot_app = create_app(warranty_settings, clock=clock)
    plain_app = without_hot_routes(create_app(warranty_settings, clock=clock))
    async with asgi_client(hot_app, headers=internal_headers(request_id=RID)) as hot, \
            asgi_client(plain_app, headers=internal_headers(request_id=RID)) as plain:
        assert (await hot.post("/units", json=unit_body(accepted_on="2024-03-01"))).status_code == 201
        yield hot_app, hot, plain


def test_the_claim_is_declared_hot_and_served_in_front_of_fastapi():
    app = create_app()
    assert [r.path for r in app.router.routes if isinstance(r, HotWrite)] == ["/claims"]
    assert "/claims" in app.openapi()["paths"]  # FastAPI's route stays, for the document and the rest


@pytest.mark.parametrize(("name", "body", "headers", "status"), REQUESTS, ids=[r[0] for r in REQUESTS])
async def test_every_claim_is_answered_as_fastapis_route_answers_it(both, name, body, headers, status):
    _, hot, plain = both
    keyed = "Idempotency-Key" in headers  # each its own key: the plain one's would replay the hot one's
    theirs = {**headers, "Idempotency-Key": headers["Idempotency-Key"][:-1] + "p"} if keyed else None
    answer = await answered_alike(hot, plain, "POST", "/claims", body, headers, plain_headers=theirs)
    assert answer.status_code == status, answer.text
    if keyed and status == 201:
        again = await hot.post("/claims", json=body, headers=headers)
        assert again.status_code == 201 and again.content == answer.content


async def test_a_claim_is_served_without_fastapis_route_and_lands_in_the_units_history(both, monkeypatch):
    hot_app, hot, _ = both
    route = next(r for r in hot_app.router.routes if isinstance(r, HotWrite))
    handed = reaching_fastapi(monkeypatch, route)
    first = await hot.post("/claims", json=GOOD, headers={"Idempotency-Key": "c-1"})
    assert first.status_code == 201 and first.headers["x-route-template"] == "/claims"
    again = await hot.post("/claims", json=GOOD, headers={"Idempotency-Key": "c-1"})
    assert again.content == first.content
    changed = await hot.post("/claims", json={**GOOD, "causes": []}, headers={"Idempotency-Key": "c-1"})
    assert changed.status_code == 422 and changed.json()["code"] == "idempotency_key_reused"
    assert (await hot.post("/claims", json={**GOOD, "serial_number": "NOPE-1"})).status_code == 404
    assert handed == []
    assert (await hot.post("/claims", json={**GOOD, "component": "roof"})).status_code == 422
    assert handed == ["/claims"]  # FastAPI's route answers what its fields refuse
    history = (await hot.get("/units/HVAC-000001/history")).json()["items"]
    assert [item["kind"] for item in history].count("claim") == 1  # the keyed one once, the refused ones none
