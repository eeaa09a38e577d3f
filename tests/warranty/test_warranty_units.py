import pytest

from helpers import assert_problem
from warranty_support import unit_body

pytestmark = pytest.mark.anyio


def terms_by_component(unit: dict) -> dict:
    return {t["component"]: t for t in unit["terms"]}


@pytest.mark.parametrize(
    ("accepted_on", "unit_through", "heating_through", "cooling_through"),
    [
        ("2024-03-01", "2027-03-01", "2027-03-15", "2026-09-30"),
        ("2024-12-01", "2027-12-01", "2028-03-15", "2027-09-30"),
        ("2024-11-15", "2027-11-15", "2027-03-15", "2027-09-30"),
        ("2024-02-29", "2027-02-28", "2027-03-15", "2026-09-30"),
        ("2023-08-31", "2026-08-31", "2026-03-15", "2026-09-30"),
    ],
)
async def test_registered_unit_carries_terms_of_the_spec(warranty, accepted_on, unit_through,
                                                         heating_through, cooling_through):
    response = await warranty.post("/units", json=unit_body(accepted_on=accepted_on))
    assert response.status_code == 201, response.text
    terms = terms_by_component(response.json())
    assert terms["unit"] == {"component": "unit", "kind": "months", "length": 36,
                             "covered_from": accepted_on, "covered_through": unit_through}
    for category in ("electrical_lines", "water_piping", "installation"):
        assert terms[category]["covered_through"] == unit_through
    assert terms["heating_system"]["covered_through"] == heating_through
    assert terms["heating_system"]["kind"] == "heating_seasons"
    assert terms["cooling_system"]["covered_through"] == cooling_through


async def test_serial_is_trimmed_upper_cased_and_found_case_insensitively(warranty):
    response = await warranty.post("/units", json=unit_body(serial="  hvac-abc123 "))
    assert response.status_code == 201
    assert response.json()["serial_number"] == "HVAC-ABC123"
    found = await warranty.get("/units/hvac-abc123")
    assert found.status_code == 200 and found.json()["serial_number"] == "HVAC-ABC123"


async def test_duplicate_serial_is_409_whatever_the_case(warranty):
    assert (await warranty.post("/units", json=unit_body())).status_code == 201
    assert_problem(await warranty.post("/units", json=unit_body(serial="hvac-000001")), 409, "unit_exists")


@pytest.mark.parametrize("serial", ["ABC12", "A" * 41, "HVAC_0001", "HVAC 0001", "", "序列号123456"])
async def test_bad_serial_is_422(warranty, serial):
    body = assert_problem(await warranty.post("/units", json=unit_body(serial=serial)), 422, "validation_error")
    assert body["errors"][0]["field"] == "serial_number"


@pytest.mark.parametrize("accepted_on", ["2024-02-30", "01/03/2024", "2024-3-1", 20240301, None])
async def test_bad_acceptance_date_is_422(warranty, accepted_on):
    body = assert_problem(await warranty.post("/units", json=unit_body(accepted_on=accepted_on)),
                          422, "validation_error")
    assert body["errors"][0]["field"] == "accepted_on"


async def test_acceptance_in_the_future_is_refused_and_nothing_is_written(warranty):
    assert_problem(await warranty.post("/units", json=unit_body(accepted_on="2026-11-26")),
                   422, "accepted_in_future")
    assert_problem(await warranty.get("/units/HVAC-000001"), 404, "unit_not_found")


async def test_acceptance_today_is_accepted(warranty):
    assert (await warranty.post("/units", json=unit_body(accepted_on="2026-11-25"))).status_code == 201


async def test_unknown_field_is_422_not_dropped(warranty):
    body = assert_problem(await warranty.post("/units", json=unit_body(owner="me")), 422, "validation_error")
    assert body["errors"] == [{"field": "owner", "message": "Extra inputs are not permitted"}]


async def test_unknown_region_is_422(warranty):
    assert_problem(await warranty.post("/units", json=unit_body(region="atlantis")), 422, "unknown_region")


async def test_unit_in_region_uses_its_calendar(warranty):
    response = await warranty.post("/units", json=unit_body(accepted_on="2024-03-01", region="Harbin"))
    terms = terms_by_component(response.json())
    assert response.json()["site"]["region"] == "harbin"
    assert terms["heating_system"]["covered_through"] == "2027-04-20"
    assert terms["cooling_system"]["covered_through"] == "2026-08-31"


