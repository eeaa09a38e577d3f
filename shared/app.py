"""The app factory every service uses: state built in lifespan, errors,
middleware, health and readiness."""

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from sqlalchemy.exc import DataError, IntegrityError
from starlette.concurrency import run_in_threadpool

from shared import clock as clocks
from shared import errors, heap, http, logging, metrics, openapi
from shared.db import Database, unwritable
from shared.middleware import ServiceMiddleware
from shared.settings import Settings
from shared.uow import UnitOfWork

log = structlog.get_logger("app")
PURGE_EVERY_SECONDS = 3600


async def _purge_idempotency_keys(uow, idempotency) -> None:
    """Forget stored answers past their retention, once an hour, off the event loop."""
    while True:
        await asyncio.sleep(PURGE_EVERY_SECONDS)
        try:
            purged = await uow.call(idempotency.purge)
            log.info("idempotency_keys_purged", count=purged)
        except Exception as exc:  # a busy database now is no reason to stop purging later
            log.warning("idempotency_purge_failed", error=str(exc))


def telemetry() -> dict:
    """FastAPI's OpenTelemetry hooks, off unless FASTAPI_TELEMETRY=1: nothing here configures a
    provider, and asking OpenTelemetry for one on every request cost ~6 % of a coverage request."""
    on = os.environ.get("FASTAPI_TELEMETRY", "") == "1"
    return {"tracing": on, "metrics": on, "logs": on}


def create_service_app(
    settings: Settings,
    *,
    title: str,
    routers: Sequence[APIRouter],
    clock: clocks.Clock | None = None,
    large_body_paths: dict[str, int] | None = None,  # {"POST /units/import": bytes}: routes named exactly
    on_startup: Callable[[FastAPI], None] | None = None,
    transports: dict | None = None,
    peers: tuple[str, ...] = (),
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logging.configure(settings.service, settings.log_level)
        metrics.configure(settings.service)
        app.state.settings = settings
        app.state.clock = clock or clocks.SystemClock()
        app.state.db = Database.connect(settings.database_url, schema=settings.database_schema)
        app.state.uow = UnitOfWork(app.state.db)
        async with http.service_clients(settings, peers, transports) as clients:
            app.state.clients = clients
            if on_startup is not None:
                on_startup(app)
            idempotency = getattr(app.state, "idempotency", None)
            if idempotency is not None and not idempotency.lease_given:
                idempotency.lease = timedelta(seconds=settings.idempotency_lease_seconds)
            purging = None
            if getattr(app.state, "idempotency", None) is not None:
                purging = asyncio.create_task(_purge_idempotency_keys(app.state.uow, app.state.idempotency))
            log.info("started", database=app.state.db.dialect)
            heap.settle()
            try:
                yield
            finally:
                if purging is not None:
                    purging.cancel()
                await app.state.db.dispose_native()
                app.state.db.dispose()

    app = FastAPI(title=title, version="1.0.0", lifespan=lifespan, telemetry=telemetry(),
                  generate_unique_id_function=openapi.fallback_operation_id)
    errors.install(app)

    # The use cases check what they can first; these catch what only the database sees (a race with
    # another writer, a value it cannot store), in every service alike, without showing any SQL.
    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, _exc: IntegrityError):
        return errors.problem(409, "conflict", "The change conflicts with data written meanwhile; retry")

    @app.exception_handler(DataError)
    async def _data(_request: Request, _exc: DataError):
        return errors.problem(422, "validation_error", "A value is not one the database can store", errors=[])

    app.add_middleware(
        ServiceMiddleware,
        internal_token=settings.internal_token,
        max_body_bytes=settings.max_body_bytes,
        large_body_paths=large_body_paths,
    )
    app.add_middleware(metrics.RouteTemplateHeader)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        # Internal callers only: ServiceMiddleware asks for the internal token here as everywhere.
        return Response(await run_in_threadpool(metrics.exposition), media_type=metrics.CONTENT_TYPE)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> dict:
        # Ready means the database takes writes: a read-only or standby database is not ready.
        try:
            reason = await app.state.uow.read(unwritable)
        except Exception as exc:  # any database failure means not ready
            raise errors.DatabaseBusy("The database does not answer") from exc
        if reason is not None:
            raise errors.DatabaseBusy(f"The database cannot be written: {reason}")
        return {"status": "ready"}

    for router in routers:
        app.include_router(router)
    openapi.install(app, routers)
    return app
