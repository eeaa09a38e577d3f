"""A race with another writer that only the database sees is a 409 problem, never a 500, and
leaves nothing half-written (issue 16: the same answer in every service)."""

import pytest

from helpers import another_writer_first, assert_problem

pytestmark = pytest.mark.anyio

BODY = {"customer": "Jinan Hotel", "serial_numbers": ["AC-100001"], "starts_on": "2025-01-01",
        "ends_on": "2025-12-31", "includes_labor": True, "parts_discount_pct": "10"}


async def test_a_contract_unit_written_meanwhile_is_a_409_conflict(billing):
    with another_writer_first("contract_unit") as doubled:
        raced = await billing.post("/contracts", json=BODY)
    assert doubled, "the race did not happen"
    assert_problem(raced, 409, "conflict")
    assert "INSERT" not in raced.text
    # The contract was not half-made: none is listed, and a retry makes exactly one.
    assert (await billing.get("/contracts")).json()["items"] == []
    retried = await billing.post("/contracts", json=BODY)
    assert retried.status_code == 201, retried.text
    assert [c["id"] for c in (await billing.get("/contracts")).json()["items"]] == [retried.json()["id"]]
