"""Tickets by milestone state on the service desk's /metrics, computed at scrape time from the data."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from servicedesk_support import report, z

pytestmark = pytest.mark.anyio
GAUGE = "aftersales_servicedesk_tickets"


async def scrape(client) -> dict[tuple[str, str], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        if family.name == GAUGE:
            assert family.type == "gauge"
            for sample in family.samples:
                found[(sample.labels["milestone"], sample.labels["state"])] = sample.value
    return found


async def test_the_gauge_counts_each_promise_by_its_state_now(desk, clock, org):
    assert await scrape(desk) == {}
    # Now is 2026-11-27 10:00 CST (a Friday): a level-3 report at 09:00 is past its 30-minute dispatch,
    # a level-1 report at 09:52 has 2 of its 10 minutes left (at risk).
    late = (await desk.post("/tickets", json=report(3, reported_at=z("2026-11-27 09:00")))).json()
    await desk.post("/tickets", json=report(1, reported_at=z("2026-11-27 09:52")))
    counts = await scrape(desk)
    assert counts[("dispatch", "breached")] == 1 and counts[("dispatch", "at_risk")] == 1
    assert counts[("on_site", "pending")] == 2 and counts[("fixed", "pending")] == 2
    # The figure follows the data at the next scrape: no batch job, no counter to keep in step.
    dispatched = await desk.post(f"/tickets/{late['id']}/dispatch", json={"technician": "W", "station": "S"})
    assert dispatched.status_code == 200
    counts = await scrape(desk)
    assert counts[("dispatch", "met_late")] == 1 and counts[("dispatch", "at_risk")] == 1
    assert ("dispatch", "breached") not in counts


async def test_cancelled_tickets_leave_the_board(desk):
    made = (await desk.post("/tickets", json=report(2, reported_at=z("2026-11-27 09:55")))).json()
    assert (await scrape(desk))[("fixed", "pending")] == 1
    assert (await desk.post(f"/tickets/{made['id']}/cancel", json={"reason": "Duplicate"})).status_code == 200
    assert await scrape(desk) == {}
