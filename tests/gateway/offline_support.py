"""What the offline and station-form page tests share: a real service desk process (its own database; warranty,
inventory and billing faked) behind the real gateway on a clock that stands still, its organisation, and reports
taken through the desk's pages."""

import re
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

from gateway_support import ADMIN, LiveServer, make_person, sign_in
from helpers import TOKEN, asgi_client

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "servicedesk"))
from visit_fakes import VisitBilling, VisitWarranty  # noqa: E402

from servicedesk_fakes import DeskInventory  # noqa: E402

SERIAL = "KFR72-000001"
# 2026-11-27 10:00 China Standard Time, a Friday: within working hours.
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
ADMIN_HEADERS = {"X-API-Key": ADMIN}


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def desk_fakes():
    warranty, inventory = VisitWarranty(), DeskInventory()
    warranty.add_unit(SERIAL, accepted_on="2024-11-12", through="2027-11-12")  # heating 2026: due 2026-10-31
    return {"warranty": warranty, "inventory": inventory, "billing": VisitBilling()}


@pytest.fixture
def live_desk(database_factory, clock, desk_fakes):
    db = database_factory("servicedesk")
    settings = settings_module.load("servicedesk", database_url=db.url, database_schema=db.schema,
                                    internal_token=TOKEN, upstream_timeout_seconds=2.0)
    app = create_desk(settings, clock=clock, deliver=False, transports={
        name: httpx.MockTransport(fake.handler) for name, fake in desk_fakes.items()})
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
        yield client


async def organisation(web) -> dict[str, int]:
    """A centre with station JN-07 (its technicians 王磊 and 李强) and JN-08 (张伟): technician ids by name."""
    for code, kind, parent, name in (("SC-JINAN", "service_center", None, "济南服务中心"),
                                     ("JN-07", "repair_station", "SC-JINAN", "济南七站"),
                                     ("JN-08", "repair_station", "SC-JINAN", "济南八站")):
        body = {"code": code, "name": name, "kind": kind, "region": "shandong", "address": "济南市",
                "phone": "0531-8888 0000", **({"parent": parent} if parent else {})}
        made = await web.post("/servicedesk/sites", json=body, headers=ADMIN_HEADERS)
        assert made.status_code == 201, made.text
    people = {}
    for name, station in (("王磊", "JN-07"), ("李强", "JN-07"), ("张伟", "JN-08")):
        made = await web.post("/servicedesk/technicians", json={"name": name, "phone": "13800000000",
                                                                 "station": station}, headers=ADMIN_HEADERS)
        assert made.status_code == 201, made.text
        people[name] = made.json()["id"]
    return people


async def people(web) -> dict[str, dict]:
    """A desk person, and a person of station JN-07 (its technician on the phone)."""
    return {"desk": await make_person(web, "desk", display_name="赵敏"),
            "station": await make_person(web, "station", display_name="王磊", station="JN-07")}


async def report(web, csrf: str, **fields) -> int:
    """A report taken on the desk's page; the new ticket's id."""
    data = {"csrf": csrf, "caller_name": "李娜", "caller_phone": "0531-8888 0001", "serial_number": SERIAL,
            "site_address": "济南市历下区解放路 105 号", "description": "室外机停机", "level": "1", "channel": "phone"}
    data.update(fields)
    taken = await web.post("/app/desk/report", data=data)
    assert taken.status_code == 303, taken.text
    return int(re.search(r"/app/desk/tickets/(\d+)", taken.headers["location"]).group(1))


async def dispatched_ticket(web, who: dict, technicians: dict, *, reported: str = "2026-11-27T09:50",
                            dispatched: str = "2026-11-27T09:55", **fields) -> int:
    """A ticket dispatched to JN-07's 王磊 by the desk person `who` (signed in on `web` afterwards)."""
    csrf = await sign_in(web, who)
    ticket = await report(web, csrf, reported_at=reported, **fields)
    done = await web.post(f"/app/desk/tickets/{ticket}/dispatch", data={
        "csrf": csrf, "station": "JN-07", "technician_id": technicians["王磊"], "at": dispatched})
    assert done.status_code == 303, done.text
    return ticket


async def ticket_json(web, ticket: int) -> dict:
    found = await web.get(f"/servicedesk/tickets/{ticket}", headers=ADMIN_HEADERS)
    assert found.status_code == 200, found.text
    return found.json()


def events(ticket: dict, name: str) -> list[dict]:
    return [e for e in ticket["timeline"] if e["event"] == name]


def form_of(html: str, form_id: str) -> str:
    return re.search(rf'<form[^>]*id="{form_id}".*?</form>', html, re.S).group(0)


def gateway_sees_the_unit(fakes) -> None:
    """The gateway's own warranty (a fake) answers the unit and its coverage, as the station's unit page asks."""
    fakes["warranty"].answers[f"/units/{SERIAL}"] = (200, {
        "serial_number": SERIAL, "model_code": "KFR-72LW", "product_name": "柜式空调", "project_code": None,
        "site": {"name": "济南市中心医院", "address": "济南市历下区解放路 105 号", "region": "shandong"},
        "accepted_on": "2024-11-12", "certificate": None})
    fakes["warranty"].answers[f"/units/{SERIAL}/coverage"] = (200, {
        "serial_number": SERIAL, "on": "2026-11-27", "components": [
            {"component": "unit", "covered": True, "covered_from": "2024-11-12", "covered_through": "2027-11-12",
             "days_left": 350, "reason": None}]})
