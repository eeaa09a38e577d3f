"""The service desk: fault reports, commitment clocks, dispatch, loaners, follow-up calls, complaints."""

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI

from services.servicedesk import (
    clients,
    notifications,
    organisation_routes,
    outbox,
    report_routes,
    routes,
    visit_routes,
)
from services.servicedesk.metrics import tickets_by_milestone_state
from services.servicedesk.models import AuditEntry, IdempotencyRecord
from shared import audit, metrics
from shared import settings as settings_module
from shared.app import create_service_app
from shared.clock import Clock
from shared.idempotency import Idempotency
from shared.settings import Settings

DEFAULT_OUTBOX_SECONDS = 1.0


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    transports: dict[str, httpx.AsyncBaseTransport] | None = None,
    outbox_seconds: float | None = None,
    deliver: bool = True,
) -> FastAPI:
    """`deliver=False` leaves the outbox and the station messages to the caller (tests drive
    `outbox.deliver_due` and `notifications.deliver_due` themselves). `transports["webhooks"]`, when
    given, carries the messages to stations' robots (tests)."""
    settings = settings or settings_module.load("servicedesk")
    interval = outbox_seconds or float(os.environ.get("SERVICEDESK_OUTBOX_SECONDS", DEFAULT_OUTBOX_SECONDS))
    webhook_transport = (transports or {}).get("webhooks")
    peer_transports = {k: v for k, v in (transports or {}).items() if k != "webhooks"} or None

    def on_startup(app: FastAPI) -> None:
        app.state.idempotency = Idempotency(
            app.state.db, IdempotencyRecord, app.state.clock,
            lease=timedelta(seconds=settings.idempotency_lease_seconds))

    app = create_service_app(settings, title="Service desk",
                             routers=[routes.router, organisation_routes.router, visit_routes.router,
                                      report_routes.router, audit.router(AuditEntry, "servicedesk")],
                             clock=clock, transports=peer_transports, peers=("warranty", "inventory", "billing"),
                             on_startup=on_startup)
    base_lifespan = app.router.lifespan_context
    serving = {"now": False}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with base_lifespan(app), httpx.AsyncClient(transport=webhook_transport,
                                                         follow_redirects=False) as webhook_client:
            app.state.webhook_client = webhook_client
            serving["now"] = True
            tasks = []
            if deliver:
                # Every process delivers; claims with a lease keep them from doing the same message twice.
                tasks = [
                    asyncio.create_task(outbox.run_forever(app.state.uow, clients.upstreams(app), app.state.clock,
                                                           interval)),
                    asyncio.create_task(notifications.run_forever(
                        app.state.uow, webhook_client, app.state.clock, interval,
                        allow_private=settings.webhook_allow_private)),
                ]
            try:
                yield
            finally:
                serving["now"] = False
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    app.router.lifespan_context = lifespan

    def board() -> dict[tuple[str, str], int]:
        # Read at each scrape (any worker answers /metrics): the states as of now, from the data.
        # The scrape already runs in a worker thread (shared/app.py), off the event loop: it reads in
        # a unit of work of its own there rather than hopping back to the loop to be sent off again.
        if not serving["now"]:
            return {}
        with app.state.db.transaction(write=False) as session:
            return tickets_by_milestone_state(session, app.state.clock.now())

    metrics.tickets_by_milestone_state(board)

    return app
