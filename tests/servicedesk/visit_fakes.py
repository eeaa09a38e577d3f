"""Warranty and billing as planned visits use them (behind httpx.MockTransport), and the app to test them on."""

import base64
import re
import struct
import zlib
from contextlib import asynccontextmanager

import httpx

from services.servicedesk.main import create_app
from shared import context, identity

from helpers import TOKEN, asgi_client
from servicedesk_fakes import DeskInventory, DeskWarranty, FakeService, problem

CALENDARS = {
    "shandong": {"heating": {"start": "11-15", "end": "03-15"}, "cooling": {"start": "06-01", "end": "09-30"}},
    "harbin": {"heating": {"start": "10-20", "end": "04-20"}, "cooling": {"start": "07-01", "end": "08-31"}},
    "qingdao": {"heating": {"start": "11-15", "end": "03-31"}, "cooling": {"start": "06-15", "end": "09-15"}},
}


def png(width: int = 40, height: int = 20) -> bytes:
    """A real (white) PNG of that size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


SIGNATURE = base64.b64encode(png()).decode()


class VisitWarranty(DeskWarranty):
    """The desk's warranty fake, with whole unit records and season calendars."""

    routes = [*DeskWarranty.routes, ("GET", re.compile(r"/regions/(?P<region>[^/]+)"), "get_region")]

    def add_unit(self, serial: str, *, address: str | None = "12 Jingshi Road, Jinan", covered: bool = True,
                 accepted_on: str = "2024-03-01", through: str = "2027-03-01", region: str = "shandong",
                 model_code: str = "KFR-72LW"):
        self.units[serial] = {
            "serial_number": serial, "model_code": model_code, "product_name": "柜式空调",
            "site": {"name": "济南市中心医院", "address": address, "region": region}, "accepted_on": accepted_on,
            "terms": [{"component": "unit", "kind": "months", "length": 36, "covered_from": accepted_on,
                       "covered_through": through}],
            "project_code": None, "certificate": None, "policy_version": 1, "created_at": "2024-03-01T08:00:00Z",
            "covered": covered,
        }

    def get_region(self, request, *, region):
        found = CALENDARS.get(region)
        if not found:
            return problem(404, "region_not_found")
        return httpx.Response(200, json={"region": region, "version": 1, "effective_from": "2020-01-01", **found})


class VisitBilling(FakeService):
    routes = [
        ("GET", re.compile(r"/contracts/(?P<cid>\d+)"), "get_contract"),
        ("GET", re.compile(r"/contracts/(?P<cid>\d+)/visits"), "get_visits"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.contracts: dict[int, dict] = {}
        self.visits: dict[int, list[dict]] = {}

    def add_contract(self, cid: int, serials: list[str], visits: list[tuple[str, str]], **extra) -> None:
        self.contracts[cid] = {"id": cid, "customer": "济南市中心医院", "serial_numbers": serials,
                               "starts_on": "2025-01-01", "ends_on": "2025-12-31", "includes_labor": True,
                               "parts_discount_pct": "10.00", "region": "shandong", "status": "active",
                               "created_at": "2025-01-01T08:00:00Z", **extra}
        self.visits[cid] = [{"date": d, "kind": k} for d, k in visits]

    def get_contract(self, request, *, cid):
        found = self.contracts.get(int(cid))
        return httpx.Response(200, json=found) if found else problem(404, "contract_not_found")

    def get_visits(self, request, *, cid):
        return httpx.Response(200, json=self.visits[int(cid)])


def headers(role: str = "desk", *, station: str = "", key_id: str = "test-key", name: str = "") -> dict:
    caller = context.Caller(role=role, key_id=key_id, station=station, name=name,
                            kind="user" if key_id.startswith("user:") else "key")
    return {n.decode(): v.decode() for n, v in identity.headers(TOKEN, caller, request_id="")}


def make_app(desk_settings, clock, warranty, billing, inventory=None):
    transports = {"warranty": httpx.MockTransport(warranty.handler),
                  "inventory": httpx.MockTransport((inventory or DeskInventory()).handler),
                  "billing": httpx.MockTransport(billing.handler)}
    return create_app(desk_settings, clock=clock, transports=transports, deliver=False)


@asynccontextmanager
async def client(app, **who):
    async with asgi_client(app, headers=headers(**who)) as c:
        yield c


def all_items(visit: dict, result: str = "ok", **special) -> list[dict]:
    """Every checklist item with `result`, except those given (code=dict)."""
    return [special.get(item["code"], {"code": item["code"], "result": result}) for item in visit["checklist"]]


async def crew(desk) -> dict[str, dict]:
    """The organisation the visits' tests record with (domain.md section 7), made through `desk` (any client
    of the app) as an admin: SC-JINAN and its ST-JINAN-07 in shandong, SC-QD and its ST-QINGDAO-01 in
    qingdao; 王磊 and 张伟 at ST-JINAN-07, 刘洋 at ST-QINGDAO-01, 陈静 at SC-JINAN, 赵敏 (inactive) at
    ST-JINAN-07. The technicians by name."""
    admin = headers(role="admin")
    for code, kind, parent, region in (("SC-JINAN", "service_center", None, "shandong"),
                                       ("ST-JINAN-07", "repair_station", "SC-JINAN", "shandong"),
                                       ("SC-QD", "service_center", None, "qingdao"),
                                       ("ST-QINGDAO-01", "repair_station", "SC-QD", "qingdao")):
        made = await desk.post("/sites", json={"code": code, "name": f"网点 {code}", "kind": kind, "parent": parent,
                                               "region": region, "address": "解放路 1 号", "phone": "0531-8888 0000"},
                               headers=admin)
        assert made.status_code == 201, made.text
    people = {}
    for name, station, active in (("王磊", "ST-JINAN-07", True), ("张伟", "ST-JINAN-07", True),
                                  ("刘洋", "ST-QINGDAO-01", True), ("陈静", "SC-JINAN", True),
                                  ("赵敏", "ST-JINAN-07", False)):
        made = await desk.post("/technicians", json={"name": name, "phone": "13800000000", "station": station,
                                                     "active": active}, headers=admin)
        assert made.status_code == 201, made.text
        people[name] = made.json()
    return people


def offered(visit: dict, name: str = "王磊") -> int:
    """The id of the technician of that name the visit offers (a planned visit read alone offers them)."""
    return next(t["id"] for t in visit.get("technicians") or [] if t["name"] == name)


def record_body(visit: dict, *, items: list[dict] | None = None, **extra) -> dict:
    chosen = next((t["id"] for t in visit.get("technicians") or [] if t["name"] == "王磊"), 7)
    body = {"technician_id": chosen, "items": items if items is not None else all_items(visit),
            "customer": {"name": "李娜", "phone": "+86 531 8888 0001", "signature_png": SIGNATURE}}
    body.update(extra)
    return body
