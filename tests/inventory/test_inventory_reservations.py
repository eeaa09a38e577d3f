import pytest

from helpers import assert_problem
from inventory_support import make_catalog, part_body, receive, reserve, stock_of, warehouse_key

pytestmark = pytest.mark.anyio


@pytest.fixture
async def stocked(inventory, inventory_app):
    parts = ("P-100", part_body("P-200", list_price="1280.00", oow="999.90"), "P-300")
    levels = {("SC-01", "P-100"): 5, ("SC-01", "P-200"): 2}
    await make_catalog(inventory_app, parts=parts, stock_levels=levels)


async def test_reservation_holds_stock_and_reads_with_unit_prices(inventory, stocked):
    response = await reserve(inventory, [("p-200", 2), ("P-100", 3)], reference="RO-9")
    assert response.status_code == 201, response.text
    body = response.json()
    assert isinstance(body["id"], int)
    assert body == {
        "id": body["id"], "warehouse": "SC-01", "reference": "RO-9", "status": "active",
        "created_at": "2026-03-02T08:00:00Z", "expires_at": "2026-03-05T08:00:00Z", "closed_at": None,
        "lines": [
            {"part_number": "P-100", "name": "Part P-100", "uom": "pcs", "qty": 3, "consumed_qty": 0,
             "list_price": "100.00", "out_of_warranty_price": "80.00"},
            {"part_number": "P-200", "name": "Part P-200", "uom": "pcs", "qty": 2, "consumed_qty": 0,
             "list_price": "1280.00", "out_of_warranty_price": "999.90"},
        ],
    }
    assert (await inventory.get(f"/reservations/{body['id']}")).json() == body
    assert await stock_of(inventory, "SC-01", "P-100") == {
        "warehouse": "SC-01", "part_number": "P-100", "on_hand": 5, "reserved": 3, "available": 2}
    # reservations move no stock: the ledger has only the receipts
    assert [m["kind"] for m in (await inventory.get("/movements")).json()["items"]] == ["receipt", "receipt"]


async def test_prices_are_those_of_the_day_of_reservation(inventory, stocked):
    reservation = (await reserve(inventory, [("P-100", 1)])).json()
    await inventory.patch("/parts/P-100", json={"list_price": "200.00", "out_of_warranty_price": "150.00"})
    line = (await inventory.get(f"/reservations/{reservation['id']}")).json()["lines"][0]
    assert (line["list_price"], line["out_of_warranty_price"]) == ("100.00", "80.00")


async def test_all_or_nothing_reports_every_short_line(inventory, stocked):
    response = await reserve(inventory, [("P-100", 2), ("P-200", 3), ("P-300", 1)])
    problem = assert_problem(response, 409, "insufficient_stock")
    assert problem["shortages"] == [
        {"part_number": "P-200", "requested": 3, "available": 2},
        {"part_number": "P-300", "requested": 1, "available": 0},
    ]
    assert (await stock_of(inventory, "SC-01", "P-100"))["reserved"] == 0
    assert (await stock_of(inventory, "SC-01", "P-200"))["reserved"] == 0


BAD_RESERVATIONS = [
        ({"lines": [{"part_number": "P-100", "qty": 1}, {"part_number": "p-100", "qty": 1}]}, 422,
         "validation_error"),
        ({"lines": []}, 422, "validation_error"),
        ({"lines": [{"part_number": "P-100", "qty": "1"}]}, 422, "validation_error"),
        ({"lines": [{"part_number": "P-100", "qty": 0.5}]}, 422, "validation_error"),
        ({"lines": [{"part_number": "P-100", "qty": True}]}, 422, "validation_error"),
        ({"lines": [{"part_number": "P-100", "qty": 1, "price": "1.00"}]}, 422, "validation_error"),
        ({"ttl_seconds": 0}, 422, "validation_error"),
        ({"ttl_seconds": "60"}, 422, "validation_error"),
        ({"status": "consumed"}, 422, "validation_error"),
        ({"lines": [{"part_number": "NOPE", "qty": 1}]}, 404, "part_not_found"),
        ({"warehouse": "NOPE"}, 404, "warehouse_not_found"),
]


async def test_bad_reservations_reserve_nothing(inventory, stocked, subtests):
    for body, status, code in BAD_RESERVATIONS:
        with subtests.test(body=body):
            full = {"warehouse": "SC-01", "reference": "RO-1",
                    "lines": [{"part_number": "P-100", "qty": 1}], **body}
            assert_problem(await inventory.post("/reservations", json=full), status, code)
    assert (await stock_of(inventory, "SC-01", "P-100"))["reserved"] == 0


