"""The warehouse pages over plain HTTP against a real inventory service behind the real gateway: forms offer
only the warehouses the service lets the person write at, a refused reservation comes back with every line
and its shortage, and the words a reservation's state and an empty search are shown in."""

import re
from datetime import UTC, datetime

import pytest

from gateway import config
from gateway.main import create_app
from services.inventory.main import create_app as create_inventory
from shared import settings as settings_module
from shared.clock import FixedClock

import gateway_support
from gateway_support import ADMIN, LiveServer, make_key
from helpers import TOKEN, asgi_client

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
ADMIN_HEADERS = {"X-API-Key": ADMIN}


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def live_inventory(database_factory, clock):
    db = database_factory("inventory")
    settings = settings_module.load("inventory", database_url=db.url, database_schema=db.schema,
                                    internal_token=TOKEN, service_urls={})
    with LiveServer(create_inventory(settings, clock=clock), lifespan="on") as server:
        yield server


@pytest.fixture
async def web(gateway_settings, fakes, clock, live_inventory):
    settings = config.load(
        database_url=gateway_settings.database_url, database_schema=gateway_settings.database_schema,
        admin_api_key=ADMIN, internal_token=TOKEN, rate_limit_per_second=1000.0, rate_limit_burst=1000,
        gateway_timeout_seconds=5.0,
        service_urls={**gateway_settings.service_urls, "inventory": live_inventory.url})
    app = create_app(settings, clock=clock)
    async with asgi_client(app) as client:
        await seed(client)
        yield client


async def seed(client) -> None:
    for code, kind in (("CENTRAL", "central"), ("SC-01", "service_center"), ("SC-02", "service_center")):
        body = {"code": code, "name": f"仓库 {code}", "kind": kind, "region": "shandong"}
        assert (await client.post("/inventory/warehouses", json=body, headers=ADMIN_HEADERS)).status_code == 201
    for number in ("CMP-72", "FAN-300"):
        part = {"part_number": number, "name": f"配件 {number}", "uom": "pcs", "list_price": "100.00",
                "out_of_warranty_price": "80.00"}
        assert (await client.post("/inventory/parts", json=part, headers=ADMIN_HEADERS)).status_code == 201
    for warehouse in ("SC-01", "SC-02"):
        receipt = {"warehouse": warehouse, "part_number": "CMP-72", "qty": 2, "reference": "PO-1"}
        assert (await client.post("/inventory/receipts", json=receipt, headers=ADMIN_HEADERS)).status_code == 201


def token_in(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def sign_in(client, who) -> str:
    """As a person: the bootstrap key's admin, or a person of a key's role and scope (gateway_support)."""
    return await gateway_support.sign_in(client, who)


def options(html: str, field: str) -> list[str]:
    select = re.search(rf'<select id="{field}" name="{field}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [code for code in re.findall(r'<option value="([^"]*)"', select) if code]


async def test_forms_offer_only_the_warehouses_the_person_may_write_at(web):
    key = await make_key(web, "warehouse", warehouses=["SC-01"])
    await sign_in(web, key)
    assert options((await web.get("/app/warehouse/reserve")).text, "warehouse") == ["SC-01"]
    assert options((await web.get("/app/warehouse/receipts")).text, "warehouse") == ["SC-01"]
    transfer = (await web.get("/app/warehouse/transfers")).text
    assert options(transfer, "from_warehouse") == ["SC-01"]
    assert options(transfer, "to_warehouse") == ["CENTRAL", "SC-01", "SC-02"]  # stock may go anywhere
    assert options((await web.get("/app/warehouse/reservations")).text, "warehouse") == ["SC-01"]
    await sign_in(web, ADMIN)
    assert options((await web.get("/app/warehouse/reserve")).text, "warehouse") == ["CENTRAL", "SC-01", "SC-02"]


