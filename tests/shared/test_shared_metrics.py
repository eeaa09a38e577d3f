"""shared.metrics: requests by route template (never the raw path), after-commit counters, dead workers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import APIRouter
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from shared import metrics, settings
from shared.app import create_service_app

from helpers import TOKEN, asgi_client, assert_problem, internal_headers

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]


def count(route: str, status: str, method: str = "GET") -> float:
    return REGISTRY.get_sample_value(
        "aftersales_http_requests_total",
        {"service": "metricsdemo", "method": method, "route": route, "status": status},
    ) or 0.0


@pytest.fixture
async def service(database_factory):
    db = database_factory("warranty")
    router = APIRouter()

    @router.get("/things/{thing_id}")
    async def get_thing(thing_id: int):
        return {"id": thing_id}

    app = create_service_app(
        settings.load("warranty", database_url=db.url, database_schema=db.schema, internal_token=TOKEN,
                      service="metricsdemo", service_urls={}),
        title="demo", routers=[router],
    )
    async with asgi_client(app, headers=internal_headers()) as client:
        yield client


async def test_requests_are_counted_by_route_template_and_status(service):
    ok, bad, unmatched = count("/things/{thing_id}", "200"), count("/things/{thing_id}", "422"), \
        count("unmatched", "404")
    for path in ("/things/1", "/things/2", "/things/3", "/things/x", "/no/such/path"):
        response = await service.get(path)
    assert response.status_code == 404
    assert count("/things/{thing_id}", "200") - ok == 3
    assert count("/things/{thing_id}", "422") - bad == 1
    assert count("unmatched", "404") - unmatched == 1
    assert REGISTRY.get_sample_value("aftersales_http_request_duration_seconds_count",
                                     {"service": "metricsdemo", "method": "GET", "route": "/things/{thing_id}"}) >= 4
    assert not [s for f in REGISTRY.collect() for s in f.samples if s.labels.get("route", "").startswith("/things/1")]


async def test_the_service_tells_the_gateway_its_route_template(service):
    response = await service.get("/things/7")
    assert response.headers["x-route-template"] == "/things/{thing_id}"


async def test_a_head_is_labelled_with_the_route_its_get_matched(service):
    """HEAD is answered as GET without its body (shared/middleware.head_as_get): the route that GET matched
    names the HEAD too, in its counters and in the header the gateway labels its own with."""
    before = count("/things/{thing_id}", "200", method="HEAD")
    response = await service.head("/things/7")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["x-route-template"] == "/things/{thing_id}"
    assert count("/things/{thing_id}", "200", method="HEAD") == before + 1


async def test_service_metrics_are_for_internal_callers_only(service):
    response = await service.get("/metrics")
    assert response.status_code == 200
    names = {f.name for f in text_string_to_metric_families(response.text)}
    assert {"aftersales_http_requests", "aftersales_http_request_duration_seconds"} <= names
    assert_problem(await service.get("/metrics", headers={"X-Internal-Token": "wrong"}), 401,
                   "internal_token_required")


def test_a_counter_after_commit_counts_commits_only():
    engine = create_engine("sqlite://")
    before = REGISTRY.get_sample_value("aftersales_warranty_claims_total", {"decision": "approved"}) or 0.0
    rejected = REGISTRY.get_sample_value("aftersales_warranty_claims_total", {"decision": "rejected"}) or 0.0
    with Session(engine) as session:
        session.execute(text("SELECT 1"))  # as an effect's statements begin its transaction
        metrics.after_commit(session, metrics.CLAIMS.labels(decision="approved"))
        session.rollback()
        session.commit()  # what was rolled back is not counted by a later commit
    with Session(engine) as session:
        metrics.after_commit(session, metrics.CLAIMS.labels(decision="approved"))
        metrics.after_commit(session, metrics.CLAIMS.labels(decision="rejected"))
        session.commit()
        session.commit()  # counted once, not per later commit
    with Session(engine) as session:
        session.commit()  # another session's commit counts nothing of its own
    after = REGISTRY.get_sample_value("aftersales_warranty_claims_total", {"decision": "approved"})
    assert after - before == 1
    assert REGISTRY.get_sample_value("aftersales_warranty_claims_total", {"decision": "rejected"}) - rejected == 1


WORKER = """
import sys
from shared import metrics
metrics.configure("demo")
for _ in range(int(sys.argv[1])):
    metrics.RESERVATIONS.labels(outcome="made").inc()
"""


def test_figures_of_several_processes_add_up_and_dead_workers_are_not_live(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    for n in (3, 4):
        subprocess.run([sys.executable, "-c", WORKER, str(n)], env=env, check=True, cwd=ROOT)
    reader = "from shared import metrics; print(metrics.exposition().decode())"
    text = subprocess.run([sys.executable, "-c", reader], env=env, check=True, capture_output=True,
                          cwd=ROOT).stdout.decode()
    found = {(s.name, tuple(sorted(s.labels.items()))): s.value
             for f in text_string_to_metric_families(text) for s in f.samples}
    assert found[("aftersales_inventory_reservations_total", (("outcome", "made"),))] == 7
    # Both writers have exited: the live gauge of workers counts neither.
    assert found.get(("aftersales_worker_processes", (("service", "demo"),)), 0) == 0
    assert not list(tmp_path.glob("gauge_live*"))


def test_the_service_desk_hook_publishes_tickets_by_milestone_state_at_each_scrape():
    counts = {("dispatch", "met"): 4, ("on_site", "at_risk"): 1}
    metrics.tickets_by_milestone_state(lambda: counts)
    try:
        first = metrics.exposition().decode()
        counts[("on_site", "breached")] = 2
        second = metrics.exposition().decode()
    finally:
        metrics._scrape_sources.pop()
    found = {(s.name, tuple(sorted(s.labels.items()))): s.value
             for f in text_string_to_metric_families(second) for s in f.samples}
    assert found[("aftersales_servicedesk_tickets", (("milestone", "dispatch"), ("state", "met")))] == 4
    assert found[("aftersales_servicedesk_tickets", (("milestone", "on_site"), ("state", "breached")))] == 2
    assert 'state="breached"' not in first
