"""Hand-written fakes of warranty and inventory as the service desk uses them, behind httpx.MockTransport.

Like billing's fakes: state kept like the real services, Idempotency-Key
honoured, faults scripted per operation (each call takes the next planned
mode; None behaves): down (connection refused), timeout, error (500), slow (5 s), lost
(the effect happens, the answer is lost).
"""

import asyncio
import json
import re
from collections import defaultdict, deque

import httpx


def problem(status: int, code: str, detail: str = "", **extra) -> httpx.Response:
    body = {"type": f"https://errors.example/{code}", "title": code, "status": status,
            "detail": detail or code, "code": code, "request_id": "fake", **extra}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


class FakeService:
    routes: list = []

    def __init__(self) -> None:
        self.faults: dict[str, deque] = defaultdict(deque)
        self.calls: list[str] = []

    def plan(self, operation: str, *modes: str | None) -> None:
        self.faults[operation].extend(modes)

    def count(self, operation: str) -> int:
        return self.calls.count(operation)

    async def handler(self, request: httpx.Request) -> httpx.Response:
        found = [(pattern.fullmatch(request.url.path), name) for method, pattern, name in self.routes
                 if method == request.method]
        match, operation = next(((m, name) for m, name in found if m), (None, None))
        if match is None:
            return problem(404, "not_found", f"No route for {request.method} {request.url.path}")
        self.calls.append(operation)
        mode = self.faults[operation].popleft() if self.faults[operation] else None
        if mode == "down":
            raise httpx.ConnectError("connection refused", request=request)
        if mode == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if mode == "error":
            return httpx.Response(500, json={"code": "internal_error"})
        if mode == "slow":
            await asyncio.sleep(5)
        response = getattr(self, operation)(request, **match.groupdict())
        if mode == "lost":
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


class DeskWarranty(FakeService):
    routes = [
        ("GET", re.compile(r"/units/(?P<serial>[^/]+)"), "get_unit"),
        ("GET", re.compile(r"/units/(?P<serial>[^/]+)/coverage"), "get_coverage"),
        ("POST", re.compile(r"/units/(?P<serial>[^/]+)/service-records"), "add_record"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.units: dict[str, dict] = {}
        self.records: list[dict] = []
        self.answers: dict[str, dict] = {}

    def add_unit(self, serial: str, *, address: str | None = "12 Jingshi Road, Jinan", covered: bool = True,
                 model_code: str = "KFR-72LW", region: str = "shandong"):
        self.units[serial] = {"serial_number": serial, "model_code": model_code, "product_name": "Split AC",
                              "site": {"name": "Site", "address": address, "region": region}, "project_code": None,
                              "accepted_on": "2024-03-01", "certificate": None, "policy_version": 1, "terms": [],
                              "created_at": "2024-03-01T08:00:00Z", "covered": covered}

    def get_unit(self, request, *, serial):
        unit = self.units.get(serial)
        return httpx.Response(200, json=unit) if unit else problem(404, "unit_not_found")

    def get_coverage(self, request, *, serial):
        unit = self.units.get(serial)
        if unit is None:
            return problem(404, "unit_not_found")
        on = request.url.params["on"]
        return httpx.Response(200, json={"serial_number": serial, "on": on, "components": [
            {"component": c, "covered": unit["covered"], "covered_from": "2024-03-01",
             "covered_through": "2027-03-01", "days_left": 100, "reason": None if unit["covered"] else "term_expired"}
            for c in ("unit", "cooling_system")]})

    def add_record(self, request, *, serial):
        key = request.headers.get("idempotency-key")
        if key in self.answers:
            return httpx.Response(201, json=self.answers[key])
        if serial not in self.units:
            return problem(404, "unit_not_found")
        answer = {"id": len(self.records) + 1, "serial_number": serial, **json.loads(request.content)}
        self.records.append({"key": key, **answer})
        if key:
            self.answers[key] = answer
        return httpx.Response(201, json=answer)


class DeskInventory(FakeService):
    routes = [
        ("POST", re.compile(r"/reservations"), "reserve"),
        ("POST", re.compile(r"/reservations/(?P<rid>\d+)/release"), "release"),
        ("GET", re.compile(r"/models/(?P<code>[^/]+)"), "get_model"),
        ("GET", re.compile(r"/parts/(?P<code>[^/]+)"), "get_part"),
    ]

    def __init__(self) -> None:
        super().__init__()
        # `loaner_class` of models and parts, as inventory answers them (None: a model or part without one).
        self.model_classes: dict[str, str | None] = {"KFR-72LW": "split_wall_7.2kW"}
        self.part_classes: dict[str, str | None] = {"LOANER-KFR72": "split_wall_7.2kW", "FAN-1": None,
                                                    "LOANER-KFR35": "split_wall_3.5kW"}
        self.stock: dict[tuple[str, str], int] = {}
        self.reservations: dict[int, dict] = {}
        self.answers: dict[str, tuple[str, dict]] = {}

    def reserve(self, request):
        key = request.headers.get("idempotency-key")
        raw = request.content.decode()
        if key in self.answers:
            fingerprint, answer = self.answers[key]
            if fingerprint != raw:
                return problem(422, "idempotency_key_reused")
            return httpx.Response(201, json=answer)
        body = json.loads(raw)
        [line] = body["lines"]
        spot = (body["warehouse"], line["part_number"])
        if self.stock.get(spot, 0) < line["qty"]:
            return problem(409, "insufficient_stock", shortages=[
                {"part_number": line["part_number"], "requested": line["qty"], "available": self.stock.get(spot, 0)}])
        self.stock[spot] -= line["qty"]
        rid = len(self.reservations) + 1
        answer = {"id": rid, "status": "active", "expires_at": "2027-03-01T00:00:00Z", "reference": body["reference"],
                  "warehouse": body["warehouse"], "lines": body["lines"]}
        self.reservations[rid] = answer
        if key:
            self.answers[key] = (raw, answer)
        return httpx.Response(201, json=answer)

    def get_model(self, request, *, code):
        if code not in self.model_classes:
            return problem(404, "model_not_found")
        return httpx.Response(200, json={"model_code": code, "name": code, "discontinued_on": None,
                                         "guaranteed_through": None, "loaner_class": self.model_classes[code]})

    def get_part(self, request, *, code):
        if code not in self.part_classes:
            return problem(404, "part_not_found")
        return httpx.Response(200, json={"part_number": code, "name": code, "uom": "pcs", "status": "active",
                                         "loaner_class": self.part_classes[code]})

    def release(self, request, *, rid):
        reservation = self.reservations.get(int(rid))
        if reservation is None:
            return problem(404, "reservation_not_found")
        if reservation["status"] != "active":
            return problem(409, "reservation_not_active")
        reservation["status"] = "released"
        line = reservation["lines"][0]
        self.stock[(reservation["warehouse"], line["part_number"])] += line["qty"]
        return httpx.Response(200, json=reservation)
