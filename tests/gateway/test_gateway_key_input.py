"""What the fuzzer found in the gateway's own routes: refused as 422s, never 500s on PostgreSQL."""

import pytest

from shared import pagination

from gateway_support import ADMIN
from helpers import assert_problem

pytestmark = pytest.mark.anyio
HEADERS = {"X-API-Key": ADMIN}


@pytest.mark.parametrize("body", [
    {"role": "station", "name": "desk\u0000"},
    {"role": "warehouse", "name": "desk", "warehouses": ["SC-01,SC-02"]},
    {"role": "warehouse", "name": "desk", "warehouses": ["\u0000"]},
])
async def test_a_key_whose_name_or_warehouses_no_database_would_keep_is_refused(gateway, body):
    assert_problem(await gateway.post("/admin/api-keys", json=body, headers=HEADERS), 422, "validation_error")


@pytest.mark.parametrize("key", [1, ["a"], {"a": 1}])
async def test_a_cursor_the_key_list_never_gave_is_a_422(gateway, key):
    response = await gateway.get("/admin/api-keys", params={"cursor": pagination.encode(key)}, headers=HEADERS)
    assert_problem(response, 422, "invalid_cursor")
