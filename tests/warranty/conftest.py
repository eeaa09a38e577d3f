from datetime import datetime

import pytest

from services.warranty.main import create_app
from shared import settings as settings_module
from shared.clock import FixedClock

from helpers import TOKEN, asgi_client, internal_headers

TODAY = datetime(2026, 11, 25, 9, 30)


@pytest.fixture
def clock():
    return FixedClock(TODAY)


@pytest.fixture
def warranty_settings(database_factory):
    db = database_factory("warranty")
    return settings_module.load("warranty", database_url=db.url, database_schema=db.schema, internal_token=TOKEN)


@pytest.fixture
async def warranty(warranty_settings, clock):
    app = create_app(warranty_settings, clock=clock)
    async with asgi_client(app, headers=internal_headers()) as client:
        yield client
