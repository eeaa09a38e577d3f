import asyncio
import time

import pytest

from gateway_support import ADMIN, make_key
from helpers import assert_problem

pytestmark = pytest.mark.anyio


async def test_health_needs_no_key(gateway):
    response = await gateway.get("/healthz")
    assert response.status_code == 200
    assert response.headers["x-request-id"]


async def test_missing_key_is_401_problem(gateway):
    assert_problem(await gateway.get("/warranty/units/ABC123"), 401, "unauthorized")


async def test_unknown_key_is_401(gateway):
    response = await gateway.get("/warranty/units/ABC123", headers={"X-API-Key": "nope"})
    assert_problem(response, 401, "unauthorized")


async def test_bearer_token_is_accepted(gateway, fakes):
    response = await gateway.get("/warranty/units/ABC123", headers={"Authorization": f"Bearer {ADMIN}"})
    assert response.status_code == 200
    assert fakes["warranty"].seen[-1].url.path == "/units/ABC123"


async def test_created_key_is_shown_once_and_listed_without_secret(gateway):
    created = await make_key(gateway, "station")
    assert created["key"].startswith("ak_") and created["role"] == "station"
    listing = (await gateway.get("/admin/api-keys", headers={"X-API-Key": ADMIN})).json()
    [item] = [k for k in listing["items"] if k["id"] == created["id"]]
    assert "key" not in item and item["revoked"] is False and item["name"] == "station key"
    assert created["key"] not in str(listing)


async def test_key_is_stored_hashed(gateway, gateway_settings):
    from sqlalchemy import create_engine, text

    created = await make_key(gateway, "billing")
    args = {"options": f"-c search_path={gateway_settings.database_schema}"} \
        if gateway_settings.database_schema else {}
    engine = create_engine(gateway_settings.database_url, connect_args=args)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT key_hash FROM api_key")).scalars().all()
    engine.dispose()
    assert created["key"] not in stored and len(stored[0]) == 64


async def test_revoked_key_stops_at_once(gateway):
    created = await make_key(gateway, "station")
    headers = {"X-API-Key": created["key"]}
    assert (await gateway.get("/warranty/units/ABC123", headers=headers)).status_code == 200
    revoke = await gateway.delete(f"/admin/api-keys/{created['id']}", headers={"X-API-Key": ADMIN})
    assert revoke.status_code == 204
    assert_problem(await gateway.get("/warranty/units/ABC123", headers=headers), 401, "unauthorized")
    listing = (await gateway.get("/admin/api-keys", headers={"X-API-Key": ADMIN})).json()
    assert [k["revoked"] for k in listing["items"] if k["id"] == created["id"]] == [True]


async def test_revoking_unknown_key_is_404(gateway):
    response = await gateway.delete("/admin/api-keys/nope", headers={"X-API-Key": ADMIN})
    assert_problem(response, 404, "api_key_not_found")


