from datetime import UTC, datetime

import httpx
import pytest

from services.billing.main import create_app
from shared import settings as settings_module
from shared.clock import FixedClock

from billing_fakes import FakeInventory, FakeWarranty
from billing_support import APPLICATION_NAME, OTHER_SERIAL, SERIAL
from helpers import TOKEN, asgi_client, internal_headers


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def billing_db(database_factory):
    return database_factory("billing")


@pytest.fixture
def warranty():
    fake = FakeWarranty()
    fake.add_unit(SERIAL)
    fake.add_unit(OTHER_SERIAL, region="harbin")
    return fake


@pytest.fixture
def inventory():
    return FakeInventory()


@pytest.fixture
def billing_settings(billing_db):
    url = billing_db.url
    if billing_db.schema is not None:  # PostgreSQL: name the connections, so a test can tell them from another run's
        url += ("&" if "?" in url else "?") + f"application_name={APPLICATION_NAME}"
    return settings_module.load(
        "billing", database_url=url, database_schema=billing_db.schema, internal_token=TOKEN,
        upstream_timeout_seconds=2.0,
    )


@pytest.fixture
async def billing(billing_settings, clock, warranty, inventory):
    transports = {"warranty": httpx.MockTransport(warranty.handler),
                  "inventory": httpx.MockTransport(inventory.handler)}
    app = create_app(billing_settings, clock=clock, transports=transports)
    async with asgi_client(app, headers=internal_headers(role="billing")) as client:
        yield client
