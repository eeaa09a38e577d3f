"""The admin console over plain HTTP against the real services: the menu, who may open it, units (find,
read, register, a refusal keeping what was typed) and the CSV import's chunks."""

import pytest

from gateway.web import sections
from shared.clock import FixedClock
from shared.context import Caller

from console_support import NOW, Services, field_error, gateway_client, gateway_settings, shows_no_wire_path, sign_in
from gateway_support import make_key

pytestmark = pytest.mark.anyio
PAGES = ("/app/admin", "/app/admin/units", "/app/admin/units/new", "/app/admin/units/import", "/app/admin/policy",
         "/app/admin/seasons", "/app/admin/seasons/new", "/app/admin/seasons/edit?region=shandong",
         "/app/admin/parts", "/app/admin/parts/new", "/app/admin/models", "/app/admin/warehouses",
         "/app/admin/commitments", "/app/admin/calendar", "/app/admin/rates", "/app/admin/company",
         "/app/admin/sites", "/app/admin/sites/new", "/app/admin/technicians", "/app/admin/technicians/new")


@pytest.fixture(scope="module")
def clock():
    return FixedClock(NOW)


@pytest.fixture(scope="module")
def services(database_factory, clock):
    with Services(database_factory, clock) as running:
        yield running


@pytest.fixture
async def web(database_factory, services, clock):
    services.org.reset()
    async for client in gateway_client(gateway_settings(database_factory("gateway"), services.urls()), clock):
        client.csrf = await sign_in(client)
        yield client


@pytest.mark.parametrize("path", PAGES)
async def test_every_console_page_opens_in_chinese(web, path):
    page = await web.get(path)
    assert page.status_code == 200, page.text
    assert '<html lang="zh-CN">' in page.text
    assert "/app/static/console.css" in page.text
    assert shows_no_wire_path(page.text)
