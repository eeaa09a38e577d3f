"""The billing service: rate card, company, maintenance contracts, repair bills, invoices, figures."""

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from services.billing import clients, print_routes, recovery, report_routes, routes, trail
from services.billing.models import IdempotencyRecord
from shared import hot
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
    recovery_seconds: float | None = None,
    recover: bool = True,
) -> FastAPI:
    """`recover=False` leaves the recovery pass to the caller (tests run `recovery.recover_once`)."""
    settings = settings or settings_module.load("billing")
    interval = recovery_seconds or float(os.environ.get("BILLING_RECOVERY_SECONDS", recovery.DEFAULT_SECONDS))

    def on_startup(app: FastAPI) -> None:
        app.state.idempotency = Idempotency(app.state.db, IdempotencyRecord, app.state.clock)

    routers = [print_routes.router, routes.router, report_routes.router, trail.router()]  # the .pdf path first
    app = create_service_app(
        settings,
        title="Billing service",
        routers=routers,
        clock=clock,
        on_startup=on_startup,
        transports=transports,
        peers=("warranty", "inventory"),
    )
    hot.serve_hot(app, routers)  # a repair's bill, in front of FastAPI's routing
    base_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with base_lifespan(app):
            task = None
            if recover:
                # Every process runs it; the request keys' claims keep two from working on one bill.
                task = asyncio.create_task(recovery.run_forever(
                    app.state.uow, clients.upstreams(app), app.state.clock, app.state.idempotency, interval))
            try:
                yield
            finally:
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)

    app.router.lifespan_context = lifespan

    return app
