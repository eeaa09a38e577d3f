"""A reservation and its consume served hot (shared/operations.py `HotWrite`: `hot=True` on an idempotent
write) answer exactly what FastAPI's route of the same declaration answers: status, headers and body
(the reservation's id apart: both write to the same database), errors included. A request whose body, path
and key pass FastAPI's fields goes straight to the operation's call (on PostgreSQL without a key, the
native statement); everything else is handed to FastAPI's route with its body. The reservation's read
(`GET /reservations/{id}`, a HotRoute on one Core statement) is compared the same way, for every kind of
id and for consumed and expired reservations."""

import pytest

from services.inventory.main import create_app
from shared.hot import HotRoute, HotWrite

from helpers import answered_alike, asgi_client, internal_headers, reaching_fastapi, without_hot_routes
from inventory_support import make_catalog, person

pytestmark = pytest.mark.anyio

RID = "req-hot-reservation"
LINE = {"part_number": "P-100", "qty": 1}
GOOD = {"warehouse": "SC-01", "reference": "RO-1", "lines": [LINE]}
JSON = {"content-type": "application/json"}
# (name, body bytes or JSON, extra headers, the status both give)
REQUESTS = [
    ("one line", GOOD, {}, 201),
    ("two lines", {**GOOD, "lines": [LINE, {"part_number": "P-200", "qty": 2}]}, {}, 201),
    ("a time to live", {**GOOD, "ttl_seconds": 3600}, {}, 201),
    ("json with a charset", GOOD, {"content-type": "application/json; charset=utf-8"}, 201),
    ("json in capitals", GOOD, {"content-type": "Application/JSON"}, 201),
    ("a json subtype", GOOD, {"content-type": "application/merge-patch+json"}, 201),
    ("a person at the warehouse", GOOD, person("SC-01"), 201),
    ("a key of the warehouse", GOOD, internal_headers(role="warehouse", warehouses="SC-01", request_id=RID), 201),
    ("a key of another warehouse", GOOD, internal_headers(role="warehouse", warehouses="CENTRAL", request_id=RID),
     403),
    ("qty 0", {**GOOD, "lines": [{"part_number": "P-100", "qty": 0}]}, {}, 422),
    ("qty negative", {**GOOD, "lines": [{"part_number": "P-100", "qty": -1}]}, {}, 422),
    ("qty a string", {**GOOD, "lines": [{"part_number": "P-100", "qty": "1"}]}, {}, 422),
    ("no reference", {"warehouse": "SC-01", "lines": [LINE]}, {}, 422),
    ("an unknown member", {**GOOD, "priority": "high"}, {}, 422),
    ("no lines", {**GOOD, "lines": []}, {}, 422),
    ("a part twice", {**GOOD, "lines": [LINE, LINE]}, {}, 422),
    ("a body that is a list", [GOOD], {}, 422),
    ("a body that is null", None, {}, 422),
    ("json cut short", b'{"warehouse": "SC-01"', JSON, 422),
    ("no body", b"", JSON, 422),
    ("not utf-8", b'{"warehouse": "\xff"}', JSON, 400),
    ("no content type", b'{"warehouse": "SC-01", "reference": "RO-1", "lines": []}', {}, 422),
    ("text", GOOD, {"content-type": "text/plain"}, 422),
    ("an unknown part", {**GOOD, "lines": [{"part_number": "P-999", "qty": 1}]}, {}, 404),
    ("an unknown warehouse", {**GOOD, "warehouse": "SC-99"}, {}, 404),
    ("more than there is", {**GOOD, "lines": [{"part_number": "P-100", "qty": 1_000_000}]}, {}, 409),
    ("a deadline passed", GOOD, internal_headers(deadline_ms="1000", request_id=RID), 504),
]


@pytest.fixture
async def both(inventory_settings, clock):
    """(hot app, hot client, plain client): the service as it runs, and the same service with FastAPI's
    route only, on one database with 1 000 of each part at SC-01."""
    hot_app = create_app(inventory_settings, clock=clock)
    plain_app = without_hot_routes(create_app(inventory_settings, clock=clock))
    async with asgi_client(hot_app, headers=internal_headers(request_id=RID)) as hot, \
            asgi_client(plain_app, headers=internal_headers(request_id=RID)) as plain:
        await make_catalog(hot_app, stock_levels={("SC-01", "P-100"): 1000, ("SC-01", "P-200"): 1000})
        yield hot_app, hot, plain


