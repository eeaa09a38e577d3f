import httpx
import pytest

from gateway import config
from gateway.main import create_app

from gateway_support import ADMIN
from helpers import TOKEN, asgi_client


class FakeService:
    """Stands in for a service: records what the gateway sent, answers as told."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[httpx.Request] = []
        self.mode = "ok"  # ok | down | slow | ready-fail

    async def handler(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if self.mode == "down":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "slow":
            raise httpx.ReadTimeout("timed out", request=request)
        if request.url.path == "/readyz":
            return httpx.Response(200 if self.mode == "ok" else 503, json={"status": self.mode})
        if request.url.path == "/openapi.json":
            return httpx.Response(200, json={
                "openapi": "3.1.0", "info": {"title": self.name, "version": "1"},
                "paths": {"/things": {"get": {"responses": {"200": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Thing"}}}}}}}},
                "components": {"schemas": {"Thing": {"type": "object"}}},
            })
        body = {
            "service": self.name, "path": request.url.path, "query": request.url.query.decode(),
            "method": request.method, "body": request.content.decode() or None,
        }
        return httpx.Response(201 if request.method == "POST" else 200, json=body,
                              headers={"Idempotent-Replayed": "true", "X-Secret-Upstream": "no"})


@pytest.fixture
def fakes():
    return {name: FakeService(name) for name in ("warranty", "inventory", "billing", "servicedesk")}


@pytest.fixture
def gateway_settings(database_factory):
    db = database_factory("gateway")
    return config.load(
        database_url=db.url, database_schema=db.schema, admin_api_key=ADMIN, internal_token=TOKEN,
        max_body_bytes=1024, rate_limit_per_second=1000.0, rate_limit_burst=1000,
    )


@pytest.fixture
async def gateway(gateway_settings, fakes):
    transports = {name: httpx.MockTransport(fake.handler) for name, fake in fakes.items()}
    app = create_app(gateway_settings, transports=transports)
    async with asgi_client(app) as client:
        yield client
