"""The repair station's unit pages over plain HTTP, against the gateway's fake warranty: a serial that is not
one, a unit the service does not know, and a visit logged with its part lines."""

import json
from datetime import UTC, datetime

import pytest
from offline_support import SERIAL, gateway_sees_the_unit

from gateway.main import create_app
from shared.clock import FixedClock

from gateway_support import make_person, sign_in
from helpers import asgi_client

pytestmark = pytest.mark.anyio


@pytest.fixture
async def web(gateway_settings, fakes):
    app = create_app(gateway_settings, clock=FixedClock(datetime(2026, 11, 27, 2, 0, tzinfo=UTC)))
    async with asgi_client(app) as client:
        client.csrf = await sign_in(client, await make_person(client, "station", station="ST-JINAN-07"))
        yield client


@pytest.mark.parametrize("path", ["", "/claim", "/visit", "/history"])
async def test_a_serial_that_is_not_one_is_said_so_without_asking_the_warranty(web, fakes, path):
    response = await web.get(f"/app/station/units/not%20a%20serial{path}?lang=en")
    assert response.status_code == 422 and 'data-problem="bad_serial"' in response.text
    assert fakes["warranty"].seen == []


async def test_a_unit_the_warranty_does_not_know_comes_back_to_the_search_with_its_serial(web, fakes):
    fakes["warranty"].answers["/units/KFR72-000009"] = (404, {"code": "unit_not_found", "status": 404})
    response = await web.get("/app/station/units/kfr72-000009/visit?lang=en")
    assert response.status_code == 404 and 'data-problem="unit_not_found"' in response.text
    assert 'value="KFR72-000009"' in response.text


async def test_a_visit_is_logged_with_its_part_lines_and_a_wrong_line_is_refused(web, fakes):
    gateway_sees_the_unit(fakes)
    form = {"csrf": web.csrf, "kind": "repair", "performed_on": "2026-11-26", "technician": "王师傅"}
    refused = await web.post(f"/app/station/units/{SERIAL}/visit?lang=en",
                             data={**form, "part_number": ["FAN-72"], "part_qty": ["0"]})
    assert refused.status_code == 422 and "Parts replaced" in refused.text
    fakes["warranty"].seen.clear()
    logged = await web.post(f"/app/station/units/{SERIAL.lower()}/visit",
                            data={**form, "part_number": ["fan-72", ""], "part_qty": ["2", ""]})
    assert logged.status_code == 303
    assert logged.headers["location"] == f"/app/station/units/{SERIAL}/history?done=visit"
    sent = fakes["warranty"].seen[-1]
    assert sent.raw_path == f"/units/{SERIAL}/service-records"
    assert json.loads(sent.content)["parts_replaced"] == [{"part_number": "fan-72", "qty": 2}]
    fakes["warranty"].answers[f"/units/{SERIAL}/history"] = (200, {"items": [], "next_cursor": None})
    history = await web.get(logged.headers["location"] + "&lang=en")
    assert history.status_code == 200 and "The visit was logged in the unit&#39;s history." in history.text
