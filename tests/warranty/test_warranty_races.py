"""A race with another writer that only the database sees is a 409 problem, never a 500, and
leaves nothing half-written (issue 16: the same answer in every service)."""

import pytest

from helpers import another_writer_first, assert_problem

pytestmark = pytest.mark.anyio

CALENDAR = {"heating": {"start": "11-15", "end": "03-15"}, "cooling": {"start": "06-01", "end": "09-30"}}


async def test_a_calendar_version_written_meanwhile_is_a_409_conflict(warranty):
    before = (await warranty.get("/regions/shandong")).json()
    with another_writer_first("region_calendar") as doubled:
        raced = await warranty.put("/regions/shandong", json=CALENDAR)
    assert doubled, "the race did not happen"
    body = assert_problem(raced, 409, "conflict")
    assert "INSERT" not in raced.text and "region_calendar" not in body["detail"]
    # Nothing of the refused change stayed: the region is as it was, and a retry goes through.
    assert (await warranty.get("/regions/shandong")).json() == before
    retried = await warranty.put("/regions/shandong", json=CALENDAR)
    assert retried.status_code == 200 and retried.json()["version"] == before["version"] + 1
