"""The gateway: one public port in front of warranty, inventory and billing."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
import httpx
import structlog
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse

from gateway import config, openapi, reports, routes, scrape, web
from gateway.keys import Authenticator
from gateway.proxy import Gateway
from gateway.ratelimit import GuessGuard, RateLimiter
from shared import clock as clocks
from shared import errors, heap, logging, metrics
from shared import openapi as contract
from shared.db import Database
from shared.uow import UnitOfWork
from shared.upstream import Forwarder

log = structlog.get_logger("gateway")
# Swagger UI's files come from a pinned package and are served here: /docs works without internet access.
DOCS_ASSET_DIR = Path(fastapi_offline.__file__).parent / "static"
DOCS_ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css", "favicon.png": "image/png"}


def create_app(
    settings: config.GatewaySettings | None = None,
    *,
    clock: clocks.Clock | None = None,
) -> Gateway:
    settings = settings or config.load()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logging.configure("gateway", settings.log_level)
        metrics.configure("gateway")
        app.state.clock = clock or clocks.SystemClock()
        app.state.db = Database.connect(settings.database_url, schema=settings.database_schema)
        # Every database touch of the gateway goes through it (shared/uow.py): off the event loop on PostgreSQL.
        app.state.uow = UnitOfWork(app.state.db)
        app.state.authenticator = Authenticator(app.state.db, settings.admin_api_key, app.state.clock,
                                                app.state.uow)
        app.state.limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
        app.state.guard = GuessGuard(app.state.uow, app.state.clock)
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
            )
            for name, url in settings.service_urls.items()
        }
        # Every request to a service goes through one forwarder, in tests as in production.
        app.state.forwarders = {
            name: Forwarder(url, max_connections=settings.gateway_upstream_connections)
            for name, url in settings.service_urls.items()
        }
        heap.settle()
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
                  docs_url=None, openapi_url=None, generate_unique_id_function=contract.fallback_operation_id)
    errors.install(app)
    app.include_router(routes.router)
    app.include_router(scrape.router)
    app.include_router(reports.router)
    contract.install(app, [routes.router, scrape.router, reports.router], always=openapi.GATEWAY_ERRORS)

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
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="After-sales platform API",
            swagger_js_url="/docs/swagger-ui-bundle.js", swagger_css_url="/docs/swagger-ui.css",
            swagger_favicon_url="/docs/favicon.png",
            # No validator badge: it would ask a server on the internet.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/docs/{asset}", include_in_schema=False)
    async def docs_asset(asset: str) -> FileResponse:
        if asset not in DOCS_ASSETS:
            raise errors.NotFound(f"No documentation file {asset}")
        return FileResponse(DOCS_ASSET_DIR / asset, media_type=DOCS_ASSETS[asset],
                            headers={"Cache-Control": "public, max-age=86400"})

    web.install(app)
    gateway = Gateway(app, settings)
    # The routes that call a service under the public rules (/metrics, the web app's pages) use it.
    app.state.gateway = gateway
    return gateway
