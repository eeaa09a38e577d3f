"""The inventory service: parts, models, warehouses, stock, reservations, supply guarantee."""

from datetime import timedelta

from fastapi import FastAPI, Request
from sqlalchemy.exc import DataError, IntegrityError

from services.inventory import loaner_routes, report_routes, reservation_routes, routes
from services.inventory.models import AuditEntry, IdempotencyRecord
from shared import audit, errors
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

    app = create_service_app(
        settings, title="Inventory service", clock=clock, on_startup=on_startup,
        routers=[routes.router, reservation_routes.router, loaner_routes.router, report_routes.router,
                 audit.router(AuditEntry, "inventory")],
    )

    # The use cases check what they can first; these catch what only the
    # database sees (a race with another writer), without showing any SQL.
    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, _exc: IntegrityError):
        return errors.problem(409, "conflict", "The change conflicts with data written meanwhile; retry")

    @app.exception_handler(DataError)
    async def _data(_request: Request, _exc: DataError):
        return errors.problem(422, "validation_error", "A value is not one the database can store", errors=[])

    # A database that is down, restarting, read-only or busy: 503 database_busy, in shared/errors.py.

    return app
