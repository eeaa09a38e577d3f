import pytest

from helpers import assert_problem
from warranty_support import unit_body

pytestmark = pytest.mark.anyio


async def current_terms(warranty) -> list[dict]:
    return (await warranty.get("/policy")).json()["terms"]


def with_length(terms: list[dict], component: str, length: int) -> list[dict]:
    return [{**t, "length": length} if t["component"] == component else t for t in terms]


async def test_default_policy_is_the_contracts(warranty):
    policy = (await warranty.get("/policy")).json()
    assert policy["version"] == 1
    assert {t["component"]: (t["kind"], t["length"]) for t in policy["terms"]} == {
        "unit": ("months", 36), "electrical_lines": ("months", 36), "water_piping": ("months", 36),
        "installation": ("months", 36), "heating_system": ("heating_seasons", 3),
        "cooling_system": ("cooling_seasons", 3),
    }


async def test_get_terms_can_be_sent_back_as_they_are(warranty):
    response = await warranty.put("/policy", json={"terms": await current_terms(warranty)})
    assert response.status_code == 200, response.text
    assert response.json()["version"] > 1 and response.json()["effective_from"] == "2026-11-25"


@pytest.mark.parametrize(
    ("component", "length"),
    [("electrical_lines", 23), ("water_piping", 12), ("installation", 0),
     ("heating_system", 1), ("cooling_system", 1), ("unit", 0)],
)
async def test_term_below_legal_floor_is_refused(warranty, component, length):
    terms = with_length(await current_terms(warranty), component, length)
    body = assert_problem(await warranty.put("/policy", json={"terms": terms}), 422, "below_legal_minimum")
    assert body["errors"][0]["field"] == f"terms.{component}"
    assert (await warranty.get("/policy")).json()["version"] == 1


async def test_term_at_legal_floor_is_accepted(warranty):
    terms = with_length(with_length(await current_terms(warranty), "installation", 24), "heating_system", 2)
    assert (await warranty.put("/policy", json={"terms": terms})).status_code == 200


async def test_policy_missing_a_component_is_refused(warranty):
    terms = (await current_terms(warranty))[:-1]
    assert_problem(await warranty.put("/policy", json={"terms": terms}), 422, "invalid_policy")


async def test_policy_with_wrong_kind_is_refused(warranty):
    terms = [{**t, "kind": "months"} if t["component"] == "heating_system" else t
             for t in await current_terms(warranty)]
    assert_problem(await warranty.put("/policy", json={"terms": terms}), 422, "invalid_policy")


async def test_back_dated_policy_is_refused(warranty):
    body = {"terms": await current_terms(warranty), "effective_from": "2026-01-01"}
    assert_problem(await warranty.put("/policy", json=body), 422, "effective_from_in_past")


async def test_new_version_never_changes_a_unit_already_accepted(warranty, clock):
    await warranty.post("/units", json=unit_body(serial="OLD-000001", accepted_on="2026-11-20"))
    terms = with_length(await current_terms(warranty), "unit", 60)
    new = (await warranty.put("/policy", json={"terms": terms, "effective_from": "2026-12-01"})).json()
    clock.advance(days=10)
    await warranty.post("/units", json=unit_body(serial="NEW-000001", accepted_on="2026-12-02"))
    await warranty.post("/units", json=unit_body(serial="MID-000001", accepted_on="2026-11-30"))
    old = (await warranty.get("/units/OLD-000001")).json()
    fresh = (await warranty.get("/units/NEW-000001")).json()
    mid = (await warranty.get("/units/MID-000001")).json()
    assert old["policy_version"] == 1 and old["terms"][0]["length"] == 36
    assert mid["policy_version"] == 1
    assert fresh["policy_version"] == new["version"] and fresh["terms"][0]["length"] == 60
    assert fresh["terms"][0]["covered_through"] == "2031-12-02"
    versions = (await warranty.get("/policy/versions")).json()["items"]
    assert [v["version"] for v in versions] == [1, new["version"]]


async def test_region_calendars_ship_with_defaults(warranty):
    body = (await warranty.get("/regions/beijing")).json()
    assert body["heating"] == {"start": "11-15", "end": "03-15"}
    assert body["cooling"] == {"start": "06-01", "end": "09-15"}
    names = [r["region"] for r in (await warranty.get("/regions")).json()["items"]]
    assert names == ["beijing", "harbin", "shandong"]


async def test_unknown_region_is_404(warranty):
    assert_problem(await warranty.get("/regions/atlantis"), 404, "region_not_found")


async def test_new_region_can_be_added_and_used(warranty):
    calendar = {"heating": {"start": "12-01", "end": "02-28"}, "cooling": {"start": "05-15", "end": "10-15"}}
    response = await warranty.put("/regions/Guangzhou", json=calendar)
    assert response.status_code == 200 and response.json()["region"] == "guangzhou"
    unit = (await warranty.post("/units", json=unit_body(region="guangzhou", accepted_on="2025-01-10"))).json()
    by = {t["component"]: t["covered_through"] for t in unit["terms"]}
    assert by["heating_system"] == "2028-02-28" and by["cooling_system"] == "2027-10-15"


@pytest.mark.parametrize(
    "season", [{"start": "02-29", "end": "03-15"}, {"start": "13-01", "end": "03-15"},
               {"start": "11-15", "end": "11-15"}, {"start": "1115", "end": "03-15"}],
)
async def test_bad_calendar_is_422(warranty, season):
    body = {"heating": season, "cooling": {"start": "06-01", "end": "09-30"}}
    response = await warranty.put("/regions/shandong", json=body)
    assert response.status_code == 422 and response.json()["code"] in ("invalid_season", "validation_error")


async def test_calendar_change_keeps_units_on_their_acceptance_calendar_by_default(warranty):
    await warranty.post("/units", json=unit_body(accepted_on="2025-03-01"))
    change = {"heating": {"start": "11-01", "end": "03-31"}, "cooling": {"start": "06-01", "end": "09-30"}}
    response = await warranty.put("/regions/shandong", json=change)
    assert response.json()["version"] == 2 and response.json()["units_moved"] == 0
    unit = (await warranty.get("/units/HVAC-000001")).json()
    assert {t["component"]: t["covered_through"] for t in unit["terms"]}["heating_system"] == "2028-03-15"


async def test_calendar_change_applies_to_running_terms_when_asked(warranty):
    await warranty.post("/units", json=unit_body(serial="RUN-000001", accepted_on="2025-03-01"))
    await warranty.post("/units", json=unit_body(serial="END-000001", accepted_on="2020-01-10"))
    change = {"heating": {"start": "11-01", "end": "03-31"}, "cooling": {"start": "06-01", "end": "09-30"},
              "apply_to_existing_units": True}
    assert (await warranty.put("/regions/shandong", json=change)).json()["units_moved"] == 1
    running = (await warranty.get("/units/RUN-000001")).json()
    ended = (await warranty.get("/units/END-000001")).json()
    assert {t["component"]: t["covered_through"] for t in running["terms"]}["heating_system"] == "2028-03-31"
    assert {t["component"]: t["covered_through"] for t in ended["terms"]}["heating_system"] == "2023-03-15"