async def test_unknown_reservation_is_404(inventory):
    assert_problem(await inventory.get("/reservations/999999"), 404, "reservation_not_found")
    assert_problem(await inventory.post("/reservations/999999/consume"), 404, "reservation_not_found")
    assert_problem(await inventory.post("/reservations/999999/release"), 404, "reservation_not_found")
    assert_problem(await inventory.get("/reservations/abc"), 422, "validation_error")
    assert_problem(await inventory.get("/reservations/99999999999"), 422, "validation_error")
    assert_problem(await inventory.post("/reservations/0/release"), 422, "validation_error")


async def test_consume_issues_everything_reserved(inventory, stocked):
    rid = (await reserve(inventory, [("P-100", 3), ("P-200", 1)], reference="RO-5")).json()["id"]
    response = await inventory.post(f"/reservations/{rid}/consume")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "consumed" and body["closed_at"] == "2026-03-02T08:00:00Z"
    assert [(line["part_number"], line["qty"], line["consumed_qty"]) for line in body["lines"]] == [
        ("P-100", 3, 3), ("P-200", 1, 1)]
    assert await stock_of(inventory, "SC-01", "P-100") == {
        "warehouse": "SC-01", "part_number": "P-100", "on_hand": 2, "reserved": 0, "available": 2}
    issues = [m for m in (await inventory.get("/movements")).json()["items"] if m["kind"] == "issue"]
    assert [(m["part_number"], m["qty"], m["reservation_id"], m["reference"]) for m in issues] == [
        ("P-100", -3, rid, "RO-5"), ("P-200", -1, rid, "RO-5")]
    assert_problem(await inventory.post(f"/reservations/{rid}/consume"), 409, "reservation_not_active")
    assert_problem(await inventory.post(f"/reservations/{rid}/release"), 409, "reservation_not_active")


async def test_consume_less_gives_the_rest_back(inventory, stocked):
    rid = (await reserve(inventory, [("P-100", 3), ("P-200", 2)])).json()["id"]
    used = {"lines": [{"part_number": "p-100", "qty": 1}]}
    response = await inventory.post(f"/reservations/{rid}/consume", json=used)
    assert response.status_code == 200, response.text
    assert [(line["part_number"], line["consumed_qty"]) for line in response.json()["lines"]] == [
        ("P-100", 1), ("P-200", 0)]
    assert await stock_of(inventory, "SC-01", "P-100") == {
        "warehouse": "SC-01", "part_number": "P-100", "on_hand": 4, "reserved": 0, "available": 4}
    assert await stock_of(inventory, "SC-01", "P-200") == {
        "warehouse": "SC-01", "part_number": "P-200", "on_hand": 2, "reserved": 0, "available": 2}
    issues = [m for m in (await inventory.get("/movements")).json()["items"] if m["kind"] == "issue"]
    assert [(m["part_number"], m["qty"]) for m in issues] == [("P-100", -1)]


@pytest.mark.parametrize("action,used", [
    ("consume", None), ("consume", {"lines": [{"part_number": "P-200", "qty": 1}]}), ("release", None)])
async def test_a_closed_reservation_answers_as_it_then_reads(inventory, stocked, action, used):
    """The answer of a consume or release (built from the rows the change read and wrote, not read back)
    is what a read of the reservation gives after it, field for field."""
    rid = (await reserve(inventory, [("P-200", 2), ("P-100", 3)], reference="RO-7")).json()["id"]
    response = await inventory.post(f"/reservations/{rid}/{action}", json=used)
    assert response.status_code == 200, response.text
    assert response.json() == (await inventory.get(f"/reservations/{rid}")).json()
    assert response.json()["status"] == ("consumed" if action == "consume" else "released")
    moved = [(m["kind"], m["part_number"], m["qty"], m["reservation_id"])
             for m in (await inventory.get("/movements")).json()["items"] if m["kind"] == "issue"]
    expected = {("consume", False): [("issue", "P-100", -3, rid), ("issue", "P-200", -2, rid)],
                ("consume", True): [("issue", "P-200", -1, rid)], ("release", False): []}[action, used is not None]
    assert sorted(moved) == expected
    assert await stock_of(inventory, "SC-01", "P-100") == {
        "warehouse": "SC-01", "part_number": "P-100", "on_hand": 5 - sum(-q for _, p, q, _ in expected if p == "P-100"),
        "reserved": 0, "available": 5 - sum(-q for _, p, q, _ in expected if p == "P-100")}


