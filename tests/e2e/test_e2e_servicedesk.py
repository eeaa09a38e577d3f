"""The service desk end to end: real processes behind the real gateway, as `make run` starts them."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from desk_support import organisation

pytestmark = pytest.mark.e2e

UNIT = {"serial_number": "KFR72-DESK01", "model_code": "KFR-72LW", "product_name": "Cabinet air conditioner",
        "site": {"name": "Jinan Central Hospital", "address": "16 Jingwu Road, Jinan", "region": "shandong"},
        "accepted_on": "2025-03-01", "certificate": {"number": "WC-DESK-01"}}


def wait_for(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


def ago(**delta) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def org(platform):
    with platform.client() as admin:
        return organisation(admin, technician="Wang Lei")


@pytest.fixture(scope="module")
def keys(platform, org):
    with platform.client() as admin:
        created = admin.post("/warranty/units", json=UNIT)
        assert created.status_code in (201, 409), created.text
        keys = {role: admin.post("/admin/api-keys", json={"role": role, "name": f"e2e {role}"}).json()["key"]
                for role in ("desk", "station")}
        made = admin.post("/admin/api-keys", json={"role": "station", "name": "e2e our station",
                                                    "station": org.station})
        assert made.status_code == 201, made.text
        keys["our_station"] = made.json()["key"]
        return keys


def test_a_dispatch_to_a_station_that_is_not_set_up_is_refused(platform, keys, org):
    with platform.client(keys["desk"]) as desk:
        tid = desk.post("/servicedesk/tickets", json={
            "serial_number": "KFR72-DESK01", "caller": {"name": "Li Na", "phone": "13800000001"},
            "description": "Noisy fan", "level": 4}).json()["id"]
        unknown = desk.post(f"/servicedesk/tickets/{tid}/dispatch", json={"technician": "Wang Lei", "station": "ST-07"})
        assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_station"
        nobody = desk.post(f"/servicedesk/tickets/{tid}/dispatch", json={"technician": "Zhang San",
                                                                          "station": org.station})
        assert nobody.status_code == 422 and nobody.json()["code"] == "unknown_technician"
        offered = desk.get(f"/servicedesk/tickets/{tid}/stations").json()
        assert org.station in [s["code"] for s in offered["items"]], offered
        assert desk.post(f"/servicedesk/tickets/{tid}/cancel", json={"reason": "e2e"}).status_code == 200


def test_a_report_to_a_closed_ticket_with_a_follow_up_and_a_complaint(platform, keys, org):
    with platform.client(keys["desk"]) as desk, platform.client(keys["our_station"]) as station:
        created = desk.post("/servicedesk/tickets", json={
            "serial_number": "KFR72-DESK01", "caller": {"name": "Li Na", "phone": "13800000001"},
            "description": "No cooling in ward 3", "level": 3, "reported_at": ago(hours=5)})
        assert created.status_code == 201, created.text
        ticket = created.json()
        tid = ticket["id"]
        assert ticket["status"] == "open" and ticket["unit_known"] is True and ticket["coverage"]
        dispatched = desk.post(f"/servicedesk/tickets/{tid}/dispatch", json={
            "technician_id": org.technician_id, "station": org.station, "at": ago(hours=4, minutes=50)})
        assert dispatched.status_code == 200, dispatched.text
        assert dispatched.json()["technician"] == "Wang Lei" and dispatched.json()["station"] == org.station
        assert station.post(f"/servicedesk/tickets/{tid}/dispatch", json={
            "technician": "X", "station": "Y"}).status_code == 403
        assert station.post(f"/servicedesk/tickets/{tid}/arrive", json={
            "technician": "Wang Lei", "at": ago(hours=3)}).status_code == 200
        resolved = station.post(f"/servicedesk/tickets/{tid}/resolve", json={
            "technician": "Wang Lei", "summary": "Replaced the fan motor", "at": ago(hours=1),
            "parts_replaced": [{"part_number": "FAN-OUT-72", "qty": 1}]})
        assert resolved.status_code == 200 and resolved.json()["follow_up"]["due_at"]
        delivered = wait_for(lambda: desk.get(f"/servicedesk/tickets/{tid}").json()["history_delivered"])
        assert delivered is True
        history = desk.get("/warranty/units/KFR72-DESK01/history").json()["items"]
        repairs = [h for h in history if h["kind"] == "repair"]
        assert len(repairs) == 1 and ticket["number"] in repairs[0]["notes"]
        closed = desk.post(f"/servicedesk/tickets/{tid}/follow-up", json={
            "reached": True, "satisfaction": 1, "notes": "Came late"})
        assert closed.status_code == 200 and closed.json()["status"] == "closed"
        [complaint] = desk.get("/servicedesk/complaints", params={"ticket_id": tid}).json()["items"]
        assert complaint["source"] == "follow_up" and complaint["status"] == "open"
        answered = desk.post(f"/servicedesk/complaints/{complaint['id']}/answer",
                             json={"by": "Zhao Min", "notes": "Apologised; a supervisor will call"})
        assert answered.status_code == 200 and answered.json()["status"] == "answered"


def test_a_breached_level_1_ticket_gets_a_loaner_from_inventory(platform, keys):
    with platform.client() as admin:
        # A loaner is a part of a class (相同档次): the unit's model may name one, else any loaner serves.
        assert admin.post("/inventory/parts", json={
            "part_number": "LOANER-72", "name": "Loaner cabinet unit", "uom": "pcs", "list_price": "3000.00",
            "out_of_warranty_price": "3000.00", "loaner_class": "cabinet_7.2kW"}).status_code in (201, 409)
        assert admin.post("/inventory/warehouses", json={
            "code": "SC-LOAN", "name": "Jinan loaners", "kind": "service_center", "region": "shandong"
        }).status_code in (201, 409)
        assert admin.post("/inventory/receipts", json={
            "warehouse": "SC-LOAN", "part_number": "LOANER-72", "qty": 1, "reference": "PO-LOAN"}).status_code == 201
    with platform.client(keys["desk"]) as desk:
        ticket = desk.post("/servicedesk/tickets", json={
            "serial_number": "KFR72-DESK01", "caller": {"name": "Li Na", "phone": "13800000001"},
            "description": "System down", "level": 1, "reported_at": ago(days=3)}).json()
        fixed = next(m for m in ticket["milestones"] if m["name"] == "fixed")
        assert fixed["state"] == "breached" and ticket["loaner"]["status"] == "due"
        breached = desk.get("/servicedesk/tickets", params={"state": "breached", "level": 1}).json()["items"]
        assert ticket["id"] in [t["id"] for t in breached]
        lent = desk.post(f"/servicedesk/tickets/{ticket['id']}/loaner",
                         json={"warehouse": "SC-LOAN", "part_number": "LOANER-72"})
        assert lent.status_code == 201, lent.text
        reservation_id = lent.json()["loaner"]["reservation_id"]
        reservation = desk.get(f"/inventory/reservations/{reservation_id}").json()
        assert reservation["status"] == "active" and ticket["number"] in reservation["reference"]
        again = desk.post(f"/servicedesk/tickets/{ticket['id']}/loaner",
                          json={"warehouse": "SC-LOAN", "part_number": "LOANER-72"})
        assert again.status_code == 409 and again.json()["code"] == "loaner_not_due"


def test_a_report_is_taken_while_warranty_is_stopped(platform, keys):
    platform.stop_service("warranty")
    try:
        with platform.client(keys["desk"]) as desk:
            created = desk.post("/servicedesk/tickets", json={
                "serial_number": "KFR72-DESK01", "caller": {"name": "Li Na", "phone": "13800000001"},
                "description": "Water leaking", "level": 2})
            assert created.status_code == 201, created.text
            ticket = created.json()
            assert ticket["coverage_pending"] is True and ticket["coverage"] is None
    finally:
        platform.start_service("warranty")
    with platform.client(keys["desk"]) as desk:
        filled = wait_for(lambda: (lambda t: t if not t["coverage_pending"] else None)(
            desk.get(f"/servicedesk/tickets/{ticket['id']}").json()), timeout=60)
        assert filled["unit_known"] is True and filled["coverage"] and filled["status"] == "open"
