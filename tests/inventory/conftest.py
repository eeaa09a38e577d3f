
import pytest

from services.inventory.main import create_app
from shared import settings as settings_module
from shared.clock import FixedClock
from shared.db import Database

from helpers import TOKEN, asgi_client, internal_headers
from inventory_support import NOW


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def inventory_db(database_factory):
    return database_factory("inventory")


@pytest.fixture
def inventory_settings(inventory_db):
    # Inventory calls no other service: no clients to build (each costs an SSL context, ~50 ms).
    return settings_module.load(
        "inventory", database_url=inventory_db.url, database_schema=inventory_db.schema, internal_token=TOKEN,
        service_urls={},
    )


@pytest.fixture
def inventory_app(inventory_settings, clock):
    return create_app(inventory_settings, clock=clock)


@pytest.fixture
async def inventory(inventory_app):
    async with asgi_client(inventory_app, headers=internal_headers()) as client:
        yield client


@pytest.fixture
def db(inventory_db):
    """The service's engines, for tests that call the use cases directly."""
    database = Database.connect(inventory_db.url, schema=inventory_db.schema)
    yield database
    database.dispose()
