"""The billing app as the gateway sees it: health, contract, internal token."""

import httpx
import pytest

from services.billing.main import create_app

from helpers import asgi_client, assert_problem, internal_headers

pytestmark = pytest.mark.anyio

PATHS = {"/rates", "/rates/versions", "/contracts", "/contracts/{contract_id}",
         "/contracts/{contract_id}/visits", "/repairs", "/invoices", "/invoices/{number}",
         "/invoices/{number}/pay", "/invoices/{number}/void"}


async def test_health_readiness_and_contract_need_no_token(billing_settings):
    async with asgi_client(create_app(billing_settings)) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        assert (await client.get("/readyz")).status_code == 200
        spec = (await client.get("/openapi.json")).json()
    assert set(spec["paths"]) >= PATHS
    assert "201" in spec["paths"]["/repairs"]["post"]["responses"]


async def test_other_paths_answer_only_the_gateway(billing_settings):
    async with asgi_client(create_app(billing_settings)) as client:
        assert_problem(await client.get("/rates"), 401, "internal_token_required")


async def test_services_it_needs_are_reached_over_http_with_the_internal_token(billing_settings, clock):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.startswith("/regions/"):
            return httpx.Response(200, json={"region": "beijing", "version": 1, "effective_from": "2020-01-01",
                                             "heating": {"start": "11-15", "end": "03-15"},
                                             "cooling": {"start": "06-01", "end": "09-15"}})
        return httpx.Response(200, json={
            "serial_number": "AC-100001", "model_code": "KFR-72LW", "product_name": "Split AC",
            "site": {"name": "Site", "address": None, "region": "beijing"}, "project_code": None,
            "accepted_on": "2020-05-01", "certificate": None, "policy_version": 1, "terms": [],
            "created_at": "2020-05-01T08:00:00Z"})

    app = create_app(billing_settings, clock=clock, transports={"warranty": httpx.MockTransport(handler)})
    headers = internal_headers(request_id="trace-42", token=billing_settings.internal_token)
    async with asgi_client(app, headers=headers) as client:
        response = await client.post("/contracts", json={
            "customer": "C", "serial_numbers": ["AC-100001"], "starts_on": "2025-01-01",
            "ends_on": "2025-12-31", "includes_labor": False, "parts_discount_pct": "0"})
    assert response.status_code == 201, response.text
    assert [r.url.path for r in seen] == ["/units/AC-100001", "/regions/beijing"]
    assert all(r.headers["x-internal-token"] == billing_settings.internal_token for r in seen)
    assert all(r.headers["x-request-id"] == "trace-42" for r in seen)
