import pytest

from helpers import assert_problem
from warranty_support import unit_body

pytestmark = pytest.mark.anyio
CSV = "text/csv"


async def test_csv_import_keeps_good_rows_and_reports_bad_ones(warranty):
    csv = (
        "accepted_on,serial_number,model_code,product_name,site_name,region,certificate_number\n"
        "2024-03-01,CSV-000001,KFR-72LW,Cabinet AC,Site A,harbin,C-1\n"
        "2024-13-01,CSV-000002,KFR-72LW,Cabinet AC,Site A,,\n"
        "2024-03-01,bad,KFR-72LW,Cabinet AC,Site A,,\n"
        "2024-03-01,CSV-000001,KFR-72LW,Cabinet AC,Site A,,\n"
        "2024-03-01,CSV-000003,KFR-72LW,Cabinet AC,Site A,atlantis,\n"
        "2030-03-01,CSV-000004,KFR-72LW,Cabinet AC,Site A,,\n"
        "2024-03-01,CSV-000005,KFR-72LW,Cabinet AC,Site B,,\n"
    )
    response = await warranty.post("/units/import", content=csv, headers={"Content-Type": CSV})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] == 2 and body["skipped"] == 0
    assert [(e["row"], e["code"]) for e in body["errors"]] == [
        (2, "invalid_row"), (3, "invalid_row"), (4, "duplicate_in_file"), (5, "unknown_region"),
        (6, "accepted_in_future"),
    ]
    assert body["errors"][0]["serial_number"] == "CSV-000002"
    unit = (await warranty.get("/units/CSV-000001")).json()
    assert unit["site"]["region"] == "harbin"
    assert unit["certificate"] == {"number": "C-1", "product_name": "Cabinet AC", "model_code": "KFR-72LW",
                                   "serial_number": "CSV-000001"}
    assert (await warranty.get("/units/CSV-000005")).json()["certificate"] is None


async def test_existing_units_are_skipped_on_reimport(warranty):
    await warranty.post("/units", json=unit_body(serial="JSON-000001"))
    rows = [unit_body(serial="JSON-000001"), unit_body(serial="JSON-000002")]
    body = (await warranty.post("/units/import", json=rows)).json()
    assert body == {"created": 1, "skipped": 1, "errors": []}


async def test_json_import_reports_rows_by_number(warranty):
    rows = [unit_body(serial="JSON-000001"), {"serial_number": "JSON-000002"}, "not an object"]
    body = (await warranty.post("/units/import", json=rows)).json()
    assert body["created"] == 1
    assert [(e["row"], e["serial_number"], e["code"]) for e in body["errors"]] == [
        (2, "JSON-000002", "invalid_row"), (3, None, "invalid_row")]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [("serial_number,model_code,product_name,site_name,accepted_on,colour\n", CSV),
     ("serial_number,model_code\n", CSV),
     ('{"serial_number": "X"}', "application/json"),
     ("not json", "application/json"),
     ("<xml/>", "application/xml")],
)
async def test_unreadable_import_is_rejected_whole(warranty, content, content_type):
    response = await warranty.post("/units/import", content=content, headers={"Content-Type": content_type})
    assert_problem(response, 422, "invalid_import")
    assert (await warranty.get("/units")).json()["items"] == []


async def test_hundred_thousand_rows_in_one_request(warranty):
    header = "serial_number,model_code,product_name,site_name,site_address,region,project_code,accepted_on\n"
    lines = [f"BULK-{i:06d},KFR-72LW,Cabinet AC,Site {i % 97},No. {i} Road,shandong,PRJ-{i % 13},2024-05-17\n"
             for i in range(100_000)]
    response = await warranty.post("/units/import", content=header + "".join(lines),
                                   headers={"Content-Type": CSV}, timeout=120)
    assert response.json() == {"created": 100_000, "skipped": 0, "errors": []}
    unit = (await warranty.get("/units/BULK-099999")).json()
    assert unit["terms"][0]["covered_through"] == "2027-05-17"


async def test_a_json_item_cannot_pose_as_a_csv_reader_error(warranty):
    body = (await warranty.post("/units/import", json=[{"__error__": 5}, {"__error__": ["a", "b"]}])).json()
    assert body["created"] == 0
    assert [(e["row"], e["code"]) for e in body["errors"]] == [(1, "invalid_row"), (2, "invalid_row")]