def test_the_reservation_and_its_consume_are_declared_hot_and_served_in_front_of_fastapi():
    app = create_app()
    hot = [r.path for r in app.router.routes if isinstance(r, HotWrite)]
    assert hot == ["/reservations", "/reservations/{reservation_id}/consume"]
    assert all(isinstance(r, HotWrite | HotRoute) for r in app.router.routes[:3])
    assert "/reservations" in app.openapi()["paths"]  # FastAPI's route stays, for the document and the rest


@pytest.mark.parametrize(("name", "body", "headers", "status"), REQUESTS, ids=[r[0] for r in REQUESTS])
async def test_every_reservation_request_is_answered_as_fastapis_route_answers_it(both, name, body, headers, status):
    _, hot, plain = both
    answer = await answered_alike(hot, plain, "POST", "/reservations", body, headers)
    assert answer.status_code == status, answer.text


async def test_a_key_is_handed_to_fastapis_route_and_replayed(both):
    _, hot, plain = both
    for client, key in ((hot, "hot-1"), (plain, "plain-1")):
        first = await client.post("/reservations", json=GOOD, headers={"Idempotency-Key": key})
        again = await client.post("/reservations", json=GOOD, headers={"Idempotency-Key": key})
        assert first.status_code == again.status_code == 201 and first.content == again.content


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/reservations", 200), ("PUT", "/reservations", 405), ("POST", "/reservations/", 307)])
async def test_the_neighbours_are_not_taken(both, method, path, status):
    _, hot, plain = both
    assert (await answered_alike(hot, plain, method, path, GOOD if method != "GET" else None)).status_code == status


async def test_a_valid_request_is_served_without_fastapis_route_with_a_key_or_without(both, monkeypatch):
    hot_app, hot, _ = both
    route = hot_app.router.routes[0]
    handed = reaching_fastapi(monkeypatch, route)
    made = await hot.post("/reservations", json=GOOD)
    assert made.status_code == 201 and made.headers["x-route-template"] == "/reservations"
    keyed = await hot.post("/reservations", json=GOOD, headers={"Idempotency-Key": "k-1"})
    assert keyed.status_code == 201
    assert handed == []
    assert (await hot.post("/reservations", json={**GOOD, "lines": []})).status_code == 422
    assert handed == ["/reservations"]  # FastAPI's route answers what its fields refuse
    assert (await hot.get(f"/reservations/{made.json()['id']}")).json() == made.json()


@pytest.mark.parametrize(("path", "status"), [
    ("/reservations/{id}", 200), ("/reservations/999999", 404), ("/reservations/0", 422),
    ("/reservations/-1", 422), ("/reservations/abc", 422), ("/reservations/1.5", 422),
    ("/reservations/99999999999999999999", 422), ("/reservations/{id}/", 307),
])
async def test_a_reservation_is_read_hot_as_fastapis_route_reads_it(both, path, status):
    _, hot, plain = both
    made = await hot.post("/reservations", json={**GOOD, "lines": [LINE, {"part_number": "P-200", "qty": 2}]})
    target = path.format(id=made.json()["id"])
    for method in ("HEAD", "GET"):
        answer = await answered_alike(hot, plain, method, target)
        assert answer.status_code == status, answer.text
    if status == 200:
        assert answer.headers["x-route-template"] == "/reservations/{reservation_id}"


async def test_a_consumed_and_an_expired_reservation_read_hot_as_fastapi_reads_them(both, clock):
    _, hot, plain = both
    used = (await hot.post("/reservations", json={**GOOD, "lines": [{"part_number": "P-200", "qty": 3}]})).json()
    consumed = await hot.post(f"/reservations/{used['id']}/consume", json={"lines": [
        {"part_number": "P-200", "qty": 2}]})
    assert consumed.status_code == 200, consumed.text
    lapsing = (await hot.post("/reservations", json={**GOOD, "ttl_seconds": 60})).json()
    clock.advance(seconds=61)
    for reservation in (used, lapsing):
        answer = await answered_alike(hot, plain, "GET", f"/reservations/{reservation['id']}")
        assert answer.status_code == 200
    assert (await hot.get(f"/reservations/{lapsing['id']}")).json()["status"] == "expired"
    lines = (await hot.get(f"/reservations/{used['id']}")).json()["lines"]
    assert [(line["qty"], line["consumed_qty"]) for line in lines] == [(3, 2)]


