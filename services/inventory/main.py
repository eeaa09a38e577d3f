"""The inventory service: parts, models, warehouses, stock, reservations, supply guarantee."""

from datetime import timedelta

from fastapi import FastAPI

from services.inventory import loaner_routes, report_routes, reservation_routes, routes
from services.inventory.models import AuditEntry, IdempotencyRecord
from shared import audit, hot
from shared import settings as settings_module
from shared.app import create_service_app
from shared.clock import Clock
from shared.idempotency import Idempotency
from shared.settings import Settings


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or settings_module.load("inventory")

    def on_startup(app: FastAPI) -> None:
        app.state.idempotency = Idempotency(
            app.state.db, IdempotencyRecord, app.state.clock,
            lease=timedelta(seconds=settings.idempotency_lease_seconds),
        )

    routers = [routes.router, reservation_routes.router, loaner_routes.router, report_routes.router,
               audit.router(AuditEntry, "inventory")]
    app = create_service_app(settings, title="Inventory service", clock=clock, on_startup=on_startup, routers=routers)
    hot.serve_hot(app, routers)  # a reservation without a key on PostgreSQL, in front of FastAPI's routing

    return app
