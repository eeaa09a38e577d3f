"""Prometheus metrics of every process: requests, latency, and the business counters.

Each process records into prometheus_client's metrics; with several worker
processes (`<NAME>_WORKERS`), `PROMETHEUS_MULTIPROC_DIR` names a directory of
that service's own, which scripts/run.py empties before start: every worker
writes its figures there and `/metrics`, answered by any one worker, adds them
all up. Without the variable (tests, one process) the figures are in-process.

Requests are labelled by the route TEMPLATE (`/units/{serial}`), never the raw
path: a label per serial would grow without bound. A request that matched no
route is `unmatched`.

Hook for the service desk (not written here): `tickets_by_milestone_state`
takes a function returning {(milestone, state): count} read from its data at
scrape time, and publishes `aftersales_servicedesk_tickets{milestone, state}`;
`TICKET_MILESTONES` counts milestone outcomes as they happen (met, breached).
"""

import glob
import os
import threading
from collections.abc import Callable, Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from shared import processes

CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED = "unmatched"
# The header a service answers the gateway with: its route template, so that the
# gateway labels what it forwarded the same way (it never reaches the client).
ROUTE_HEADER = b"x-route-template"
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Values are files there, some made right below: a missing directory would fail the import.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _requests_and_latency(count: tuple[str, str], time: tuple[str, str]) -> tuple[Counter, Histogram]:
    """A request counter and its latency histogram (name, help each), labelled alike: observe() fills both."""
    return (Counter(*count, ["service", "method", "route", "status"]),
            Histogram(*time, ["service", "method", "route"], buckets=LATENCY_BUCKETS))


REQUESTS, LATENCY = _requests_and_latency(
    ("aftersales_http_requests", "Requests a service answered, by route template and status"),
    ("aftersales_http_request_duration_seconds", "Time a service took to answer, by route template"))
GATEWAY_REQUESTS, GATEWAY_LATENCY = _requests_and_latency(
    ("aftersales_gateway_requests", "Requests at the public door, by the service and route they went to"),
    ("aftersales_gateway_request_duration_seconds", "Time the gateway took to answer, service hop included"))
WORKERS = Gauge("aftersales_worker_processes", "Worker processes serving", ["service"],
                multiprocess_mode="livesum")
CLAIMS = Counter("aftersales_warranty_claims", "Claims adjudicated, by decision", ["decision"])
RESERVATIONS = Counter("aftersales_inventory_reservations", "Reservations asked for, made or refused",
                       ["outcome"])
BILLS_ISSUED = Counter("aftersales_billing_bills_issued", "Bills issued (numbered invoices)")
TICKET_MILESTONES = Counter(
    "aftersales_servicedesk_milestones", "Ticket milestones as they are settled, by milestone and state",
    ["milestone", "state"],
)

_component = {"name": "service"}
_scrape_sources: list[Collector] = []
_children: dict[tuple, tuple] = {}


def configure(component: str) -> None:
    """Name this process's figures (`gateway` or the service) and count it as a live worker."""
    _component["name"] = component
    forget_dead_workers()
    WORKERS.labels(service=component).set(1)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def forget_dead_workers() -> None:
    """Drop the live gauges of workers that died (uvicorn replaces a dead worker with a new pid)."""
    path = multiprocess_dir()
    if path is None:
        return
    for name in glob.glob(os.path.join(path, "gauge_live*_*.db")):
        pid_text = name.rsplit("_", 1)[1].removesuffix(".db")
        if pid_text.isdigit() and not processes.alive(int(pid_text)):
            multiprocess.mark_process_dead(int(pid_text), path)


def route_of(scope) -> str:
    route = scope.get("route")
    template = getattr(route, "path", None)
    if template:
        return template
    return scope.get("state", {}).get("route_template") or UNMATCHED


def observe(scope, status: int, seconds: float) -> None:
    """One answered request (called once per request by shared.middleware.in_request_context)."""
    if scope.get("type") != "http":
        return
    component = _component["name"]
    route = route_of(scope)
    method = scope.get("method", "GET")
    if component == "gateway":
        service = scope.get("state", {}).get("route_service") or _service_of(scope.get("path", ""))
        count, latency = GATEWAY_REQUESTS, GATEWAY_LATENCY
    else:
        service, count, latency = component, REQUESTS, LATENCY
    key = (count, service, method, route, status)
    children = _children.get(key)
    if children is None:
        # labels() locks and checks on every call: the children are kept (routes and statuses are few).
        children = _children[key] = (count.labels(service, method, route, str(status)),
                                     latency.labels(service, method, route))
    children[0].inc()
    children[1].observe(seconds)


