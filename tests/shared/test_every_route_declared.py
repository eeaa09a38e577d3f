"""Every service route is an operation declared once: through the adapter (shared/operations.py), or, for
the few that call another service between their transactions or answer a file, by hand with
`@openapi.operation`. A new route cannot slip past both."""

import importlib
from pathlib import Path

from fastapi.routing import APIRoute

from shared.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
# The routes written by hand, and why: each calls another service before or after its transaction, runs
# several units, or answers a file.
HAND_WRITTEN = {
    ("warranty", "POST", "/units/import"),  # raw CSV or JSON body, chunks of units, in a worker thread
    ("billing", "POST", "/contracts"),  # asks warranty for the serials first
    ("billing", "GET", "/contracts/{contract_id}/visits"),  # asks warranty for the region's calendar
    ("billing", "POST", "/repairs"),  # the saga: warranty, inventory, then the invoice
    ("billing", "GET", "/invoices/{number}.pdf"),  # a PDF, with the unit from warranty
    ("servicedesk", "POST", "/tickets"),  # asks warranty for the unit first
    ("servicedesk", "PATCH", "/tickets/{ticket_id}"),  # the same, when the serial changes
    ("servicedesk", "POST", "/tickets/{ticket_id}/loaner"),  # reserves at inventory
    ("servicedesk", "GET", "/tickets/{ticket_id}/stations"),  # asks warranty and inventory
    ("servicedesk", "POST", "/visits/plan"),  # plans from warranty's and billing's answers
    ("servicedesk", "GET", "/visits"),  # plans first, from warranty
    ("servicedesk", "POST", "/visits/{visit_id}/record"),  # may open a ticket and reserve parts
    ("servicedesk", "GET", "/visits/{visit_id}/report.pdf"),  # a PDF
}


def service_routes():
    for service in SERVICES:
        for path in sorted((ROOT / "services" / service).glob("*routes.py")):
            for route in importlib.import_module(f"services.{service}.{path.stem}").router.routes:
                if isinstance(route, APIRoute):
                    yield service, route


def test_every_route_is_declared_once_and_only_the_listed_ones_by_hand():
    by_hand = set()
    routes = list(service_routes())
    assert len(routes) > 80
    for service, route in routes:
        method = sorted(route.methods)[0]
        assert getattr(route.endpoint, "__openapi__", None) is not None, (service, method, route.path)
        if not route.endpoint.__code__.co_filename.endswith("shared/operations.py"):
            by_hand.add((service, method, route.path))
    assert by_hand == HAND_WRITTEN
