from datetime import UTC, datetime

import httpx
import pytest

from services.servicedesk.main import create_app
from shared import settings as settings_module
from shared.clock import FixedClock

from helpers import TOKEN, asgi_client, internal_headers
from servicedesk_fakes import DeskInventory, DeskWarranty

SERIAL = "KFR72-000001"


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 11, 27, 2, 0, tzinfo=UTC))


@pytest.fixture
def desk_db(database_factory):
    return database_factory("servicedesk")


@pytest.fixture
def warranty():
    fake = DeskWarranty()
    fake.add_unit(SERIAL)
    return fake


@pytest.fixture
def inventory():
    fake = DeskInventory()
    fake.stock[("SC-JINAN", "LOANER-KFR72")] = 2
    return fake


@pytest.fixture
def desk_settings(desk_db):
    return settings_module.load("servicedesk", database_url=desk_db.url, database_schema=desk_db.schema,
                                internal_token=TOKEN, upstream_timeout_seconds=2.0)


@pytest.fixture
def desk_app(desk_settings, clock, warranty, inventory):
    transports = {"warranty": httpx.MockTransport(warranty.handler),
                  "inventory": httpx.MockTransport(inventory.handler)}
    return create_app(desk_settings, clock=clock, transports=transports, deliver=False)


@pytest.fixture
async def desk(desk_app):
    async with asgi_client(desk_app, headers=internal_headers(role="desk")) as client:
        yield client


@pytest.fixture
async def org(desk):
    from servicedesk_support import organisation

    return await organisation(desk)