async def test_a_transfer_out_of_another_warehouse_is_refused_naming_it(web):
    key = await make_key(web, "warehouse", warehouses=["SC-01"])
    csrf = await sign_in(web, key)
    form = {"csrf": csrf, "from_warehouse": "SC-02", "to_warehouse": "SC-01", "part_number": "CMP-72", "qty": "1",
            "reference": "T-1"}
    refused = await web.post("/app/warehouse/transfers", data=form)
    assert refused.status_code == 403
    assert "您无权变更仓库 SC-02 的库存。" in refused.text
    assert 'value="T-1"' in refused.text  # what was typed is still there
    moved = await web.post("/app/warehouse/transfers", data={**form, "from_warehouse": "SC-01",
                                                             "to_warehouse": "SC-02"})
    assert moved.status_code == 303


async def test_a_short_reservation_comes_back_with_every_line_and_its_shortage(web):
    csrf = await sign_in(web, ADMIN)
    form = {"csrf": csrf, "warehouse": "SC-01", "reference": "RO-9",
            "part_number": ["CMP-72", "FAN-300", "", ""], "qty": ["5", "1", "", ""]}
    refused = await web.post("/app/warehouse/reserve", data=form)
    assert refused.status_code == 409
    html = refused.text
    assert re.findall(r'name="part_number"[^>]*value="([^"]*)"', html)[:2] == ["CMP-72", "FAN-300"]
    assert re.findall(r'name="qty"[^>]*value="([^"]*)"', html)[:2] == ["5", "1"]
    shortages = dict(re.findall(r'class="field-error shortage" data-part="([^"]+)">([^<]+)<', html))
    assert shortages == {"CMP-72": "需要 5，仅有 2 可用", "FAN-300": "需要 1，仅有 0 可用"}
    assert options(html, "warehouse") == ["CENTRAL", "SC-01", "SC-02"]
    assert 'value="SC-01" selected' in html and 'value="RO-9"' in html


async def test_an_expired_reservation_reads_expired_not_out_of_warranty(web, clock):
    csrf = await sign_in(web, ADMIN)
    body = {"warehouse": "SC-01", "reference": "RO-1", "lines": [{"part_number": "CMP-72", "qty": 1}],
            "ttl_seconds": 60}
    made = await web.post("/inventory/reservations", json=body, headers=ADMIN_HEADERS)
    assert made.status_code == 201
    clock.advance(seconds=61)
    page = await web.get(f"/app/warehouse/reservations/{made.json()['id']}")
    assert "已过期" in page.text and "已过保" not in page.text
    listed = await web.get("/app/warehouse/reservations?reference=RO-1&status=&warehouse=")
    assert "已过期" in listed.text and "已过保" not in listed.text
    assert csrf


async def test_a_search_that_finds_nothing_says_none_found(web):
    await sign_in(web, ADMIN)
    nothing = await web.get("/app/warehouse/reservations?reference=RO-NONE&status=&warehouse=")
    assert nothing.status_code == 200 and "没有找到预留单。" in nothing.text
    # the filter sent with nothing chosen lists the newest, and says so when there are none
    empty = await web.get("/app/warehouse/reservations?reference=&status=&warehouse=")
    assert "没有找到预留单。" in empty.text
    body = {"warehouse": "SC-01", "reference": "RO-2", "lines": [{"part_number": "CMP-72", "qty": 1}]}
    assert (await web.post("/inventory/reservations", json=body, headers=ADMIN_HEADERS)).status_code == 201
    listed = await web.get("/app/warehouse/reservations?reference=&status=&warehouse=")
    assert "RO-2" in listed.text and "没有找到预留单。" not in listed.text
    # before any search, no list and no "none found"
    assert "没有找到预留单。" not in (await web.get("/app/warehouse/reservations")).text


async def test_an_incomplete_reservation_form_comes_back_with_its_lines_marked(web):
    csrf = await sign_in(web, ADMIN)
    form = {"csrf": csrf, "warehouse": "SC-01", "reference": "RO-8",
            "part_number": ["CMP-72", "FAN-300", "", ""], "qty": ["1", "", "", ""]}
    refused = await web.post("/app/warehouse/reserve", data=form)
    assert refused.status_code == 422
    assert re.findall(r'name="part_number"[^>]*value="([^"]*)"', refused.text)[:2] == ["CMP-72", "FAN-300"]
    assert re.findall(r'data-line="(\d)"', refused.text)[:2] == ["1", "2"]
    assert refused.text.count('class="field-error"') == 1  # only the line without a quantity
    assert "请填写配件编号和不小于 1 的整数数量" in refused.text
