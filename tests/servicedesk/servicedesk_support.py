from datetime import UTC, datetime

from services.servicedesk import clients, outbox
from services.servicedesk.domain.calendar import CHINA

SERIAL = "KFR72-000001"
CALLER = {"name": "Li Na", "phone": "+86 531 8888 0001"}


def z(cst: str) -> str:
    """A China Standard Time wall clock as the wire's UTC text."""
    return datetime.fromisoformat(cst).replace(tzinfo=CHINA).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def report(level: int = 3, **extra) -> dict:
    body = {"serial_number": SERIAL, "caller": CALLER, "description": "No cooling", "level": level}
    body.update(extra)
    return body


async def deliver(app) -> int:
    return await outbox.deliver_due(app.state.uow, clients.upstreams(app), app.state.clock)


def milestone(ticket: dict, name: str) -> dict:
    return next(m for m in ticket["milestones"] if m["name"] == name)


async def add_site(client, code: str, *, kind: str = "repair_station", parent: str | None = "SC-JINAN",
                   region: str = "shandong", **extra) -> dict:
    body = {"code": code, "name": f"站 {code}", "kind": kind, "region": region, "address": "济南市解放路 1 号",
            "phone": "0531-8888 0000", **extra}
    if kind == "repair_station":
        body["parent"] = parent
    response = await client.post("/sites", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def add_technician(client, name: str, station: str, **extra) -> dict:
    response = await client.post("/technicians", json={"name": name, "phone": "13800000000", "station": station,
                                                       "skills": ["cooling"], **extra})
    assert response.status_code == 201, response.text
    return response.json()


async def organisation(client) -> dict[str, dict]:
    """A centre and its stations, each with technicians; the technicians by `name@station`."""
    await add_site(client, "SC-JINAN", kind="service_center")
    people = {}
    for station, names in (("ST-07", ("Wang Lei", "W")), ("S", ("W",)), ("S1", ("A", "W")), ("S2", ("B", "W")),
                           ("ST-9", ("W",))):
        await add_site(client, station)
        for name in names:
            people[f"{name}@{station}"] = await add_technician(client, name, station)
    return people


def caller_headers(role: str = "desk", *, kind: str = "key", name: str = "", station: str = "",
                   key_id: str = "test-key") -> dict:
    """The signed headers of a caller with a kind, a display name and a station (shared/identity.py)."""
    from shared import context, identity

    from helpers import TOKEN

    caller = context.Caller(role=role, key_id=key_id, kind=kind, name=name, station=station)
    return {k.decode(): v.decode() for k, v in identity.headers(TOKEN, caller, request_id="")}