async def test_consume_lines_must_fit_the_reservation(inventory, stocked, subtests):
    rid = (await reserve(inventory, [("P-100", 3)])).json()["id"]
    for lines, field in (
        ([{"part_number": "P-100", "qty": 4}], "lines.0.qty"),
        ([{"part_number": "P-300", "qty": 1}], "lines.0.part_number"),
        ([{"part_number": "P-100", "qty": 1}, {"part_number": "P-100", "qty": 1}], "lines.1.part_number"),
    ):
        with subtests.test(lines=lines):
            response = await inventory.post(f"/reservations/{rid}/consume", json={"lines": lines})
            problem = assert_problem(response, 422, "invalid_consume_lines")
            assert [e["field"] for e in problem["errors"]] == [field]
    for body in ({"lines": [{"part_number": "P-100", "qty": "1"}]}, {"lines": [{"part_number": "P-100"}]},
                 {"lines": [{"part_number": "P-100", "qty": -1}]}, {"everything": True}):
        with subtests.test(body=body):
            response = await inventory.post(f"/reservations/{rid}/consume", json=body)
            assert_problem(response, 422, "validation_error")
    assert (await inventory.get(f"/reservations/{rid}")).json()["status"] == "active"
    assert (await stock_of(inventory, "SC-01", "P-100"))["reserved"] == 3


async def test_release_gives_everything_back(inventory, stocked):
    rid = (await reserve(inventory, [("P-100", 5)])).json()["id"]
    assert (await stock_of(inventory, "SC-01", "P-100"))["available"] == 0
    response = await inventory.post(f"/reservations/{rid}/release")
    assert response.status_code == 200 and response.json()["status"] == "released"
    assert response.json()["lines"][0]["consumed_qty"] == 0
    assert (await stock_of(inventory, "SC-01", "P-100"))["available"] == 5
    assert_problem(await inventory.post(f"/reservations/{rid}/release"), 409, "reservation_not_active")
    assert_problem(await inventory.post(f"/reservations/{rid}/consume"), 409, "reservation_not_active")


async def test_expired_reservation_reads_expired_and_frees_its_stock(inventory, stocked, clock):
    rid = (await reserve(inventory, [("P-100", 4)], ttl_seconds=3600)).json()["id"]
    clock.advance(minutes=59)
    assert (await inventory.get(f"/reservations/{rid}")).json()["status"] == "active"
    assert (await stock_of(inventory, "SC-01", "P-100"))["available"] == 1
    clock.advance(minutes=1)
    read = (await inventory.get(f"/reservations/{rid}")).json()
    assert read["status"] == "expired" and read["expires_at"] == "2026-03-02T09:00:00Z"
    assert await stock_of(inventory, "SC-01", "P-100") == {
        "warehouse": "SC-01", "part_number": "P-100", "on_hand": 5, "reserved": 0, "available": 5}
    assert_problem(await inventory.post(f"/reservations/{rid}/consume"), 409, "reservation_not_active")
    assert_problem(await inventory.post(f"/reservations/{rid}/release"), 409, "reservation_not_active")
    # the freed units can be reserved again at once; the expiry is then written down
    again = await reserve(inventory, [("P-100", 5)])
    assert again.status_code == 201, again.text
    assert (await inventory.get(f"/reservations/{rid}")).json()["status"] == "expired"
    assert await stock_of(inventory, "SC-01", "P-100") == {
        "warehouse": "SC-01", "part_number": "P-100", "on_hand": 5, "reserved": 5, "available": 0}


async def test_default_expiry_is_72_hours(inventory, stocked, clock):
    rid = (await reserve(inventory, [("P-100", 1)])).json()["id"]
    clock.advance(hours=71, minutes=59)
    assert (await inventory.get(f"/reservations/{rid}")).json()["status"] == "active"
    clock.advance(minutes=1)
    assert (await inventory.get(f"/reservations/{rid}")).json()["status"] == "expired"


async def test_warehouse_key_reserves_consumes_and_releases_only_at_home(inventory, stocked):
    await receive(inventory, "CENTRAL", "P-100", 5)
    home, other = warehouse_key("SC-01"), warehouse_key("CENTRAL")
    body = {"warehouse": "CENTRAL", "reference": "R", "lines": [{"part_number": "P-100", "qty": 1}]}
    assert_problem(await inventory.post("/reservations", headers=home, json=body), 403, "warehouse_forbidden")
    rid = (await reserve(inventory, [("P-100", 2)])).json()["id"]
    for action in ("consume", "release"):
        response = await inventory.post(f"/reservations/{rid}/{action}", headers=other)
        assert_problem(response, 403, "warehouse_forbidden")
    assert (await inventory.get(f"/reservations/{rid}", headers=other)).json()["status"] == "active"
    assert (await inventory.post(f"/reservations/{rid}/release", headers=home)).status_code == 200
    mine = await inventory.post("/reservations", headers=home, json={**body, "warehouse": "SC-01"})
    assert mine.status_code == 201
