"""GET /reservations: by state (expiry read as every read reads it), warehouse and reference, newest first."""

import pytest

from helpers import assert_problem
from inventory_support import make_catalog, reserve

pytestmark = pytest.mark.anyio


@pytest.fixture
async def stocked(inventory, inventory_app):
    levels = {("SC-01", "P-100"): 20, ("CENTRAL", "P-100"): 20, ("SC-01", "P-200"): 5}
    await make_catalog(inventory_app, parts=("P-100", "P-200"), stock_levels=levels)


async def ids(client, query: str = "") -> list[int]:
    response = await client.get(f"/reservations{query}")
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["items"]]


async def test_reservations_are_listed_newest_first_with_their_lines(inventory, stocked):
    first = (await reserve(inventory, [("P-100", 1)], reference="RO-1")).json()
    second = (await reserve(inventory, [("P-200", 2), ("P-100", 1)], reference="RO-2")).json()
    body = (await inventory.get("/reservations")).json()
    assert body == {"items": [second, first], "next_cursor": None}


async def test_filters_by_warehouse_and_reference(inventory, stocked):
    a = (await reserve(inventory, [("P-100", 1)], warehouse="SC-01", reference="RO-7")).json()["id"]
    b = (await reserve(inventory, [("P-100", 1)], warehouse="CENTRAL", reference="RO-7")).json()["id"]
    c = (await reserve(inventory, [("P-100", 1)], warehouse="SC-01", reference="RO-8")).json()["id"]
    assert await ids(inventory, "?reference=RO-7") == [b, a]
    assert await ids(inventory, "?warehouse=sc-01") == [c, a]
    assert await ids(inventory, "?warehouse=SC-01&reference=RO-7") == [a]
    assert await ids(inventory, "?reference=RO-9") == []
    assert await ids(inventory, "?warehouse=NOWHERE") == []


async def test_status_is_read_as_of_now_expired_before_any_write_records_it(inventory, stocked, clock):
    short = (await reserve(inventory, [("P-100", 1)], ttl_seconds=60)).json()["id"]
    consumed = (await reserve(inventory, [("P-100", 1)])).json()["id"]
    released = (await reserve(inventory, [("P-100", 1)])).json()["id"]
    active = (await reserve(inventory, [("P-100", 1)])).json()["id"]
    assert (await inventory.post(f"/reservations/{consumed}/consume")).status_code == 200
    assert (await inventory.post(f"/reservations/{released}/release")).status_code == 200
    assert await ids(inventory, "?status=active") == [active, short]
    clock.advance(seconds=61)
    assert await ids(inventory, "?status=active") == [active]
    assert await ids(inventory, "?status=expired") == [short]
    assert await ids(inventory, "?status=consumed") == [consumed]
    assert await ids(inventory, "?status=released") == [released]
    listed = {r["id"]: r["status"] for r in (await inventory.get("/reservations")).json()["items"]}
    assert listed == {short: "expired", consumed: "consumed", released: "released", active: "active"}


async def test_pages_follow_the_cursor_without_gaps_or_repeats(inventory, stocked):
    made = [(await reserve(inventory, [("P-100", 1)], reference=f"RO-{i}")).json()["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = (await inventory.get(f"/reservations{query}")).json()
        assert len(body["items"]) <= 2
        seen += [r["id"] for r in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))


@pytest.mark.parametrize("query", ["?status=lost", "?limit=0", "?limit=501", "?cursor=garbage", "?reference="])
async def test_bad_filters_are_422(inventory, stocked, query):
    response = await inventory.get(f"/reservations{query}")
    assert_problem(response, 422, "invalid_cursor" if "cursor" in query else "validation_error")
