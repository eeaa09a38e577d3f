"""Inputs the contract calls invalid are refused, as the fuzzer (tests/e2e/test_e2e_fuzz.py) checks."""

import pytest

from shared import pagination

from helpers import assert_problem
from warranty_support import unit_body

pytestmark = pytest.mark.anyio

SEASONS = {"heating": {"start": "11-15", "end": "03-15"}, "cooling": {"start": "05-15", "end": "09-30"}}


@pytest.mark.parametrize("flag", [0, 1, "true", None])
async def test_a_boolean_sent_as_anything_but_true_or_false_is_refused(warranty, flag):
    response = await warranty.put("/regions/shandong", json={**SEASONS, "apply_to_existing_units": flag})
    body = assert_problem(response, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["apply_to_existing_units"]


async def test_an_altered_flag_on_a_claims_certificate_must_be_a_boolean(warranty):
    await warranty.post("/units", json=unit_body())
    certificate = {"number": "WC-1", "product_name": "AC", "model_code": "M", "serial_number": "HVAC-000001",
                   "altered": 1}
    claim = {"serial_number": "HVAC-000001", "failed_on": "2026-01-10", "component": "unit",
             "causes": ["quality_defect"], "certificate": certificate}
    body = assert_problem(await warranty.post("/claims", json=claim), 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["certificate.altered"]


async def test_a_csv_the_csv_module_cannot_split_is_an_invalid_import_not_a_500(warranty):
    header = "serial_number,model_code,product_name,site_name,accepted_on\n"
    huge = header + "HVAC-000001,M," + "x" * 200_000 + ",Site,2025-01-01\n"  # past the csv module's field limit
    response = await warranty.post("/units/import", content=huge.encode(), headers={"Content-Type": "text/csv"})
    assert_problem(response, 422, "invalid_import")


async def test_a_bare_carriage_return_ends_a_csv_row_as_a_newline_does(warranty):
    rows = ("serial_number,model_code,product_name,site_name,region,accepted_on\r"
            "HVAC-000001,M,AC,Site,shandong,2025-01-01\r")
    response = await warranty.post("/units/import", content=rows.encode(), headers={"Content-Type": "text/csv"})
    assert response.status_code == 200 and response.json()["created"] == 1, response.text


def cursor_of(value) -> str:
    return pagination.encode(value)


@pytest.mark.parametrize(("path", "key"), [
    ("/units/HVAC-000001/history", 1), ("/units/HVAC-000001/history", ["a"]),
    ("/units/HVAC-000001/history", ["2025-01-01", "a"]), ("/units/HVAC-000001/history", ["not a day", 3]),
    ("/policy/versions", "a"), ("/policy/versions", [1]), ("/policy/versions", 2**40),
    ("/units", 1), ("/units", {"a": 1}),
])
async def test_a_cursor_this_list_never_gave_is_a_422_not_a_500(warranty, path, key):
    await warranty.post("/units", json=unit_body())
    assert_problem(await warranty.get(path, params={"cursor": cursor_of(key)}), 422, "invalid_cursor")


async def test_the_cursors_a_list_gives_still_page_through_it(warranty):
    for n in range(3):
        await warranty.post("/units/HVAC-000001/service-records" if n else "/units", json=(
            {"kind": "inspection", "performed_on": "2026-01-0" + str(n), "technician": "Li"} if n else unit_body()))
    first = (await warranty.get("/units/HVAC-000001/history", params={"limit": 1})).json()
    assert first["next_cursor"] is not None
    second = await warranty.get("/units/HVAC-000001/history", params={"limit": 1, "cursor": first["next_cursor"]})
    assert second.status_code == 200 and second.json()["items"][0]["id"] != first["items"][0]["id"]
