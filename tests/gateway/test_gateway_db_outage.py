"""The gateway while its own database is away (gateway/keys.py): keys it has seen keep working from
its cache, a key it has not seen is 503 `database_busy` (never 401 or 500), a key revoked before the
outage stays refused, the key admin routes are 503, and when the database is back the watch
listens again, the cache starts again empty, and a revocation reaches it again.

PostgreSQL: the gateway reaches its database through a relay that is cut (db_outage.py), as when
the server is down. SQLite: the gateway's unit of work is pointed at a file that cannot be opened.
"""

import asyncio
import time
from contextlib import contextmanager

import pytest
from db_outage import Relay

from gateway.main import create_app
from shared.clock import SystemClock
from shared.db import Database

from gateway_support import ADMIN, make_key
from helpers import asgi_client, assert_problem

pytestmark = pytest.mark.anyio
UNIT = "/warranty/units/HVAC-1"


def key_header(created: dict) -> dict:
    return {"X-API-Key": created["key"]}


@pytest.fixture
def relay(gateway_settings, backend):
    if backend != "postgres":
        yield None
        return
    running = Relay.to(gateway_settings.database_url).start()
    yield running
    running.cut()


@pytest.fixture
def settings(gateway_settings, relay):
    if relay is None:
        return gateway_settings
    return gateway_settings.model_copy(update={"database_url": relay.url_for(gateway_settings.database_url)})


@contextmanager
def outage(app, relay, tmp_path):
    """The gateway's database goes away for the block, then comes back."""
    if relay is not None:
        relay.cut()
        try:
            yield
        finally:
            relay.restore()
        return
    uow = app.state.uow
    working = uow.db
    uow.db = Database.connect(f"sqlite:///{tmp_path}/no/such/directory/gateway.sqlite3")
    try:
        yield
    finally:
        uow.db.dispose()
        uow.db = working


async def test_seen_keys_keep_working_through_an_outage_and_the_rest_wait_for_it(
    settings, relay, fakes, tmp_path, backend
):
    app = create_app(settings)
    async with asgi_client(app) as gateway:
        seen = await make_key(gateway, "station")
        unseen = await make_key(gateway, "station")
        revoked = await make_key(gateway, "station")
        assert (await gateway.get(UNIT, headers=key_header(revoked))).status_code == 200
        revoking = await gateway.delete(f"/admin/api-keys/{revoked['id']}", headers={"X-API-Key": ADMIN})
        assert revoking.status_code == 204
        for _ in range(2):  # looked up, then answered from memory
            assert (await gateway.get(UNIT, headers=key_header(seen))).status_code == 200
        assert_problem(await gateway.get(UNIT, headers=key_header(revoked)), 401, "unauthorized")

        with outage(app.app, relay, tmp_path):
            for _ in range(5):
                response = await gateway.get(UNIT, headers=key_header(seen))
                assert response.status_code == 200, response.text
                assert fakes["warranty"].seen[-1].headers["x-caller-key-id"] == seen["id"]
            never_seen = await gateway.get(UNIT, headers=key_header(unseen))
            assert_problem(never_seen, 503, "database_busy")
            assert int(never_seen.headers["retry-after"]) > 0
            still_revoked = await gateway.get(UNIT, headers=key_header(revoked))
            assert still_revoked.status_code in (401, 503), still_revoked.text
            assert still_revoked.status_code != 200
            for method, path in (("GET", "/admin/api-keys"), ("POST", "/admin/api-keys")):
                answer = await gateway.request(method, path, headers={"X-API-Key": ADMIN},
                                               json={"role": "station", "name": "x"} if method == "POST" else None)
                assert_problem(answer, 503, "database_busy")
                assert answer.headers["retry-after"]
            unknown = await gateway.get(UNIT, headers={"X-API-Key": "ak_never-issued"})
            assert_problem(unknown, 503, "database_busy")  # it cannot be told from a key not yet seen

        # back: every key as the database says
        assert (await _eventually(gateway, unseen, 200)).status_code == 200
        assert (await gateway.get(UNIT, headers=key_header(seen))).status_code == 200
        assert_problem(await gateway.get(UNIT, headers=key_header(revoked)), 401, "unauthorized")
        assert (await gateway.get("/admin/api-keys", headers={"X-API-Key": ADMIN})).status_code == 200

        # and it hears revocations again (PostgreSQL: LISTEN resumed; SQLite: the file's version)
        db = Database.connect(settings.database_url, schema=settings.database_schema)
        try:
            from gateway import keys

            with db.transaction() as session:
                keys.revoke(session, key_id=seen["id"], now=SystemClock().now())
        finally:
            db.dispose()
        response = await _eventually(gateway, seen, 401)
        assert_problem(response, 401, "unauthorized")


async def _eventually(gateway, created: dict, status: int, within: float = 5.0):
    deadline = time.monotonic() + within
    while True:
        response = await gateway.get(UNIT, headers=key_header(created))
        if response.status_code == status or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.05)


async def test_after_an_outage_the_cache_starts_again_empty(settings, relay, fakes, tmp_path, backend):
    """Revocations made while the watch could not hear them are not served from memory afterwards."""
    if relay is None:
        pytest.skip("SQLite's watch reads the file itself; nothing is missed while the engine is away")
    app = create_app(settings)
    async with asgi_client(app) as gateway:
        created = await make_key(gateway, "station")
        assert (await gateway.get(UNIT, headers=key_header(created))).status_code == 200
        authenticator = app.app.state.authenticator
        assert authenticator.cache
        relay.cut()
        assert (await gateway.get(UNIT, headers=key_header(created))).status_code == 200
        assert authenticator.watch.raw is None  # it knows it is deaf
        relay.restore()
        # A revocation the watch could not have heard: written straight to the database.
        db = Database.connect(settings.database_url, schema=settings.database_schema)
        try:
            with db.transaction() as session:
                from gateway.models import ApiKey

                session.get(ApiKey, created["id"]).revoked_at = SystemClock().now()
        finally:
            db.dispose()
        response = await _eventually(gateway, created, 401)
        assert_problem(response, 401, "unauthorized")


async def test_a_process_does_not_empty_its_cache_again_at_its_own_revocation(settings, relay):
    """It forgot its keys when it revoked; the notification arriving a moment later is its own and
    is ignored (it once emptied the cache of keys looked up in between, which an outage then
    refused); a notification from elsewhere (another process, the CLI) still empties it. Another
    schema's gateway on the same server (another test worker, here) revokes on a channel of its
    own, and is not heard: PostgreSQL's channels are global to the database."""
    if relay is None:
        pytest.skip("PostgreSQL's notifications")
    from gateway.keys import ChangeWatch, changed

    db = Database.connect(settings.database_url, schema=settings.database_schema)
    watch = ChangeWatch(db.read_engine, "this-process")
    try:
        watch.connect()
        assert watch.changed() is True  # fresh: whatever happened before is unknown
        assert watch.channel == f"api_keys.{settings.database_schema}"

        def heard(notify) -> bool:
            with db.transaction() as session:
                notify(session)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if watch.changed():
                    return True
                time.sleep(0.02)
            return False

        def elsewhere(session) -> None:  # a gateway whose keys live in another schema revokes one
            other = Database.connect(settings.database_url, schema="public")
            try:
                with other.transaction() as theirs:
                    changed(theirs, "")
            finally:
                other.dispose()

        assert not heard(lambda session: changed(session, "this-process"))
        assert not heard(elsewhere)
        assert heard(lambda session: changed(session, ""))
        assert heard(lambda session: changed(session, "another-process"))
    finally:
        watch.close()
        db.dispose()
