"""The warranty service: units, terms, coverage, claims, history, policy."""

from fastapi import FastAPI

from services.warranty import policies, report_routes, routes
from services.warranty.models import AuditEntry, IdempotencyRecord
from shared import audit, hot
from shared import settings as settings_module
from shared.app import create_service_app
from shared.clock import Clock
from shared.idempotency import Idempotency
from shared.settings import Settings

IMPORT_MAX_BYTES = 100 * 1024 * 1024


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or settings_module.load("warranty")

    def on_startup(app: FastAPI) -> None:
        app.state.idempotency = Idempotency(app.state.db, IdempotencyRecord, app.state.clock)
        app.state.pinned = policies.Pinned()

    routers = [routes.router, report_routes.router, audit.router(AuditEntry, "warranty")]
    app = create_service_app(
        settings,
        title="Warranty service",
        routers=routers,
        clock=clock,
        large_body_paths={"POST /units/import": IMPORT_MAX_BYTES},  # this route exactly
        on_startup=on_startup,
    )
    hot.serve_hot(app, routers)  # the unit and its coverage, read in front of FastAPI's routing
    return app