def _service_of(path: str) -> str:
    first = path.split("/", 2)[1] if path.count("/") >= 1 else ""
    return first if first in ("warranty", "inventory", "billing", "servicedesk") else "gateway"


def forwarded(scope, service: str, headers: Iterable[tuple[bytes, bytes]]) -> None:
    """At the gateway: label a forwarded request with the template the service matched."""
    state = scope.setdefault("state", {})
    state["route_service"] = service
    for name, value in headers:
        if name.lower() == ROUTE_HEADER:
            state["route_template"] = f"/{service}{value.decode('latin-1')}"
            return


def route_header(scope) -> tuple[bytes, bytes] | None:
    """At a service: the header telling the gateway which route answered."""
    route = getattr(scope.get("route"), "path", None)
    return (ROUTE_HEADER, route.encode()) if route else None


def after_commit(session, counter) -> None:
    """Count `counter` (a labelled child) once `session` commits; never for a rolled-back effect. Kept on the
    session and counted by one listener on every Session (`_counted`): a listener of the session's own costs
    SQLAlchemy an event dispatch of its own per session, a tenth of a millisecond per claim."""
    if not _listening:
        _listen()
    session.info.setdefault(_TO_COUNT, []).append(counter)


_TO_COUNT = "aftersales.count_after_commit"
_listening = False
_listen_lock = threading.Lock()


def _listen() -> None:
    global _listening
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    with _listen_lock:
        if not _listening:
            event.listen(Session, "after_commit", _counted)
            event.listen(Session, "after_soft_rollback", _dropped)
            _listening = True


def _counted(session) -> None:
    for counter in session.info.pop(_TO_COUNT, ()):
        counter.inc()


def _dropped(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the session's transaction, not a savepoint inside it
        session.info.pop(_TO_COUNT, None)


class _Gauges(Collector):
    def __init__(self, name: str, documentation: str, labels: list[str], source: Callable[[], dict]) -> None:
        self.name, self.documentation, self.labels, self.source = name, documentation, labels, source

    def collect(self):
        family = GaugeMetricFamily(self.name, self.documentation, labels=self.labels)
        for values, count in sorted(self.source().items()):
            family.add_metric([str(v) for v in values], count)
        yield family


def tickets_by_milestone_state(source: Callable[[], dict[tuple[str, str], int]]) -> None:
    """The service desk's hook: open tickets by milestone and state, read at each scrape."""
    add_scrape_source(_Gauges("aftersales_servicedesk_tickets", "Tickets by milestone and its state",
                              ["milestone", "state"], source))


def add_scrape_source(collector: Collector) -> None:
    """One source per metric name: a newer app in the same process (tests) replaces the older one's."""
    name = getattr(collector, "name", None)
    if name is not None:
        _scrape_sources[:] = [c for c in _scrape_sources if getattr(c, "name", None) != name]
    _scrape_sources.append(collector)


def _own_registry() -> CollectorRegistry:
    path = multiprocess_dir()
    if path is None and not _scrape_sources:
        return REGISTRY
    registry = CollectorRegistry()
    if path is None:
        registry.register(_Fixed(REGISTRY.collect))
    else:
        forget_dead_workers()
        multiprocess.MultiProcessCollector(registry, path=path)
    for collector in _scrape_sources:
        registry.register(collector)
    return registry


def own_families() -> list[Metric]:
    """This process's figures (every worker's added up in multiprocess mode), as metric families."""
    return list(_own_registry().collect())


def exposition() -> bytes:
    """This service's figures in the Prometheus text format, every worker's added up."""
    return generate_latest(_own_registry())


def render(families: Iterable[Metric]) -> bytes:
    """Families gathered elsewhere (the gateway's merge), in the text format."""
    registry = CollectorRegistry()
    registry.register(_Fixed(lambda: families))
    return generate_latest(registry)


class _Fixed(Collector):
    def __init__(self, families: Callable[[], Iterable[Metric]]) -> None:
        self.families = families

    def collect(self):
        return self.families()


class RouteTemplateHeader:
    """ASGI middleware of the services: tells the gateway which route template answered."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_route(message) -> None:
            if message["type"] == "http.response.start":
                found = route_header(scope)
                if found is not None:
                    message["headers"] = [*message.get("headers", []), found]
            await send(message)

        await self.app(scope, receive, send_with_route)
