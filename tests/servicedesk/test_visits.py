"""Planned visits over HTTP on the real database: planned on first need, read, recorded, cancelled, scoped."""

import asyncio
import base64

import pytest
from visit_fakes import SIGNATURE, VisitBilling, VisitWarranty, all_items, client, crew, make_app, png, record_body

from services.servicedesk import visit_history
from services.servicedesk.clients import upstreams

from helpers import assert_problem
from servicedesk_support import deliver

pytestmark = pytest.mark.anyio
SERIAL = "KFR72-000001"
# The clock of conftest: 2026-11-27 10:00 in China.


@pytest.fixture
def warranty():
    fake = VisitWarranty()
    fake.add_unit(SERIAL)
    return fake


@pytest.fixture
def billing():
    return VisitBilling()


@pytest.fixture
def app(desk_settings, clock, warranty, billing):
    return make_app(desk_settings, clock, warranty, billing)


@pytest.fixture
async def desk(app):
    async with client(app) as c:
        yield c


@pytest.fixture
async def people(desk):
    """The sites and technicians (visit_fakes.crew); the visits' records name an active technician."""
    return await crew(desk)


@pytest.fixture(autouse=True)
async def _organisation(people):
    return people


async def visits_of(desk, serial=SERIAL, **params) -> list[dict]:
    response = await desk.get("/visits", params={"serial_number": serial, "limit": 100, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def the_visit(desk, due_on: str, serial=SERIAL) -> dict:
    [found] = [v for v in await visits_of(desk, serial) if v["due_on"] == due_on]
    response = await desk.get(f"/visits/{found['id']}")
    assert response.status_code == 200
    return response.json()


async def test_a_units_visits_are_planned_the_first_time_they_are_listed(desk, warranty):
    items = await visits_of(desk)
    assert [(v["due_on"], v["kind"], v["status"]) for v in items] == [
        ("2024-05-17", "pre_season", "missed"), ("2024-09-15", "pre_shutdown", "missed"),
        ("2024-10-31", "pre_season", "missed"), ("2025-02-28", "pre_shutdown", "missed"),
        ("2025-05-17", "pre_season", "missed"), ("2025-09-15", "pre_shutdown", "missed"),
        ("2025-10-31", "pre_season", "missed"), ("2026-02-28", "pre_shutdown", "missed"),
        ("2026-05-17", "pre_season", "missed"), ("2026-09-15", "pre_shutdown", "missed"),
        ("2026-10-31", "pre_season", "planned"), ("2027-02-28", "pre_shutdown", "planned"),
    ]
    first = items[-2]
    assert first["serial_number"] == SERIAL and first["region"] == "shandong" and first["season"] == "heating"
    assert first["recordable_from"] == "2026-10-01" and first["recordable_until"] == "2026-11-30"
    assert first["contract_id"] is None and "checklist" not in first or first["checklist"] is None
    asked = warranty.count("get_unit")
    assert len(await visits_of(desk)) == 12
    assert warranty.count("get_unit") == asked  # remembered: warranty is asked once


async def test_an_unknown_unit_has_no_visits_and_is_asked_again_later(desk, warranty):
    assert await visits_of(desk, "NOSUCH-0001") == []
    warranty.add_unit("NOSUCH-0001", accepted_on="2026-01-10", through="2029-01-10")
    assert len(await visits_of(desk, "NOSUCH-0001")) == 12


async def test_warranty_down_on_first_need_is_a_503_then_planned_visits_are_read_without_it(desk, warranty):
    warranty.plan("get_unit", *["down"] * 5)
    response = await desk.get("/visits", params={"serial_number": SERIAL})
    assert_problem(response, 503, "upstream_unavailable")
    warranty.faults.clear()
    assert len(await visits_of(desk)) == 12
    warranty.plan("get_unit", *["down"] * 5)
    assert len(await visits_of(desk)) == 12


async def test_a_visit_has_its_checklist_with_labels_and_measures_by_model(desk):
    visit = await the_visit(desk, "2026-10-31")
    codes = [i["code"] for i in visit["checklist"]]
    assert codes[:3] == ["s9_1_1_1", "s9_1_1_2", "s9_1_1_3"] and codes[-1] == "s9_2_1_9"
    supply = visit["checklist"][0]
    assert supply["label"].startswith("检查外接供电") and supply["label_en"].startswith("External power")
    assert supply["measure"] == {"unit": "V", "min": None, "max": None}  # the model's supply is not known yet
    assert next(i for i in visit["checklist"] if i["code"] == "s9_1_1_6_earth")["measure"] == \
        {"unit": "Ω", "min": None, "max": 4}
    assert next(i for i in visit["checklist"] if i["code"] == "s9_1_1_3")["measure"] is None
    put = await desk.put("/visit-models/kfr-72lw", json={"supply_volts": 380, "refrigerant": "R410A",
                                                          "rated_current_a": 12.5})
    assert put.status_code == 200 and put.json()["model_code"] == "KFR-72LW"
    read = (await desk.get("/visit-models/KFR-72LW")).json()
    assert (read["supply_volts"], read["refrigerant"], read["rated_current_a"]) == (380, "R410A", 12.5)
    assert (await desk.get("/visit-models/UNKNOWN-1")).json()["supply_volts"] is None
    assert_problem(await desk.put("/visit-models/X", json={"supply_volts": 230}), 422, "validation_error")
    visit = await the_visit(desk, "2026-10-31")
    assert visit["checklist"][0]["measure"] == {"unit": "V", "min": 342, "max": 418}
    current = next(i for i in visit["checklist"] if i["code"] == "s9_1_1_8_current")
    assert current["measure"] == {"unit": "A", "min": None, "max": 12.5}
    # a heating season's visit: no cooling pressure band
    high = next(i for i in visit["checklist"] if i["code"] == "s9_1_1_8_high_pressure")
    assert high["measure"] == {"unit": "MPa", "min": None, "max": None}


async def test_recording_a_visit_makes_it_done_and_lands_in_the_units_history(app, desk, warranty, people):
    visit = await the_visit(desk, "2026-10-31")
    body = record_body(visit, parts_used=[{"part_number": "FLT-2", "qty": 1}], notes="滤网已清洗",
                       at="2026-11-27T01:30:00Z")
    response = await desk.post(f"/visits/{visit['id']}/record", json=body)
    assert response.status_code == 200, response.text
    done = response.json()
    assert done["status"] == "done" and done["out_of_range"] == [] and done["ticket_id"] is None
    record = done["record"]
    assert record["at"] == "2026-11-27T01:30:00Z" and record["technician"] == "王磊"
    assert record["technician_id"] == people["王磊"]["id"] and record["station"] == "ST-JINAN-07"
    assert record["customer"] == {"name": "李娜", "phone": "+86 531 8888 0001", "signed": True}
    assert [i["code"] for i in record["items"]] == [i["code"] for i in visit["checklist"]]
    assert done["history_delivered"] is False
    assert await visit_history.deliver_history(app.state.uow, upstreams(app), app.state.clock) == 1
    [entry] = warranty.records
    assert entry["kind"] == "maintenance" and entry["performed_on"] == "2026-11-27" and entry["technician"] == "王磊"
    assert entry["parts_replaced"] == [{"part_number": "FLT-2", "qty": 1}]
    assert entry["key"] == f"servicedesk-visit-{visit['id']}-history" and "#" in entry["notes"]
    assert (await desk.get(f"/visits/{visit['id']}")).json()["history_delivered"] is True
    assert await visit_history.deliver_history(app.state.uow, upstreams(app), app.state.clock) == 0


async def test_history_waits_while_warranty_is_down_and_is_sent_once_back(app, desk, warranty):
    visit = await the_visit(desk, "2026-10-31")
    assert (await desk.post(f"/visits/{visit['id']}/record", json=record_body(visit))).status_code == 200
    warranty.plan("add_record", "down")
    assert await visit_history.deliver_history(app.state.uow, upstreams(app), app.state.clock) == 0
    app.state.clock.advance(seconds=5)
    assert await visit_history.deliver_history(app.state.uow, upstreams(app), app.state.clock) == 1
    assert len(warranty.records) == 1 and warranty.records[0]["kind"] == "maintenance"


async def test_items_needing_repair_open_one_level_3_ticket_naming_them_all(app, desk, warranty):
    await desk.put("/visit-models/KFR-72LW", json={"supply_volts": 380})
    visit = await the_visit(desk, "2026-10-31")
    items = all_items(visit, s9_1_1_1={"code": "s9_1_1_1", "result": "needs_repair", "value": 300},
                      s9_2_1_5={"code": "s9_2_1_5", "result": "needs_repair", "notes": "水泵接口渗漏"},
                      s9_1_1_6_earth={"code": "s9_1_1_6_earth", "result": "ok", "value": 3.2})
    response = await desk.post(f"/visits/{visit['id']}/record", json=record_body(visit, items=items))
    assert response.status_code == 200, response.text
    done = response.json()
    assert done["out_of_range"] == ["s9_1_1_1"] and done["ticket_id"]
    assert next(i for i in done["record"]["items"] if i["code"] == "s9_1_1_1")["out_of_range"] is True
    ticket = (await desk.get(f"/tickets/{done['ticket_id']}")).json()
    assert ticket["level"] == 3 and ticket["serial_number"] == SERIAL and ticket["status"] == "open"
    assert "s9_1_1_1" in ticket["description"] and "s9_2_1_5" in ticket["description"]
    assert "300 V" in ticket["description"] and "水泵接口渗漏" in ticket["description"]
    assert ticket["caller"]["name"] == "李娜" and ticket["coverage"] is not None
    await visit_history.deliver_history(app.state.uow, upstreams(app), app.state.clock)
    assert ticket["number"] in warranty.records[0]["notes"]


async def test_the_ticket_is_opened_even_when_warranty_cannot_give_coverage(app, desk, warranty):
    visit = await the_visit(desk, "2026-10-31")
    warranty.plan("get_unit", *["down"] * 5)
    items = all_items(visit, s9_1_1_3={"code": "s9_1_1_3", "result": "needs_repair"})
    done = (await desk.post(f"/visits/{visit['id']}/record", json=record_body(visit, items=items))).json()
    ticket = (await desk.get(f"/tickets/{done['ticket_id']}")).json()
    assert ticket["coverage"] is None
    warranty.faults.clear()
    await deliver(app)  # the tickets' outbox fills the coverage in
    assert (await desk.get(f"/tickets/{done['ticket_id']}")).json()["coverage"] is not None


async def test_every_item_needs_a_result(desk):
    visit = await the_visit(desk, "2026-10-31")
    body = record_body(visit, items=all_items(visit)[2:])
    body_problem = assert_problem(await desk.post(f"/visits/{visit['id']}/record", json=body), 422,
                                  "checklist_incomplete")
    assert [e["field"] for e in body_problem["errors"]] == ["items.s9_1_1_1", "items.s9_1_1_2"]
    assert (await desk.get(f"/visits/{visit['id']}")).json()["status"] == "planned"


@pytest.mark.parametrize(("item", "field"), [
    ({"code": "s9_9_9_9", "result": "ok"}, "items[23].code"),  # not on this checklist
    ({"code": "s9_1_1_2", "result": "ok"}, "items[23].code"),  # given twice
])
async def test_items_not_on_the_checklist_or_twice_are_refused(desk, item, field):
    visit = await the_visit(desk, "2026-10-31")
    body = record_body(visit)
    body["items"].append(item)
    problem = assert_problem(await desk.post(f"/visits/{visit['id']}/record", json=body), 422, "validation_error")
    assert [e["field"] for e in problem["errors"]] == [field]


async def test_a_value_on_an_item_that_is_not_a_reading_is_refused(desk):
    visit = await the_visit(desk, "2026-10-31")
    body = record_body(visit, items=all_items(visit, s9_1_1_3={"code": "s9_1_1_3", "result": "ok", "value": 3}))
    problem = assert_problem(await desk.post(f"/visits/{visit['id']}/record", json=body), 422, "validation_error")
    assert [e["field"] for e in problem["errors"]] == ["items[2].value"]


@pytest.mark.parametrize("item", [
    {"code": "s9_1_1_1", "result": "broken"},
    {"code": "s9_1_1_1", "result": "ok", "value": "230"},
    {"code": "s9_1_1_1", "result": "ok", "value": True},
])
async def test_results_and_values_are_checked(desk, item):
    visit = await the_visit(desk, "2026-10-31")
    body = record_body(visit, items=all_items(visit, s9_1_1_1=item))
    assert_problem(await desk.post(f"/visits/{visit['id']}/record", json=body), 422, "validation_error")


@pytest.mark.parametrize(("signature", "message"), [
    ("not base64 at all!", "not base64"),
    (base64.b64encode(b"GIF89a" + b"\0" * 40).decode(), "not a PNG image"),
    (base64.b64encode(png(400, 400)[:24] + b"\0" * (201 * 1024)).decode(), "at most 200 KB"),
    (base64.b64encode(png(5000, 10)).decode(), "at most 4000 pixels a side"),
    ("data:image/gif;base64," + SIGNATURE, "a PNG image, base64"),
])
async def test_the_signature_must_be_a_small_png(desk, signature, message):
    visit = await the_visit(desk, "2026-10-31")
    body = record_body(visit)
    body["customer"]["signature_png"] = signature
    problem = assert_problem(await desk.post(f"/visits/{visit['id']}/record", json=body), 422, "validation_error")
    assert problem["errors"] == [{"field": "customer.signature_png", "message": message}]


async def test_a_canvas_data_url_is_accepted(desk):
    visit = await the_visit(desk, "2026-10-31")
    body = record_body(visit)
    body["customer"]["signature_png"] = "data:image/png;base64," + SIGNATURE
    assert (await desk.post(f"/visits/{visit['id']}/record", json=body)).status_code == 200


async def test_a_visit_is_recorded_once(desk):
    visit = await the_visit(desk, "2026-10-31")
    assert (await desk.post(f"/visits/{visit['id']}/record", json=record_body(visit))).status_code == 200
    assert_problem(await desk.post(f"/visits/{visit['id']}/record", json=record_body(visit)), 409,
                   "visit_not_planned")


async def test_too_early_missed_and_future_records_are_refused(desk):
    early = await the_visit(desk, "2027-02-28")
    assert_problem(await desk.post(f"/visits/{early['id']}/record", json=record_body(early)), 409, "visit_too_early")
    missed = await the_visit(desk, "2026-09-15")
    assert missed["status"] == "missed"
    assert_problem(await desk.post(f"/visits/{missed['id']}/record", json=record_body(missed)), 409,
                   "visit_not_planned")
    # done late but within its window, sent now (a phone without signal): accepted with its real time
    late = record_body(missed, at="2026-10-14T03:00:00Z")
    assert (await desk.post(f"/visits/{missed['id']}/record", json=late)).json()["status"] == "done"
    visit = await the_visit(desk, "2026-10-31")
    future = record_body(visit, at="2026-11-28T03:00:00Z")
    assert_problem(await desk.post(f"/visits/{visit['id']}/record", json=future), 422, "invalid_event_time")


async def test_an_idempotency_key_replays_the_record_and_opens_one_ticket(desk):
    visit = await the_visit(desk, "2026-10-31")
    body = record_body(visit, items=all_items(visit, s9_1_1_3={"code": "s9_1_1_3", "result": "needs_repair"}))
    key = {"Idempotency-Key": "visit-7-phone-1"}
    first = await desk.post(f"/visits/{visit['id']}/record", json=body, headers=key)
    again = await desk.post(f"/visits/{visit['id']}/record", json=body, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
    tickets = (await desk.get("/tickets", params={"serial_number": SERIAL})).json()["items"]
    assert len(tickets) == 1
    body["notes"] = "changed"
    assert_problem(await desk.post(f"/visits/{visit['id']}/record", json=body, headers=key), 422,
                   "idempotency_key_reused")


async def test_cancel_a_planned_visit_with_a_reason(desk):
    visit = await the_visit(desk, "2027-02-28")
    response = await desk.post(f"/visits/{visit['id']}/cancel", json={"reason": "用户已拆除机组"})
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled" and response.json()["cancellation"]["reason"] == "用户已拆除机组"
    assert_problem(await desk.post(f"/visits/{visit['id']}/cancel", json={"reason": "again"}), 409,
                   "visit_not_planned")
    assert_problem(await desk.post(f"/visits/{visit['id']}/record", json=record_body(visit)), 409,
                   "visit_not_planned")


async def test_unknown_visits_are_404_and_impossible_ids_422(desk):
    assert_problem(await desk.get("/visits/999999"), 404, "visit_not_found")
    assert_problem(await desk.get("/visits/99999999999"), 422, "validation_error")


async def test_filters_by_status_and_due_days_with_a_cursor(desk):
    await visits_of(desk)
    assert len(await visits_of(desk, status="missed")) == 10
    assert [v["due_on"] for v in await visits_of(desk, status="planned")] == ["2026-10-31", "2027-02-28"]
    assert [v["due_on"] for v in await visits_of(desk, due_from="2026-01-01", due_to="2026-10-31")] == [
        "2026-02-28", "2026-05-17", "2026-09-15", "2026-10-31"]
    page = (await desk.get("/visits", params={"serial_number": SERIAL, "limit": 5})).json()
    rest = (await desk.get("/visits", params={"serial_number": SERIAL, "cursor": page["next_cursor"]})).json()
    assert len(page["items"]) == 5 and len(rest["items"]) == 7 and rest["next_cursor"] is None
    assert_problem(await desk.get("/visits", params={"cursor": "nonsense"}), 422, "invalid_cursor")


async def test_plan_for_named_units_and_a_station(desk, warranty):
    warranty.add_unit("KFR72-000002", region="harbin", accepted_on="2025-01-10", through="2028-01-10")
    response = await desk.post("/visits/plan", json={"serial_numbers": [SERIAL, "kfr72-000002", "NOSUCH-0002"],
                                                     "station": "st-jinan-07"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["planned"] == 24 and answer["units"] == [SERIAL, "KFR72-000002"]
    assert answer["problems"] == [{"serial_number": "NOSUCH-0002", "code": "unit_not_found",
                                   "message": "Warranty has no unit NOSUCH-0002"}]
    harbin = await visits_of(desk, "KFR72-000002")
    assert harbin[0]["due_on"] == "2025-06-16" and {v["station"] for v in harbin} == {"ST-JINAN-07"}
    again = (await desk.post("/visits/plan", json={"serial_numbers": [SERIAL]})).json()
    assert again["planned"] == 0 and again["cancelled"] == 0
    assert_problem(await desk.post("/visits/plan", json={}), 422, "validation_error")


async def test_a_contracts_visits_for_each_of_its_units_and_a_shortened_contract(desk, warranty, billing):
    warranty.add_unit("KFR72-000003", accepted_on="2020-01-10", through="2023-01-10")
    billing.add_contract(12, [SERIAL, "KFR72-000003"], [("2026-01-15", "inspection"), ("2026-06-01", "maintenance"),
                                                         ("2026-08-01", "inspection"), ("2026-11-15", "maintenance")])
    answer = (await desk.post("/visits/plan", json={"contract_id": 12})).json()
    assert answer["planned"] == 8 and answer["problems"] == []
    old = [v for v in await visits_of(desk, "KFR72-000003") if v["contract_id"]]
    assert len(await visits_of(desk, "KFR72-000003", due_to="2025-12-31")) == 12  # its warranty's, all missed
    assert [(v["due_on"], v["kind"], v["contract_id"], v["season"]) for v in old] == [
        ("2026-01-15", "inspection", 12, "heating"), ("2026-06-01", "maintenance", 12, "cooling"),
        ("2026-08-01", "inspection", 12, "cooling"), ("2026-11-15", "maintenance", 12, "heating")]
    maintenance = (await desk.get(f"/visits/{old[-1]['id']}")).json()
    assert [i["code"] for i in maintenance["checklist"]][0] == "m6_2_filter"
    billing.visits[12] = billing.visits[12][:2]  # cancelled early: the later visits go
    answer = (await desk.post("/visits/plan", json={"contract_id": 12})).json()
    assert answer["planned"] == 0 and answer["cancelled"] == 4
    statuses = {v["due_on"]: v["status"] for v in await visits_of(desk, "KFR72-000003", due_from="2026-01-01")}
    assert statuses == {"2026-01-15": "missed", "2026-06-01": "missed", "2026-08-01": "cancelled",
                        "2026-11-15": "cancelled"}
    missing = (await desk.post("/visits/plan", json={"contract_id": 99})).json()
    assert missing["problems"][0]["code"] == "contract_not_found"


async def test_a_contract_inspection_records_into_the_history_as_an_inspection(app, desk, warranty, billing):
    billing.add_contract(13, [SERIAL], [("2026-12-01", "inspection")])
    await desk.post("/visits/plan", json={"contract_id": 13})
    [visit] = [v for v in await visits_of(desk) if v["contract_id"] == 13]
    visit = (await desk.get(f"/visits/{visit['id']}")).json()
    assert (await desk.post(f"/visits/{visit['id']}/record", json=record_body(visit))).status_code == 200
    await visit_history.deliver_history(app.state.uow, upstreams(app), app.state.clock)
    assert warranty.records[0]["kind"] == "inspection"


async def test_a_station_sees_and_records_its_own_visits_only(app, desk):
    await desk.post("/visits/plan", json={"serial_numbers": [SERIAL], "station": "ST-JINAN-07"})
    [visit] = [v for v in await visits_of(desk) if v["due_on"] == "2026-10-31"]
    async with client(app, role="station", station="ST-JINAN-07", key_id="user:5", name="王磊") as mine, \
            client(app, role="station", station="ST-QINGDAO-01", key_id="user:6") as other:
        assert len((await mine.get("/visits", params={"due_from": "2026-11-23"})).json()["items"]) == 1
        assert (await other.get("/visits", params={"serial_number": SERIAL})).json()["items"] == []
        assert_problem(await other.get(f"/visits/{visit['id']}"), 404, "visit_not_found")
        full = (await mine.get(f"/visits/{visit['id']}")).json()
        body = record_body(full)
        assert_problem(await other.post(f"/visits/{visit['id']}/record", json=body), 404, "visit_not_found")
        done = (await mine.post(f"/visits/{visit['id']}/record", json=body)).json()
        assert done["status"] == "done" and done["record"]["technician"] == "王磊"
        assert done["record"]["by"] == {"kind": "user", "name": "王磊"}


async def test_two_first_lists_at_once_plan_each_visit_once(app):
    async with client(app) as one, client(app, key_id="other") as two:
        answers = await asyncio.gather(visits_of(one), visits_of(two))
    assert [len(a) for a in answers] == [12, 12]
    assert answers[0] == answers[1]


async def station_view(app, code: str, **params) -> list[tuple[str, str]]:
    async with client(app, role="station", station=code, key_id=f"user:{code}") as them:
        response = await them.get("/visits", params={"limit": 200, **params})
        assert response.status_code == 200, response.text
        return sorted({(v["serial_number"], v["region"]) for v in response.json()["items"]})


async def test_a_station_sees_the_visits_of_its_region_and_a_centre_those_of_its_stations_regions(app, desk, warranty):
    """Scope by the sites table: ST-JINAN-07 and SC-JINAN are in shandong, ST-QINGDAO-01 and SC-QD in qingdao."""
    warranty.add_unit("KFR72-000002", region="qingdao", accepted_on="2025-01-10", through="2028-01-10")
    warranty.add_unit("KFR72-000004", accepted_on="2025-01-10", through="2028-01-10")
    await desk.post("/visits/plan", json={"serial_numbers": [SERIAL, "KFR72-000002"]})
    # a shandong unit a Qingdao station was asked to look after: planned for it by name
    await desk.post("/visits/plan", json={"serial_numbers": ["KFR72-000004"], "station": "ST-QINGDAO-01"})
    shandong, qingdao = (SERIAL, "shandong"), ("KFR72-000002", "qingdao")
    named = ("KFR72-000004", "shandong")
    assert await station_view(app, "ST-JINAN-07") == [shandong, named]
    assert await station_view(app, "st-jinan-07") == [shandong, named]  # codes in any case
    assert await station_view(app, "SC-JINAN") == [shandong, named]
    assert await station_view(app, "ST-QINGDAO-01") == [qingdao, named]
    assert await station_view(app, "SC-QD") == [qingdao, named]  # the centre: its stations' regions and visits
    assert await station_view(app, "ST-NOWHERE") == []  # a code the sites table does not know: nothing
    # the desk asks what a station sees with ?station=
    listed = (await desk.get("/visits", params={"station": "ST-QINGDAO-01", "limit": 200})).json()["items"]
    assert sorted({v["serial_number"] for v in listed}) == ["KFR72-000002", "KFR72-000004"]
    [theirs] = [v for v in await visits_of(desk, "KFR72-000002") if v["status"] == "planned"][:1]
    async with client(app, role="station", station="ST-JINAN-07", key_id="user:9") as jinan:
        assert_problem(await jinan.get(f"/visits/{theirs['id']}"), 404, "visit_not_found")
    async with client(app, role="station", station="SC-QD", key_id="user:10") as centre:
        assert (await centre.get(f"/visits/{theirs['id']}")).status_code == 200


async def test_a_station_records_with_one_of_its_own_active_technicians(app, desk, people):
    """technician_id names an active technician of the caller's station (a centre: of it or its stations); the
    record names them as the organisation's table does, whatever name a client sent."""
    await visits_of(desk)
    async with client(app, role="station", station="ST-JINAN-07", key_id="user:5", name="王磊") as mine:
        visit = (await mine.get(f"/visits/{(await the_visit(desk, '2026-10-31'))['id']}")).json()
        assert [(t["name"], t["station"]) for t in visit["technicians"]] == [("张伟", "ST-JINAN-07"),
                                                                              ("王磊", "ST-JINAN-07")]
        body = record_body(visit)
        for someone in (people["刘洋"]["id"], people["赵敏"]["id"], people["陈静"]["id"], 999_999):
            refused = await mine.post(f"/visits/{visit['id']}/record", json={**body, "technician_id": someone})
            problem = assert_problem(refused, 422, "unknown_technician")
            assert problem["errors"][0]["field"] == "technician_id"
        assert (await mine.get(f"/visits/{visit['id']}")).json()["status"] == "planned"
        done = await mine.post(f"/visits/{visit['id']}/record", json={
            **body, "technician_id": people["张伟"]["id"], "technician": "别人的名字"})
        assert done.status_code == 200, done.text
        record = done.json()["record"]
        assert (record["technician_id"], record["technician"], record["station"]) == (
            people["张伟"]["id"], "张伟", "ST-JINAN-07")
        assert "technicians" not in done.json() or done.json()["technicians"] is None  # offered while planned only
    # a service centre's person records with one of its stations' technicians
    other = await the_visit(desk, "2027-02-28")
    async with client(app, role="station", station="SC-JINAN", key_id="user:6") as centre:
        offered = (await centre.get(f"/visits/{other['id']}")).json()["technicians"]
        assert [t["name"] for t in offered] == ["陈静", "张伟", "王磊"]
        early = await centre.post(f"/visits/{other['id']}/record", json={**record_body(other),
                                                                         "technician_id": people["刘洋"]["id"]})
        assert_problem(early, 422, "unknown_technician")


async def test_the_desk_records_with_an_active_technician_of_any_station(desk, people):
    visit = await the_visit(desk, "2026-10-31")
    # every active technician, those of the visit's region (shandong) first
    assert [t["name"] for t in visit["technicians"]] == ["陈静", "张伟", "王磊", "刘洋"]
    refused = await desk.post(f"/visits/{visit['id']}/record", json={**record_body(visit),
                                                                     "technician_id": people["赵敏"]["id"]})
    assert_problem(refused, 422, "unknown_technician")
    done = await desk.post(f"/visits/{visit['id']}/record", json={**record_body(visit),
                                                                  "technician_id": people["刘洋"]["id"]})
    assert done.status_code == 200 and done.json()["record"]["technician"] == "刘洋"