async def test_certificate_defaults_to_the_units_own_printing(warranty):
    unit = (await warranty.post("/units", json=unit_body())).json()
    assert unit["certificate"] == {"number": "CERT-1", "product_name": "Cabinet air conditioner",
                                   "model_code": "KFR-72LW", "serial_number": "HVAC-000001"}


async def test_unknown_unit_is_404(warranty):
    assert_problem(await warranty.get("/units/NOPE-0001"), 404, "unit_not_found")


@pytest.mark.parametrize(
    ("on", "component", "expected"),
    [
        ("2024-02-29", "unit", (False, "not_yet_accepted")),
        ("2024-03-01", "unit", (True, None)),
        ("2027-03-01", "unit", (True, None)),
        ("2027-03-02", "unit", (False, "term_expired")),
        ("2027-03-15", "heating_system", (True, None)),
        ("2027-03-16", "heating_system", (False, "term_expired")),
        ("2026-09-30", "cooling_system", (True, None)),
        ("2026-10-01", "cooling_system", (False, "term_expired")),
    ],
)
async def test_coverage_on_a_day(warranty, on, component, expected):
    await warranty.post("/units", json=unit_body(accepted_on="2024-03-01"))
    response = await warranty.get("/units/HVAC-000001/coverage", params={"on": on, "component": component})
    assert response.status_code == 200
    [item] = response.json()["components"]
    assert (item["covered"], item["reason"]) == expected
    assert item["component"] == component


async def test_coverage_defaults_to_today_and_all_components(warranty):
    await warranty.post("/units", json=unit_body(accepted_on="2024-03-01"))
    body = (await warranty.get("/units/HVAC-000001/coverage")).json()
    assert body["on"] == "2026-11-25"
    by = {c["component"]: c for c in body["components"]}
    assert len(by) == 6
    assert by["unit"]["covered"] is True and by["unit"]["days_left"] == 96
    assert by["cooling_system"]["reason"] == "term_expired" and by["cooling_system"]["days_left"] == 0


async def test_coverage_with_unknown_component_is_422(warranty):
    await warranty.post("/units", json=unit_body())
    response = await warranty.get("/units/HVAC-000001/coverage", params={"component": "roof"})
    assert_problem(response, 422, "validation_error")


async def test_units_list_by_project_with_cursor(warranty):
    for i in range(5):
        await warranty.post("/units", json=unit_body(serial=f"HVAC-00000{i}"))
    first = (await warranty.get("/units", params={"project_code": "PRJ-7", "limit": 2})).json()
    assert [u["serial_number"] for u in first["items"]] == ["HVAC-000000", "HVAC-000001"]
    second = (await warranty.get("/units", params={"limit": 10, "cursor": first["next_cursor"]})).json()
    assert [u["serial_number"] for u in second["items"]] == ["HVAC-000002", "HVAC-000003", "HVAC-000004"]
    assert second["next_cursor"] is None


async def test_units_searched_by_part_of_the_serial_model_product_or_site(warranty):
    for serial, model, site in (("HVAC-000001", "KFR-72LW", "济南市中心医院"), ("HVAC-000002", "KFR-35GW", "青岛港"),
                                ("SPLIT-000003", "KFR-35GW", "济南火车站")):
        made = await warranty.post("/units", json=unit_body(serial=serial, model_code=model,
                                                          site={"name": site, "address": "山东"}))
        assert made.status_code == 201, made.text

    async def found(**params) -> list[str]:
        return [u["serial_number"] for u in (await warranty.get("/units", params=params)).json()["items"]]

    assert await found(q="hvac") == ["HVAC-000001", "HVAC-000002"]
    assert await found(q="35gw") == ["HVAC-000002", "SPLIT-000003"]
    assert await found(q="济南") == ["HVAC-000001", "SPLIT-000003"]
    assert await found(q="cabinet", limit=1) == ["HVAC-000001"]
    assert await found(q="济南", project_code="PRJ-7") == ["HVAC-000001", "SPLIT-000003"]
    assert await found(q="_") == []  # a plain character, not a wildcard
    assert_problem(await warranty.get("/units", params={"q": "x" * 101}), 422, "validation_error")


@pytest.mark.parametrize("limit", [0, 501, "x"])
async def test_list_limit_out_of_range_is_422(warranty, limit):
    assert_problem(await warranty.get("/units", params={"limit": limit}), 422, "validation_error")


async def test_bad_cursor_is_422(warranty):
    assert_problem(await warranty.get("/units", params={"cursor": "%%%"}), 422, "invalid_cursor")
