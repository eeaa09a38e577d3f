"""Tickets by milestone state on the gateway's aggregated /metrics, from the real service desk process."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.e2e
GAUGE = "aftersales_servicedesk_tickets"


def tickets_by_state(platform, key: str) -> dict[tuple[str, str], float]:
    response = httpx.get(platform.url + "/metrics", headers={"X-API-Key": key}, timeout=30)
    assert response.status_code == 200, response.text
    found = {}
    for family in text_string_to_metric_families(response.text):
        if family.name == GAUGE:
            assert family.type == "gauge"
            for sample in family.samples:
                found[(sample.labels["milestone"], sample.labels["state"])] = sample.value
    return found


def test_the_gateway_shows_tickets_by_milestone_state(platform):
    with platform.client() as admin:
        desk = admin.post("/admin/api-keys", json={"role": "desk", "name": "metrics desk"}).json()["key"]
        watcher = admin.post("/admin/api-keys", json={"role": "metrics", "name": "metrics"}).json()["key"]
    before = tickets_by_state(platform, watcher)
    # Level 1 is round the clock: reported 20 minutes ago, its 10-minute dispatch is breached whatever the hour.
    reported = (datetime.now(UTC) - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with platform.client(desk) as client:
        made = client.post("/servicedesk/tickets", json={
            "caller": {"name": "李娜", "phone": "0531-8888 0001"}, "site_address": "济南市历下区解放路 105 号",
            "description": "室外机停机", "level": 1, "reported_at": reported})
        assert made.status_code == 201, made.text
    after = tickets_by_state(platform, watcher)
    # At least (other tests' tickets may cross from at risk to breached meanwhile; none leaves those states).
    assert after[("dispatch", "breached")] >= before.get(("dispatch", "breached"), 0) + 1
    assert after[("fixed", "pending")] >= 1
    with platform.client(desk) as client:
        assert client.post(f"/servicedesk/tickets/{made.json()['id']}/cancel",
                           json={"reason": "metrics test"}).status_code == 200
    assert tickets_by_state(platform, watcher).get(("dispatch", "breached"), 0) <= after[("dispatch", "breached")] - 1
