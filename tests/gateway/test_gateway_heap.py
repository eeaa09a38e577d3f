"""The gateway, too, freezes what its start made (shared/heap.py)."""

import gc

import pytest

from gateway.main import create_app

from helpers import asgi_client

pytestmark = [pytest.mark.anyio, pytest.mark.frozen_heap]


async def test_the_gateway_freezes_what_its_start_made(gateway_settings):
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    async with asgi_client(create_app(gateway_settings)):
        assert gc.get_freeze_count() > 10_000
