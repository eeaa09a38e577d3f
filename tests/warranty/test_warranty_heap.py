"""Each process moves what its start made out of the garbage collector's sight (shared/heap.py), a service
as the gateway: a full collection then walks only what requests make, not the modules, routes and schemas
(the p99 of a read through the gateway: docs/performance.md)."""

import gc

import pytest

from services.warranty.main import create_app

from helpers import asgi_client

pytestmark = [pytest.mark.anyio, pytest.mark.frozen_heap]


async def test_a_service_freezes_what_its_start_made(warranty_settings):
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    async with asgi_client(create_app(warranty_settings)):
        assert gc.get_freeze_count() > 10_000  # the app, its modules' objects
