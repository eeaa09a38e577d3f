"""A station's planned-visit pages over plain HTTP, against a real service desk behind the real gateway:
this week's list, the checklist form (refused forms keep what was typed), the record, the printed report."""

import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from gateway import config
from gateway.main import create_app
from services.servicedesk.main import create_app as create_desk
from shared import settings as settings_module
from shared.clock import FixedClock

from gateway_support import ADMIN, LiveServer, make_person
from gateway_support import sign_in as sign_in_person
from helpers import TOKEN, asgi_client

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "servicedesk"))
from visit_fakes import SIGNATURE, VisitBilling, VisitWarranty  # noqa: E402

pytestmark = pytest.mark.anyio
SERIAL = "KFR72-000001"
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # Friday 2026-11-27 10:00 in China


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def live_desk(database_factory, clock):
    db = database_factory("servicedesk")
    settings = settings_module.load("servicedesk", database_url=db.url, database_schema=db.schema,
                                    internal_token=TOKEN, upstream_timeout_seconds=2.0)
    warranty = VisitWarranty()
    warranty.add_unit(SERIAL, accepted_on="2024-11-12", through="2027-11-12")  # heating 2026: due 2026-10-31
    warranty.add_unit("KFR72-000009", accepted_on="2025-01-05", through="2028-01-05", region="harbin")
    app = create_desk(settings, clock=clock, deliver=False, transports={
        "warranty": httpx.MockTransport(warranty.handler), "billing": httpx.MockTransport(VisitBilling().handler)})
    with LiveServer(app, lifespan="on") as server:
        yield server


@pytest.fixture
async def web(gateway_settings, fakes, clock, live_desk):
    settings = config.load(
        database_url=gateway_settings.database_url, database_schema=gateway_settings.database_schema,
        admin_api_key=ADMIN, internal_token=TOKEN, rate_limit_per_second=1000.0, rate_limit_burst=1000,
        gateway_timeout_seconds=5.0,
        service_urls={**gateway_settings.service_urls, "servicedesk": live_desk.url})
    async with asgi_client(create_app(settings, clock=clock)) as client:
        plan = await client.post("/servicedesk/visits/plan", headers={"X-API-Key": ADMIN},
                                 json={"serial_numbers": [SERIAL, "KFR72-000009"], "station": "ST-JINAN-07"})
        assert plan.status_code == 200, plan.text
        yield client


async def sign_in(client, role: str) -> str:
    import re

    await sign_in_person(client, await make_person(client, role))
    return re.search(r'name="csrf" value="([^"]+)"', (await client.get("/app/station/visits")).text).group(1)


async def the_visit_id(web, due_on: str) -> int:
    found = await web.get("/servicedesk/visits", headers={"X-API-Key": ADMIN},
                          params={"serial_number": SERIAL, "due_from": due_on, "due_to": due_on})
    return found.json()["items"][0]["id"]


async def test_the_week_lists_what_is_due_and_what_is_still_open(web):
    await sign_in(web, "station")
    page = await web.get("/app/station/visits")
    assert page.status_code == 200
    this_week, _, earlier = page.text.partition('id="visits-earlier"')
    # due 2026-10-31 (pre-season, heating 2026): open until 2026-11-30, listed under "earlier"
    visit_id = await the_visit_id(web, "2026-10-31")
    assert f'data-visit="{visit_id}"' in earlier and f'data-visit="{visit_id}"' not in this_week
    unit = await web.get("/app/station/visits", params={"serial": SERIAL})
    assert unit.text.count("data-visit=") == 12


async def test_the_checklist_form_records_the_visit_and_prints_it(web):
    csrf = await sign_in(web, "station")
    visit_id = await the_visit_id(web, "2026-10-31")
    page = await web.get(f"/app/station/visits/{visit_id}")
    assert page.status_code == 200 and 'id="visit-form"' in page.text
    assert 'name="result.s9_1_1_1"' in page.text and 'id="signature"' in page.text
    assert "/app/static/visit.js" in page.text and "<script>" not in page.text
    codes = [c for c in page.text.split('data-code="')[1:]]
    codes = [c.split('"', 1)[0] for c in codes]
    assert len(codes) == 23
    data = {"csrf": csrf, "technician_id": "7", "technician": "王磊", "customer_name": "李娜",
            "signature_png": "data:image/png;base64," + SIGNATURE, "notes": "滤网已清洗",
            "part_number": ["FLT-2", "", ""], "part_qty": ["1", "", ""], "value.s9_1_1_1": "385",
            **{f"result.{c}": "ok" for c in codes[:-1]}}
    refused = await web.post(f"/app/station/visits/{visit_id}", data=data)
    assert refused.status_code == 422
    assert 'data-problem="checklist_incomplete"' in refused.text
    assert f'class="check-item missing" data-code="{codes[-1]}"' in refused.text
    # everything typed is still there
    assert 'value="李娜"' in refused.text and 'value="385"' in refused.text and 'value="FLT-2"' in refused.text
    assert "滤网已清洗" in refused.text and SIGNATURE in refused.text
    assert 'name="result.s9_1_1_1" value="ok" checked' in refused.text
    data[f"result.{codes[-1]}"] = "needs_repair"
    sent = await web.post(f"/app/station/visits/{visit_id}", data=data)
    assert sent.status_code == 303 and sent.headers["location"] == f"/app/station/visits/{visit_id}?done=1"
    done = await web.get(sent.headers["location"])
    assert 'data-status="done"' in done.text and 'id="visit-report"' in done.text and "李娜" in done.text
    pdf = await web.get(f"/app/station/visits/{visit_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    again = await web.post(f"/app/station/visits/{visit_id}", data=data)
    assert again.status_code == 409 and 'data-problem="visit_not_planned"' in again.text


async def test_a_form_without_a_signature_or_name_is_refused_with_the_fields_named(web):
    csrf = await sign_in(web, "station")
    visit_id = await the_visit_id(web, "2026-10-31")
    refused = await web.post(f"/app/station/visits/{visit_id}", data={"csrf": csrf, "technician_id": "x"})
    assert refused.status_code == 422 and 'data-problem="visit_form_incomplete"' in refused.text
    for word in ("用户签字", "用户姓名", "技术员编号"):
        assert word in refused.text.split('data-problem="visit_form_incomplete"')[1].split("</div>")[0]


async def test_a_warehouse_key_cannot_open_the_visits(web):
    await sign_in(web, "warehouse")
    assert (await web.get("/app/station/visits")).status_code == 403
