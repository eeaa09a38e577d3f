"""Hand-written fakes of the warranty and inventory services, behind httpx.MockTransport.

They keep state like the real services (units, claims, reservations), honour
Idempotency-Key the way their contracts say, and count the calls that had an
effect. Faults are scripted per operation: each call takes the next planned
mode (None behaves), so "the 2nd consume fails" is `plan("consume", None, "down")`.

Modes: down (connection refused), timeout (no answer), error (500),
busy (409 idempotency_in_progress), lost (the effect happens, the answer is lost),
hold (wait for `release()` before answering: a request still in flight).
"""

import asyncio
import json
import re
import time
from collections import defaultdict, deque

import httpx


def calendar(heating: str, cooling: str) -> dict:
    (h_start, h_end), (c_start, c_end) = heating.split(), cooling.split()
    return {"heating": {"start": h_start, "end": h_end}, "cooling": {"start": c_start, "end": c_end}}


DEFAULT_REGIONS = {
    "shandong": calendar("11-15 03-15", "06-01 09-30"),
    "beijing": calendar("11-15 03-15", "06-01 09-15"),
    "harbin": calendar("10-20 04-20", "07-01 08-31"),
}
COMPONENTS = {"unit", "electrical_lines", "water_piping", "installation", "heating_system", "cooling_system"}
EXCLUSIONS = {
    "improper_use": "excluded_misuse", "improper_maintenance": "excluded_misuse",
    "improper_storage": "excluded_misuse", "improper_transport": "excluded_misuse",
    "unstable_power_supply": "excluded_power_supply", "harsh_environment": "excluded_abnormal_use",
    "modified_wiring": "excluded_abnormal_use", "replaced_internal_parts": "excluded_abnormal_use",
    "force_majeure": "excluded_force_majeure", "natural_disaster": "excluded_force_majeure",
    "accident": "excluded_force_majeure",
}
KNOWN_CAUSES = {*EXCLUSIONS, "quality_defect", "unknown"}


def problem(status: int, code: str, detail: str = "", **extra) -> httpx.Response:
    body = {"type": f"https://errors.example/{code}", "title": code, "status": status,
            "detail": detail or code, "code": code, "request_id": "fake", **extra}
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


class FakeService:
    routes: list[tuple[str, re.Pattern, str]] = []

    def __init__(self) -> None:
        self.faults: dict[str, deque] = defaultdict(deque)
        self.calls: list[str] = []
        self.requests: list[httpx.Request] = []  # every request, as received
        self.abandoned_at: list[float] = []  # when the caller gave up a held call (Unix time)
        self.gate = asyncio.Event()
        self.observers: list = []  # called with the operation name on every call, before it is answered

    def plan(self, operation: str, *modes: str | None) -> None:
        self.faults[operation].extend(modes)

    def release(self) -> None:
        self.gate.set()

    def count(self, operation: str) -> int:
        return self.calls.count(operation)

    async def handler(self, request: httpx.Request) -> httpx.Response:
        found = [(pattern.fullmatch(request.url.path), operation) for method, pattern, operation in self.routes
                 if method == request.method]
        match, operation = next(((m, op) for m, op in found if m), (None, None))
        if match is None:
            return problem(404, "not_found", f"No route for {request.method} {request.url.path}")
        self.calls.append(operation)
        self.requests.append(request)
        for observe in self.observers:
            observe(operation)
        mode = self.faults[operation].popleft() if self.faults[operation] else None
        if mode == "down":
            raise httpx.ConnectError("connection refused", request=request)
        if mode == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if mode == "error":
            return httpx.Response(500, json={"code": "internal_error"})
        if mode == "busy":
            return problem(409, "idempotency_in_progress")
        if mode == "hold":
            try:
                await self.gate.wait()
            except asyncio.CancelledError:
                self.abandoned_at.append(time.time())
                raise
        response = getattr(self, operation)(request, **match.groupdict())
        if mode == "lost":
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