USED = {"lines": [{"part_number": "P-100", "qty": 1}]}
# (name, body bytes or JSON (NOBODY: none at all), extra headers, the status both give)
NOBODY = object()
CONSUMES = [
    ("all of it, no body", NOBODY, {}, 200),
    ("all of it, an empty object", {}, {}, 200),
    ("all of it, lines null", {"lines": None}, {}, 200),
    ("all of it, a body of null", None, {}, 200),
    ("what was used", {"lines": [{"part_number": "P-100", "qty": 1}]}, {}, 200),
    ("less than reserved", {"lines": [{"part_number": "P-200", "qty": 1}]}, {}, 200),
    ("json with a charset", USED, {"content-type": "application/json; charset=utf-8"}, 200),
    ("a json subtype", USED, {"content-type": "application/merge-patch+json"}, 200),
    ("a key", USED, {"Idempotency-Key": "consume-1"}, 200),
    ("a key of 200 characters", USED, {"Idempotency-Key": "k" * 200}, 200),
    ("a key too long", USED, {"Idempotency-Key": "k" * 300}, 422),
    ("an empty key", USED, {"Idempotency-Key": ""}, 422),
    ("more than reserved", {"lines": [{"part_number": "P-100", "qty": 5}]}, {}, 422),
    ("a part not reserved", {"lines": [{"part_number": "P-999", "qty": 1}]}, {}, 422),
    ("none of it used", {"lines": [{"part_number": "P-100", "qty": 0}]}, {}, 200),
    ("an unknown member", {"lines": None, "all": True}, {}, 422),
    ("a body that is a list", [USED], {}, 422),
    ("json cut short", b'{"lines": [', JSON, 422),
    ("not utf-8", b'{"lines": "\xff"}', JSON, 400),
    ("text", USED, {"content-type": "text/plain"}, 422),
    ("no content type", b'{"lines": null}', {}, 422),
    ("a key of another warehouse", USED,
     internal_headers(role="warehouse", warehouses="CENTRAL", request_id=RID), 403),
    ("a deadline passed", USED, internal_headers(deadline_ms="1000", request_id=RID), 504),
]


async def _reserved(client) -> int:
    made = await client.post("/reservations", json={**GOOD, "lines": [LINE, {"part_number": "P-200", "qty": 2}]})
    assert made.status_code == 201, made.text
    return made.json()["id"]


@pytest.mark.parametrize(("name", "body", "headers", "status"), CONSUMES, ids=[c[0] for c in CONSUMES])
async def test_every_consume_is_answered_as_fastapis_route_answers_it(both, name, body, headers, status):
    """Each client consumes its own reservation of the same lines: the answers differ by the id only."""
    _, hot, plain = both
    ours, theirs = await _reserved(hot), await _reserved(plain)
    path = "/reservations/{}/consume"
    if body is NOBODY:
        body = b""
    answer = await answered_alike(hot, plain, "POST", path.format(ours), body, headers,
                                  plain_path=path.format(theirs))
    assert answer.status_code == status, answer.text
    if status == 200:  # consumed, and read back so
        assert (await hot.get(f"/reservations/{ours}")).json()["status"] == "consumed"


@pytest.mark.parametrize(("path", "status"), [
    ("/reservations/999999/consume", 404), ("/reservations/0/consume", 422), ("/reservations/abc/consume", 422),
    ("/reservations/99999999999999999999/consume", 422), ("/reservations/{id}/consume/", 307),
])
async def test_a_consume_of_a_bad_path_is_answered_as_fastapi_answers_it(both, path, status):
    _, hot, plain = both
    target = path.format(id=await _reserved(hot))
    assert (await answered_alike(hot, plain, "POST", target, USED)).status_code == status


async def test_a_consume_is_served_without_fastapis_route_and_its_key_replays(both, monkeypatch):
    hot_app, hot, _ = both
    route = next(r for r in hot_app.router.routes if isinstance(r, HotWrite) and r.path.endswith("/consume"))
    handed = reaching_fastapi(monkeypatch, route)
    rid = await _reserved(hot)
    first = await hot.post(f"/reservations/{rid}/consume", json=USED, headers={"Idempotency-Key": "c-1"})
    again = await hot.post(f"/reservations/{rid}/consume", json=USED, headers={"Idempotency-Key": "c-1"})
    assert first.status_code == again.status_code == 200 and first.content == again.content
    other = await hot.post(f"/reservations/{rid}/consume", json={}, headers={"Idempotency-Key": "c-1"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert handed == []
    twice = await hot.post(f"/reservations/{rid}/consume", json=USED)
    assert twice.status_code == 409 and twice.json()["code"] == "reservation_not_active"
    assert handed == []  # the use case's own refusals are the operation's call's, not FastAPI's
    assert (await hot.post(f"/reservations/{rid}/consume", content=b"[", headers=JSON)).status_code == 422
    assert handed == [f"/reservations/{rid}/consume"]
