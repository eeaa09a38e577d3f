"""A race with another writer that only the database sees is a 409 problem, never a 500, and
leaves nothing half-written (issue 16: the same answer in every service)."""

import pytest

from helpers import another_writer_first, assert_problem
from inventory_support import warehouse_body

pytestmark = pytest.mark.anyio


async def test_a_warehouse_written_meanwhile_is_a_409_problem(inventory):
    with another_writer_first("warehouse") as doubled:
        raced = await inventory.post("/warehouses", json=warehouse_body("SC-09"))
    assert doubled, "the race did not happen"
    assert raced.status_code == 409 and "INSERT" not in raced.text, raced.text
    assert_problem(raced, 409, raced.json()["code"])
    assert raced.json()["code"] in ("conflict", "warehouse_exists")
