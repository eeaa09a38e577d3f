import asyncio

import pytest

from gateway import config
from gateway.main import create_app

from gateway_support import ADMIN
from helpers import TOKEN, asgi_client, assert_problem

pytestmark = pytest.mark.anyio
H = {"X-API-Key": ADMIN}


async def test_forwards_path_query_body_and_idempotency_key(gateway, fakes):
    response = await gateway.post("/billing/repairs?x=1&y=2", headers={**H, "Idempotency-Key": "k1"},
                                  json={"a": 1})
    assert response.status_code == 201
    assert response.json() == {"service": "billing", "path": "/repairs", "query": "x=1&y=2",
                               "method": "POST", "body": '{"a":1}'}
    assert fakes["billing"].seen[-1].headers["idempotency-key"] == "k1"
    assert response.headers["idempotent-replayed"] == "true"
    assert "x-secret-upstream" not in response.headers


async def test_request_id_round_trip(gateway, fakes):
    response = await gateway.get("/warranty/units/X", headers={**H, "X-Request-ID": "trace-123"})
    assert response.headers["x-request-id"] == "trace-123"
    assert fakes["warranty"].seen[-1].headers["x-request-id"] == "trace-123"


async def test_request_id_is_made_when_absent(gateway, fakes):
    response = await gateway.get("/warranty/units/X", headers=H)
    made = response.headers["x-request-id"]
    assert len(made) == 32 and fakes["warranty"].seen[-1].headers["x-request-id"] == made


async def test_service_slow_is_504_with_retry_after(gateway, fakes):
    fakes["billing"].mode = "slow"
    response = await gateway.get("/billing/invoices", headers=H)
    assert_problem(response, 504, "upstream_timeout")
    assert int(response.headers["retry-after"]) > 0


async def test_real_silent_service_is_504_within_the_gateway_timeout(gateway_settings):
    # A real socket that accepts and never answers: the gateway's own timeout must fire.
    async def silent(reader, writer):
        await asyncio.sleep(10)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    urls = {**gateway_settings.service_urls, "warranty": f"http://127.0.0.1:{port}"}
    settings = gateway_settings.model_copy(update={"gateway_timeout_seconds": 0.3, "service_urls": urls})
    try:
        async with asgi_client(create_app(settings)) as client:
            started = asyncio.get_running_loop().time()
            response = await client.get("/warranty/units/X", headers=H)
            elapsed = asyncio.get_running_loop().time() - started
    finally:
        server.close()
    assert_problem(response, 504, "upstream_timeout")
    assert elapsed < 2.0


async def test_real_closed_port_is_503(gateway_settings):
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    urls = {**gateway_settings.service_urls, "inventory": f"http://127.0.0.1:{port}"}
    settings = gateway_settings.model_copy(update={"service_urls": urls})
    async with asgi_client(create_app(settings)) as client:
        response = await client.get("/inventory/stock", headers=H)
    assert_problem(response, 503, "upstream_unavailable")
    assert response.headers["retry-after"]


async def test_body_over_limit_is_413(gateway, fakes):
    response = await gateway.post("/warranty/units", headers=H, content=b"x" * 2048)
    assert_problem(response, 413, "payload_too_large")
    assert fakes["warranty"].seen == []


async def test_unknown_route_is_404_problem(gateway):
    assert_problem(await gateway.get("/nowhere", headers=H), 404, "not_found")


async def test_wrong_method_on_gateway_route_is_405_problem(gateway):
    assert_problem(await gateway.put("/admin/api-keys", headers=H, json={}), 405, "method_not_allowed")


async def test_readyz_only_when_every_service_is_ready(gateway, fakes):
    assert (await gateway.get("/readyz")).status_code == 200
    fakes["billing"].mode = "ready-fail"
    response = await gateway.get("/readyz")
    body = assert_problem(response, 503, "upstream_unavailable")
    assert body["services"]["billing"] == "not_ready" and body["services"]["warranty"] == "ready"


async def test_openapi_merges_every_service_under_its_prefix(gateway):
    spec = (await gateway.get("/openapi.json")).json()
    for name in ("warranty", "inventory", "billing"):
        assert f"/{name}/things" in spec["paths"]
        ref = spec["paths"][f"/{name}/things"]["get"]["responses"]["200"]["content"]["application/json"]
        assert ref["schema"]["$ref"] == f"#/components/schemas/{name.capitalize()}Thing"
    assert "/admin/api-keys" in spec["paths"]
    assert (await gateway.get("/docs")).status_code == 200


async def test_rate_limit_gives_429_with_retry_after(gateway_settings, fakes):
    settings = gateway_settings.model_copy(update={"rate_limit_per_second": 1.0, "rate_limit_burst": 3})
    async with asgi_client(create_app(settings)) as client:
        statuses = [(await client.get("/warranty/units/X", headers=H)).status_code for _ in range(5)]
        assert statuses[:3] == [200, 200, 200]
        response = await client.get("/warranty/units/X", headers=H)
        assert_problem(response, 429, "rate_limited")
        assert int(response.headers["retry-after"]) >= 1


async def test_services_url_settings_default_to_loopback_ports():
    settings = config.load(internal_token=TOKEN)
    assert settings.service_urls["warranty"].startswith("http://127.0.0.1:")
