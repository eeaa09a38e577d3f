"""The billing service: rate card, maintenance contracts, repair bills, invoices."""

import httpx
from fastapi import FastAPI

from services.billing import print_routes, routes
from services.billing.models import IdempotencyRecord
from shared import settings as settings_module
from shared.app import create_service_app
from shared.clock import Clock
from shared.idempotency import Idempotency
from shared.settings import Settings


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    transports: dict[str, httpx.AsyncBaseTransport] | None = None,
) -> FastAPI:
    settings = settings or settings_module.load("billing")

    def on_startup(app: FastAPI) -> None:
        app.state.idempotency = Idempotency(app.state.db, IdempotencyRecord, app.state.clock)

    return create_service_app(
        settings,
        title="Billing service",
        routers=[print_routes.router, routes.router],  # the .pdf path first
        clock=clock,
        on_startup=on_startup,
        transports=transports,
        peers=("warranty", "inventory"),
    )
