"""Warranty is not scoped by station (domain.md section 7 scopes tickets and stock, not the customer archive):
a station person or a station-bound key reads every unit and files claims and service records for any unit,
as a station key without a station does."""

import pytest

from shared import context, identity

from helpers import TOKEN
from warranty_support import certificate, unit_body

pytestmark = pytest.mark.anyio


def station_caller(station: str, kind: str = "user") -> dict:
    caller = context.Caller(role="station", key_id="user:21" if kind == "user" else "k_st", kind=kind,
                            name="孙师傅", station=station)
    return {k.decode(): v.decode() for k, v in identity.headers(TOKEN, caller, request_id="req-station")}


@pytest.fixture
async def units(warranty):
    for serial, region in (("JN-000001", "shandong"), ("HB-000001", "harbin")):
        assert (await warranty.post("/units", json=unit_body(serial=serial, region=region))).status_code == 201


@pytest.mark.parametrize(("station", "kind"), [("ST-JINAN-07", "user"), ("SC-JINAN", "user"),
                                               ("ST-JINAN-07", "key"), ("", "key")])
async def test_a_station_caller_reads_any_unit_and_files_claims_for_it(warranty, units, station, kind):
    headers = station_caller(station, kind)
    for serial in ("JN-000001", "HB-000001"):  # a unit of another region than the station's, too
        assert (await warranty.get(f"/units/{serial}", headers=headers)).status_code == 200
        assert (await warranty.get(f"/units/{serial}/coverage", headers=headers)).status_code == 200
        assert (await warranty.get(f"/units/{serial}/history", headers=headers)).status_code == 200
        claim = await warranty.post("/claims", headers=headers, json={
            "serial_number": serial, "failed_on": "2025-07-01", "component": "unit", "causes": ["quality_defect"],
            "certificate": certificate(serial=serial)})
        assert claim.status_code == 201 and claim.json()["decision"] == "approved"
        assert (await warranty.get(f"/claims/{claim.json()['id']}", headers=headers)).status_code == 200
        record = await warranty.post(f"/units/{serial}/service-records", headers=headers, json={
            "kind": "repair", "performed_on": "2025-07-02", "technician": "孙师傅"})
        assert record.status_code == 201
    listed = (await warranty.get("/units", headers=headers)).json()["items"]
    assert [u["serial_number"] for u in listed] == ["HB-000001", "JN-000001"]