@pytest.mark.parametrize(
    ("role", "method", "path", "allowed"),
    [
        ("station", "GET", "/warranty/units/ABC123", True),
        ("station", "POST", "/warranty/claims", True),
        ("station", "POST", "/warranty/units/ABC123/service-records", True),
        ("station", "POST", "/warranty/units", False),
        ("station", "PUT", "/warranty/policy", False),
        ("station", "GET", "/inventory/stock", True),
        ("station", "POST", "/inventory/reservations", False),
        ("station", "GET", "/billing/invoices", False),
        ("station", "GET", "/admin/api-keys", False),
        ("warehouse", "GET", "/warranty/units/ABC123", True),
        ("warehouse", "POST", "/warranty/claims", False),
        ("warehouse", "POST", "/inventory/reservations", True),
        ("warehouse", "POST", "/inventory/receipts", True),
        ("warehouse", "POST", "/inventory/parts", False),
        ("warehouse", "PUT", "/inventory/models/M1/parts", False),
        ("warehouse", "GET", "/billing/invoices", False),
        ("billing", "GET", "/warranty/units/ABC123", True),
        ("billing", "GET", "/inventory/reservations/1", True),
        ("billing", "POST", "/inventory/reservations", False),
        ("billing", "POST", "/billing/repairs", True),
        ("billing", "PUT", "/billing/rates", True),
        ("billing", "POST", "/warranty/claims", False),
        ("admin", "POST", "/warranty/units", True),
        ("admin", "DELETE", "/inventory/anything", True),
        ("desk", "POST", "/servicedesk/tickets", True),
        ("desk", "POST", "/servicedesk/tickets/1/loaner", True),
        ("desk", "POST", "/servicedesk/complaints", True),
        ("desk", "GET", "/warranty/units/ABC123", True),
        ("desk", "GET", "/inventory/stock", True),
        ("desk", "POST", "/inventory/reservations", False),
        ("desk", "POST", "/warranty/claims", False),
        ("desk", "PUT", "/servicedesk/commitments", False),
        ("desk", "PUT", "/servicedesk/calendar/2027", False),
        ("desk", "GET", "/servicedesk/calendar/2027", True),
        ("station", "GET", "/servicedesk/tickets", True),
        ("station", "POST", "/servicedesk/tickets/1/arrive", True),
        ("station", "POST", "/servicedesk/tickets/1/pause", True),
        ("station", "POST", "/servicedesk/tickets/1/resume", True),
        ("station", "POST", "/servicedesk/tickets/1/resolve", True),
        ("station", "POST", "/servicedesk/tickets/1/dispatch", False),
        ("station", "POST", "/servicedesk/tickets", False),
        ("station", "GET", "/servicedesk/complaints", False),
        ("billing", "GET", "/servicedesk/tickets", False),
        ("admin", "PUT", "/servicedesk/calendar/2027", True),
    ],
)
async def test_roles_follow_the_rules_table(gateway, role, method, path, allowed):
    key = ADMIN if role == "admin" else (await make_key(gateway, role))["key"]
    response = await gateway.request(method, path, headers={"X-API-Key": key}, json={})
    if allowed:
        assert response.status_code in (200, 201), response.text
    else:
        assert_problem(response, 403, "forbidden")


async def test_caller_travels_to_service_with_internal_token(gateway, fakes):
    created = await make_key(gateway, "warehouse", warehouses=["cw-01", "SC-02"])
    await gateway.post("/inventory/receipts", headers={"X-API-Key": created["key"]}, json={"a": 1})
    sent = fakes["inventory"].seen[-1]
    assert sent.headers["x-internal-token"] == "test-internal-token"
    assert sent.headers["x-caller-role"] == "warehouse"
    assert sent.headers["x-caller-key-id"] == created["id"]
    assert sent.headers["x-caller-warehouses"] == "CW-01,SC-02"


async def test_client_cannot_forge_caller_headers(gateway, fakes):
    created = await make_key(gateway, "warehouse", warehouses=["CW-01"])
    forged = {"X-API-Key": created["key"], "X-Caller-Role": "admin", "X-Internal-Token": "guess",
              "X-Caller-Warehouses": ""}
    await gateway.post("/inventory/receipts", headers=forged, json={})
    sent = fakes["inventory"].seen[-1]
    assert sent.headers["x-caller-role"] == "warehouse"
    assert sent.headers["x-caller-warehouses"] == "CW-01"
    assert sent.headers["x-internal-token"] == "test-internal-token"


async def test_admin_key_body_is_validated(gateway):
    response = await gateway.post("/admin/api-keys", headers={"X-API-Key": ADMIN},
                                  json={"role": "root", "name": "x", "extra": 1})
    body = assert_problem(response, 422, "validation_error")
    assert {e["field"] for e in body["errors"]} == {"role", "extra"}


def _authenticators(gateway_settings, n: int):
    from gateway.keys import Authenticator
    from shared.clock import SystemClock
    from shared.db import Database

    dbs = [Database.connect(gateway_settings.database_url, schema=gateway_settings.database_schema)
           for _ in range(n)]
    return dbs, [Authenticator(db, ADMIN, SystemClock()) for db in dbs]


def _counting(lookup, seen: list):
    async def counted(digest):
        seen.append(digest)
        return await lookup(digest)
    return counted


async def _until_refused(authenticator, key: str, *, within: float) -> None:
    deadline = time.monotonic() + within
    while await authenticator.authenticate(key) is not None:
        assert time.monotonic() < deadline, f"the revoked key was still accepted after {within} s"
        await asyncio.sleep(0.001)


