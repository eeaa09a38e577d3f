import asyncio
import json
from dataclasses import dataclass

import httpx
import pytest

from gateway import config
from gateway.main import create_app
from shared.settings import SERVICES

from gateway_support import ADMIN, LiveServer
from helpers import TOKEN, asgi_client


@dataclass
class Seen:
    """A request as the service received it, raw path included."""

    method: str
    raw_path: str
    query: str
    headers: httpx.Headers
    content: bytes
    raw_headers: list[tuple[bytes, bytes]]

    @property
    def url(self) -> httpx.URL:
        return httpx.URL("http://service" + self.raw_path + (f"?{self.query}" if self.query else ""))


class FakeService:
    """Stands in for a service, on a real port: records what the gateway sent, answers as told."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[Seen] = []
        self.mode = "ok"  # ok | slow | down (answers as an unavailable service would) | ready-fail
        # Canned answers by path ({"/sites/ST-07": (200, {...})}); other paths answer as below.
        self.answers: dict[str, tuple[int, object]] = {}

    async def __call__(self, scope, receive, send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["path"]
        if path not in ("/readyz", "/openapi.json"):
            self.seen.append(Seen(scope["method"], scope["raw_path"].decode(), scope["query_string"].decode(),
                                  httpx.Headers([(k.decode("latin-1"), v.decode("latin-1"))
                                                 for k, v in scope["headers"]]),
                                  body, list(scope["headers"])))
        if self.mode == "slow":
            await asyncio.sleep(3)
        status, headers, answer = 200, [], None
        if self.mode == "down" and path != "/readyz":
            payload = json.dumps({"type": "about:blank", "title": "Unavailable", "status": 503,
                                  "code": "upstream_unavailable", "detail": f"{self.name} is down"}).encode()
            await send({"type": "http.response.start", "status": 503, "headers": [
                (b"content-type", b"application/problem+json"), (b"content-length", str(len(payload)).encode()),
                (b"retry-after", b"5")]})
            await send({"type": "http.response.body", "body": payload})
            return
        if path in self.answers:
            status, answer = self.answers[path]
            payload = json.dumps(answer).encode()
            kind = b"application/json" if status < 400 else b"application/problem+json"
            await send({"type": "http.response.start", "status": status, "headers": [
                (b"content-type", kind), (b"content-length", str(len(payload)).encode())]})
            await send({"type": "http.response.body", "body": payload})
            return
        if path == "/metrics":
            text = (f'# HELP fake_things_total Things\n# TYPE fake_things_total counter\n'
                    f'fake_things_total{{kind="a"}} {len(self.seen)}\n').encode()
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", b"text/plain; version=0.0.4"), (b"content-length", str(len(text)).encode())]})
            await send({"type": "http.response.body", "body": text})
            return
        if path == "/readyz":
            status, answer = (200 if self.mode != "ready-fail" else 503), {"status": self.mode}
        elif path == "/openapi.json":
            answer = {
                "openapi": "3.1.0", "info": {"title": self.name, "version": "1"},
                "paths": {"/things": {"get": {"responses": {"200": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Thing"}}}}}}}},
                "components": {"schemas": {"Thing": {"type": "object"}}},
            }
        elif path == "/audit":  # a service whose own trail is empty (reports_support.py fakes fuller ones)
            answer = {"items": [], "next_cursor": None}
        else:
            status = 201 if scope["method"] == "POST" else 200
            headers = [(b"idempotent-replayed", b"true"), (b"x-secret-upstream", b"no")]
            answer = {"service": self.name, "path": path, "query": scope["query_string"].decode(),
                      "method": scope["method"], "body": body.decode() or None}
        payload = json.dumps(answer, separators=(",", ":")).encode()
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *headers]})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else payload})


@pytest.fixture(scope="session")
def fake_servers():
    """One real server per service for the whole session; each test gets them reset."""
    fakes = {name: FakeService(name) for name in SERVICES}
    servers = {name: LiveServer(fake) for name, fake in fakes.items()}
    for server in servers.values():
        server.__enter__()
    try:
        yield fakes, servers
    finally:
        for server in servers.values():
            server.__exit__(None, None, None)


@pytest.fixture
def fakes(fake_servers):
    fakes, _servers = fake_servers
    for fake in fakes.values():
        fake.seen.clear()
        fake.mode = "ok"
        fake.answers.clear()
    return fakes


@pytest.fixture
def gateway_settings(database_factory, fake_servers):
    _fakes, servers = fake_servers
    db = database_factory("gateway")
    return config.load(
        database_url=db.url, database_schema=db.schema, admin_api_key=ADMIN, internal_token=TOKEN,
        max_body_bytes=1024, rate_limit_per_second=1000.0, rate_limit_burst=1000, gateway_timeout_seconds=1.0,
        service_urls={name: server.url for name, server in servers.items()},
    )


@pytest.fixture
async def gateway(gateway_settings, fakes):
    async with asgi_client(create_app(gateway_settings)) as client:
        yield client


@pytest.fixture(autouse=True, scope="session")
def quick_password_hashes():
    """argon2id still, at its cheapest: the production cost (64 MiB, three passes) is for attackers,
    and these tests hash hundreds of passwords."""
    from argon2 import PasswordHasher

    from gateway import passwords

    saved = passwords._hasher, passwords._DUMMY_HASH
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    passwords._DUMMY_HASH = passwords._hasher.hash("not anybody's password")
    yield
    passwords._hasher, passwords._DUMMY_HASH = saved
