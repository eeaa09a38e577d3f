"""What the service desk's end-to-end tests share: the organisation a dispatch needs (domain.md section 7),
set up through the API as an admin would. Dispatch is checked against it: a station that is not an open
site, or a technician who is not an active member of it, is 422."""

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Organisation:
    centre: str  # a service centre's code
    station: str  # a repair station of that centre
    station_name: str
    technician_id: int
    technician: str  # the technician's name


def organisation(admin, *, region: str = "shandong", technician: str = "王磊", tag: str = "") -> Organisation:
    """A service centre, one of its repair stations and an active technician of that station, with codes of
    their own (the platform runs once per session: other tests' sites stay)."""
    tag = tag or uuid.uuid4().hex[:6].upper()
    centre, station = f"SC-E2E-{tag}", f"ST-E2E-{tag}"
    station_name = f"济南第七维修站 {tag}"
    for site in ({"code": centre, "name": f"济南服务中心 {tag}", "kind": "service_center", "region": region,
                  "address": "济南市历下区经十路 9 号", "phone": "0531-8888 0000"},
                 {"code": station, "name": station_name, "kind": "repair_station", "parent": centre,
                  "region": region, "address": "济南市历下区解放路 105 号", "phone": "0531-8888 0007"}):
        made = admin.post("/servicedesk/sites", json=site)
        assert made.status_code == 201, made.text
    made = admin.post("/servicedesk/technicians", json={
        "name": technician, "phone": "13800000007", "station": station, "skills": ["cooling", "electrical"]})
    assert made.status_code == 201, made.text
    return Organisation(centre, station, station_name, made.json()["id"], technician)