async def test_revocation_on_one_process_is_refused_at_once_by_another_that_cached_the_key(
    gateway, gateway_settings, backend
):
    """Two gateway processes share a database: each caches the key; one revokes; the other refuses it
    on its next request (SQLite), or as soon as the notification reaches it (PostgreSQL: milliseconds)."""
    from gateway import keys
    from shared.clock import SystemClock

    created = await make_key(gateway, "station")
    dbs, (first, second) = _authenticators(gateway_settings, 2)
    try:
        assert (await first.authenticate(created["key"])).key_id == created["id"]
        assert (await second.authenticate(created["key"])).key_id == created["id"]
        # its own last-used write (once a minute) is a change on SQLite: one more lookup, then none
        assert (await second.authenticate(created["key"])).key_id == created["id"]
        assert second.cache, "the key is kept in memory: no lookup on the next request"
        lookups = []
        original = second._lookup
        second._lookup = _counting(original, lookups)
        for _ in range(20):
            assert (await second.authenticate(created["key"])).role == "station"
        assert lookups == []
        with dbs[0].transaction() as session:
            keys.revoke(session, key_id=created["id"], now=SystemClock().now())
        if backend == "postgres":
            # NOTIFY reaches a listener's socket a moment after the revoking COMMIT returns (its
            # backend sends it on its own); a client's next request is a network round trip later.
            await _until_refused(second, created["key"], within=2.0)
            await _until_refused(first, created["key"], within=2.0)
        assert await second.authenticate(created["key"]) is None
        assert await first.authenticate(created["key"]) is None
    finally:
        for authenticator, db in zip((first, second), dbs, strict=True):
            authenticator.close()
            db.dispose()


async def test_without_its_watch_the_cache_is_not_used(gateway, gateway_settings):
    created = await make_key(gateway, "station")
    dbs, (authenticator,) = _authenticators(gateway_settings, 1)
    try:
        assert await authenticator.authenticate(created["key"]) is not None
        authenticator.watch.close()
        authenticator.watch.next_attempt = float("inf")  # and it cannot come back
        lookups = []
        original = authenticator._lookup
        authenticator._lookup = _counting(original, lookups)
        assert await authenticator.authenticate(created["key"]) is not None
        assert await authenticator.authenticate(created["key"]) is not None
        assert len(lookups) == 2
    finally:
        authenticator.close()
        dbs[0].dispose()


async def test_a_revocation_waiting_on_a_row_lock_leaves_the_event_loop_free(gateway, gateway_settings, backend):
    """PostgreSQL: the key admin routes run their transaction off the event loop (shared/uow.py),
    so while a revocation waits on a lock another connection holds, the gateway still answers."""
    if backend != "postgres":
        pytest.skip("SQLite runs the unit of work on the event loop (microseconds, no network)")
    import threading

    from sqlalchemy import text

    from shared.db import Database

    created = await make_key(gateway, "station")
    other = Database.connect(gateway_settings.database_url, schema=gateway_settings.database_schema)
    locked, release = threading.Event(), threading.Event()

    def hold_the_row() -> None:  # another client: holds the key's row until told, 4 s at most
        with other.write_engine.connect() as conn:
            conn.execute(text("SELECT id FROM api_key WHERE id = :id FOR UPDATE"), {"id": created["id"]})
            locked.set()
            release.wait(4.0)
            conn.commit()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert await asyncio.to_thread(locked.wait, 5.0)
        revoke = asyncio.create_task(gateway.delete(f"/admin/api-keys/{created['id']}", headers={"X-API-Key": ADMIN}))
        await asyncio.sleep(0.3)  # the revocation has reached its UPDATE and waits on the lock
        started = time.monotonic()
        health = await gateway.get("/healthz")
        assert health.status_code == 200
        assert time.monotonic() - started < 2.0, "/healthz waited for the revocation's lock"
        assert not revoke.done(), "the revocation waits on the lock meanwhile"
        release.set()
        response = await asyncio.wait_for(revoke, timeout=10.0)
        assert response.status_code == 204
        refused = await gateway.get("/warranty/units/ABC123", headers={"X-API-Key": created["key"]})
        assert_problem(refused, 401, "unauthorized")
    finally:
        release.set()
        await asyncio.to_thread(holder.join, 10.0)
        other.dispose()
