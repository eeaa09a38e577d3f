"""GET /metrics at the gateway: its own figures and every service's, in one Prometheus page.

The services listen on 127.0.0.1 only, so Prometheus scrapes them through
here: each answer is fetched with the internal identity, parsed, and merged
with the gateway's own family by family (one HELP/TYPE per name); a sample
without a `service` label gets the service's name, so no two samples collide.
A service that does not answer is `aftersales_service_up{service} 0` and the
rest is still served.
"""

import asyncio

import structlog
from fastapi import APIRouter, Request, Response
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from starlette.concurrency import run_in_threadpool

from shared import errors, metrics, openapi

router = APIRouter()
log = structlog.get_logger("gateway")
SCRAPE_SECONDS = 3.0


def merge(own: list[Metric], pages: dict[str, list[Metric] | None]) -> list[Metric]:
    up = GaugeMetricFamily("aftersales_service_up", "1 when the service gave its metrics to this scrape",
                           labels=["service"])
    families: dict[str, Metric] = {}

    def add(family: Metric, service: str | None) -> None:
        merged = families.setdefault(family.name, Metric(family.name, family.documentation, family.type,
                                                         family.unit))
        merged.samples.extend(
            s if service is None or "service" in s.labels else s._replace(labels={**s.labels, "service": service})
            for s in family.samples
        )

    for family in own:
        add(family, None)
    for service, page in pages.items():
        up.add_metric([service], 0 if page is None else 1)
        for family in page or []:
            add(family, service)
    return [up, *families.values()]


async def _page(request: Request, service: str) -> list[Metric] | None:
    gateway = request.app.state.gateway
    caller = request.scope.get("state", {}).get("caller")
    try:
        answer = await gateway.send_upstream(service, caller, "GET", "/metrics", [], b"", SCRAPE_SECONDS)
    except errors.ServiceError as exc:
        log.warning("metrics_scrape_failed", service=service, error=exc.detail)
        return None
    if answer.status != 200:
        log.warning("metrics_scrape_failed", service=service, status=answer.status)
        return None
    try:
        return list(text_string_to_metric_families(answer.body.decode()))
    except ValueError as exc:
        log.warning("metrics_scrape_unreadable", service=service, error=str(exc))
        return None


def _render(pages: dict[str, list[Metric] | None]) -> bytes:
    return metrics.render(merge(metrics.own_families(), pages))


METRICS_EXAMPLE = (
    "# HELP aftersales_service_up 1 when the service gave its metrics to this scrape\n"
    "# TYPE aftersales_service_up gauge\n"
    'aftersales_service_up{service="warranty"} 1.0\n'
)


@openapi.operation(
    "getMetrics", "Prometheus metrics of the gateway and every service, in one page",
    description="For a key of role `metrics` or `admin`. A service that does not answer the scrape is "
                "`aftersales_service_up{service} 0` and the rest is still served.",
)
@router.get(
    "/metrics", tags=["metrics"], response_class=Response,
    responses={200: {"description": "Prometheus text exposition format",
                     "content": {"text/plain": {"schema": {"type": "string"}, "example": METRICS_EXAMPLE}}}},
)
async def prometheus_metrics(request: Request) -> Response:
    services = list(request.app.state.forwarders)
    pages = dict(zip(services, await asyncio.gather(*(_page(request, s) for s in services)), strict=True))
    return Response(await run_in_threadpool(_render, pages), media_type=metrics.CONTENT_TYPE)