class FakeWarranty(FakeService):
    routes = [
        ("GET", re.compile(r"/units/(?P<serial>[^/]+)"), "get_unit"),
        ("GET", re.compile(r"/regions/(?P<region>[^/]+)"), "get_region"),
        ("POST", re.compile(r"/claims"), "post_claim"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.units: dict[str, dict] = {}
        self.regions = {name: dict(seasons) for name, seasons in DEFAULT_REGIONS.items()}
        self.claims: list[dict] = []
        self.answers: dict[str, tuple[str, dict]] = {}

    def add_unit(self, serial: str, *, region: str | None = "shandong", model_code: str = "KFR-72LW",
                 product_name: str = "Split air conditioner") -> dict:
        # Registered without a region, a unit is in warranty's default one (its answer always names one).
        self.units[serial] = {
            "serial_number": serial, "model_code": model_code, "product_name": product_name,
            "site": {"name": "Site of " + serial, "address": None, "region": region or "shandong"},
            "project_code": None, "accepted_on": "2020-05-01", "certificate": None, "policy_version": 1,
            "terms": [], "created_at": "2020-05-01T08:00:00Z",
        }
        return self.units[serial]

    def get_unit(self, request, *, serial):
        unit = self.units.get(serial.upper())
        return httpx.Response(200, json=unit) if unit else problem(404, "unit_not_found")

    def get_region(self, request, *, region):
        seasons = self.regions.get(region)
        if seasons is None:
            return problem(404, "region_not_found")
        return httpx.Response(200, json={"region": region, "version": 1, "effective_from": "2020-01-01",
                                         **seasons})

    def post_claim(self, request):
        key = request.headers.get("idempotency-key")
        raw = request.content.decode()
        if key in self.answers:
            fingerprint, answer = self.answers[key]
            if fingerprint != raw:
                return problem(422, "idempotency_key_reused")
            return httpx.Response(201, json=answer, headers={"Idempotent-Replayed": "true"})
        body = json.loads(raw)
        unknown = [c for c in body["causes"] if c not in KNOWN_CAUSES]
        if unknown or body["component"] not in COMPONENTS:
            field = "causes.0" if unknown else "component"
            return problem(422, "validation_error", "The request is not valid",
                           errors=[{"field": field, "message": "unknown code"}])
        if body["serial_number"] not in self.units:
            return problem(404, "unit_not_found")
        reasons = sorted({EXCLUSIONS[c] for c in body["causes"] if c in EXCLUSIONS})
        certificate = body.get("certificate")
        if certificate is None or certificate.get("altered"):
            reasons.append("excluded_certificate")
        answer = {
            "id": len(self.claims) + 1, "serial_number": body["serial_number"],
            "decision": "rejected" if reasons else "approved",
            "reasons": [{"code": r, "message": f"Excluded: {r}"} for r in reasons],
            "failed_on": body["failed_on"], "component": body["component"], "causes": body["causes"],
            "certificate": certificate, "description": body.get("description"),
            "covered_from": "2020-05-01", "covered_through": "2027-05-01", "policy_version": 1,
            "created_at": "2026-03-01T08:00:00Z", "site": self.units[body["serial_number"]]["site"],
        }
        self.claims.append({"key": key, **body, **answer})
        if key:
            self.answers[key] = (raw, answer)
        return httpx.Response(201, json=answer)


class FakeInventory(FakeService):
    routes = [
        ("GET", re.compile(r"/reservations/(?P<rid>\d+)"), "get_reservation"),
        ("POST", re.compile(r"/reservations/(?P<rid>\d+)/consume"), "consume"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.reservations: dict[int, dict] = {}
        self.answers: dict[str, dict] = {}
        self.consumed: list[tuple[int, str]] = []  # (reservation id, key) of every consume that had an effect

    def add_reservation(self, *lines: tuple[str, str, int, str, str], status: str = "active") -> int:
        rid = 100 + len(self.reservations) + 1
        self.reservations[rid] = {
            "id": rid, "warehouse": "SC-JINAN", "reference": f"REP-{rid}", "status": status,
            "created_at": "2026-03-01T08:00:00Z", "expires_at": "2026-03-04T08:00:00Z", "closed_at": None,
            "lines": [
                {"part_number": pn, "name": name, "uom": "pcs", "qty": qty, "consumed_qty": 0, "list_price": lp,
                 "out_of_warranty_price": oow}
                for pn, name, qty, lp, oow in lines
            ],
        }
        return rid

    def consumes_of(self, rid: int) -> int:
        return sum(1 for consumed, _key in self.consumed if consumed == rid)

    def get_reservation(self, request, *, rid):
        reservation = self.reservations.get(int(rid))
        return httpx.Response(200, json=reservation) if reservation else problem(404, "reservation_not_found")

    def consume(self, request, *, rid):
        key = request.headers.get("idempotency-key")
        assert key, "billing must consume with an Idempotency-Key"
        if key in self.answers:
            return httpx.Response(200, json=self.answers[key], headers={"Idempotent-Replayed": "true"})
        reservation = self.reservations.get(int(rid))
        if reservation is None:
            return problem(404, "reservation_not_found")
        if reservation["status"] != "active":
            return problem(409, "reservation_not_active", f"Reservation {rid} is {reservation['status']}")
        reservation["status"] = "consumed"
        for line in reservation["lines"]:
            line["consumed_qty"] = line["qty"]
        self.consumed.append((int(rid), key))
        self.answers[key] = json.loads(json.dumps(reservation))
        return httpx.Response(200, json=self.answers[key])
