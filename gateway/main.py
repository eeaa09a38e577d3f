"""The gateway: one public port in front of warranty, inventory and billing."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import structlog
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse

from gateway import config, openapi, routes
from gateway.keys import Authenticator
from gateway.proxy import Gateway
from gateway.ratelimit import RateLimiter
from gateway.upstream import HttpxUpstream, UpstreamPool
from shared import clock as clocks
from shared import errors, logging
from shared.db import Database

log = structlog.get_logger("gateway")


def create_app(
    settings: config.GatewaySettings | None = None,
    *,
    clock: clocks.Clock | None = None,
    transports: dict[str, httpx.AsyncBaseTransport] | None = None,
) -> Gateway:
    settings = settings or config.load()
    transports = transports or {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logging.configure("gateway", settings.log_level)
        app.state.clock = clock or clocks.SystemClock()
        app.state.db = Database.connect(settings.database_url, schema=settings.database_schema)
        app.state.authenticator = Authenticator(app.state.db, settings.admin_api_key, app.state.clock)
        app.state.limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
        app.state.merged_openapi = None
        limits = httpx.Limits(
            max_connections=settings.gateway_upstream_connections,
            max_keepalive_connections=settings.gateway_upstream_connections,
            # Below uvicorn's 5 s keep-alive, so a pooled connection is never one the service closed.
            keepalive_expiry=2.0,
        )
        app.state.upstreams = {
            name: httpx.AsyncClient(
                base_url=url,
                limits=limits,
                timeout=httpx.Timeout(settings.gateway_timeout_seconds, connect=2.0),
                transport=transports.get(name),
            )
            for name, url in settings.service_urls.items()
        }
        # The hot path uses our keep-alive pool; injected test transports go through httpx.
        app.state.forwarders = {
            name: HttpxUpstream(app.state.upstreams[name]) if name in transports
            else UpstreamPool(url, max_connections=settings.gateway_upstream_connections)
            for name, url in settings.service_urls.items()
        }
        try:
            yield
        finally:
            for forwarder in app.state.forwarders.values():
                await forwarder.close()
            for client in app.state.upstreams.values():
                await client.aclose()
            app.state.authenticator.close()
            app.state.db.dispose()

    app = FastAPI(title="After-sales platform API", version="1.0.0", lifespan=lifespan,
                  docs_url=None, openapi_url=None)
    errors.install(app)
    app.include_router(routes.router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        async def probe(client: httpx.AsyncClient) -> str:
            try:
                response = await client.get("/readyz", timeout=2.0)
            except httpx.HTTPError:
                return "unavailable"
            return "ready" if response.status_code == 200 else "not_ready"

        names = list(app.state.upstreams)
        states = await asyncio.gather(*(probe(app.state.upstreams[n]) for n in names))
        services = dict(zip(names, states, strict=True))
        ready = all(s == "ready" for s in states)
        body = {"status": "ready" if ready else "not_ready", "services": services}
        if ready:
            return JSONResponse(body)
        return errors.problem(503, "upstream_unavailable", "Not every service is ready", services=services)

    @app.get("/openapi.json", include_in_schema=False)
    async def merged_openapi() -> JSONResponse:
        if app.state.merged_openapi is None:
            try:
                specs = await openapi.fetch_all(app.state.upstreams)
            except (httpx.HTTPError, ValueError) as exc:
                raise errors.UpstreamUnavailable("A service did not give its contract") from exc
            app.state.merged_openapi = openapi.merge(app.openapi(), specs)
        return JSONResponse(app.state.merged_openapi)

    @app.get("/docs", include_in_schema=False)
    async def docs():
        return get_swagger_ui_html(openapi_url="/openapi.json", title="After-sales platform API")

    return Gateway(app, settings)
