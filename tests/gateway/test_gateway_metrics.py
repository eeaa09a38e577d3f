"""GET /metrics at the gateway: role `metrics` (or admin) only; its figures and every service's."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway_support import ADMIN, make_key
from helpers import assert_problem

pytestmark = pytest.mark.anyio


def samples(text: str) -> dict[tuple, float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_a_metrics_key_reads_metrics_and_nothing_else(gateway):
    key = (await make_key(gateway, "metrics"))["key"]
    assert (await make_key(gateway, "metrics"))["role"] == "metrics"
    response = await gateway.get("/metrics", headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert_problem(await gateway.get("/warranty/units/AC-1", headers={"X-API-Key": key}), 403, "forbidden")
    assert_problem(await gateway.get("/admin/api-keys", headers={"X-API-Key": key}), 403, "forbidden")
    assert_problem(await gateway.post("/metrics", headers={"X-API-Key": key}), 403, "forbidden")


async def test_other_roles_may_not_and_anonymous_is_401(gateway):
    station = (await make_key(gateway, "station"))["key"]
    assert_problem(await gateway.get("/metrics", headers={"X-API-Key": station}), 403, "forbidden")
    assert_problem(await gateway.get("/metrics"), 401, "unauthorized")
    assert (await gateway.get("/metrics", headers={"X-API-Key": ADMIN})).status_code == 200


async def test_requests_are_counted_by_service_and_route_and_the_services_figures_are_merged(gateway, fakes):
    before = samples((await gateway.get("/metrics", headers={"X-API-Key": ADMIN})).text)
    for serial in ("AC-1", "AC-2", "AC-3"):
        assert (await gateway.get(f"/warranty/units/{serial}", headers={"X-API-Key": ADMIN})).status_code == 200
    assert (await gateway.get("/warranty/units/AC-4")).status_code == 401
    after = samples((await gateway.get("/metrics", headers={"X-API-Key": ADMIN})).text)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    # The fake services send no route template: the forwarded requests are `unmatched` at the gateway.
    assert delta("aftersales_gateway_requests_total", service="warranty", method="GET", route="unmatched",
                 status="200") == 3
    assert delta("aftersales_gateway_requests_total", service="warranty", method="GET", route="unmatched",
                 status="401") == 1
    assert delta("aftersales_gateway_request_duration_seconds_count", service="warranty", method="GET",
                 route="unmatched") == 4
    # The gateway's own route is labelled by its template.
    assert value(after, "aftersales_gateway_requests_total", service="gateway", method="GET", route="/metrics",
                 status="200") >= 1
    for name in ("warranty", "inventory", "billing"):
        assert value(after, "aftersales_service_up", service=name) == 1
        assert value(after, "fake_things_total", kind="a", service=name) >= 1


async def test_each_family_is_described_once_however_many_processes_report_it(gateway):
    text = (await gateway.get("/metrics", headers={"X-API-Key": ADMIN})).text
    types = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")]
    assert sorted(t for t in set(types) if types.count(t) > 1) == []
    assert "fake_things_total" in types


async def test_a_service_that_does_not_answer_is_down_and_the_rest_is_served(gateway, fakes):
    fakes["billing"].mode = "down"
    found = samples((await gateway.get("/metrics", headers={"X-API-Key": ADMIN})).text)
    assert value(found, "aftersales_service_up", service="billing") == 0
    assert value(found, "aftersales_service_up", service="warranty") == 1
