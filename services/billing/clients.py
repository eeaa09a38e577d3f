"""Typed calls to the warranty and inventory services (HTTP only, never their code).

Connection failures, timeouts and 5xx are turned into UpstreamUnavailable /
UpstreamTimeout by shared.http; here the answers that mean something to
billing become its domain errors, and anything else a service should never
answer is treated as that service being unavailable.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import FastAPI

from services.billing import errors as billing_errors
from shared import errors, money, peers
from shared.http import ServiceClient
from shared.seasons import Season


@dataclass(frozen=True, slots=True)
class Unit:
    serial_number: str
    region: str | None
    site_name: str | None = None
    site_address: str | None = None


@dataclass(frozen=True, slots=True)
class Calendar:
    region: str
    heating: Season
    cooling: Season


@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    decision: str
    reasons: list[dict]


@dataclass(frozen=True, slots=True)
class ReservedPart:
    part_number: str
    name: str
    qty: int
    consumed_qty: int | None
    list_price: Decimal
    out_of_warranty_price: Decimal

    def to_json(self) -> dict:
        return {
            "part_number": self.part_number, "name": self.name, "qty": self.qty,
            "consumed_qty": self.consumed_qty, "list_price": money.to_wire(self.list_price),
            "out_of_warranty_price": money.to_wire(self.out_of_warranty_price),
        }


@dataclass(frozen=True, slots=True)
class Reservation:
    id: int
    status: str
    lines: tuple[ReservedPart, ...]


def _money(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value)) if isinstance(value, (str, int)) else None
    except InvalidOperation:
        amount = None
    # A price below the fen or negative is a data error at inventory: refuse before any effect.
    if amount is None or not amount.is_finite() or amount < 0 or money.quantize(amount) != amount:
        raise peers.BadAnswer(f"The inventory service gave a price billing cannot use: {value!r}")
    return amount


def _count(value: Any, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise peers.BadAnswer(f"The inventory service gave a quantity billing cannot use: {value!r}")
    return value


def parse_part(line: dict) -> ReservedPart:
    try:
        return ReservedPart(
            part_number=str(line["part_number"]), name=str(line.get("name") or ""),
            qty=_count(line["qty"]), consumed_qty=_count(line.get("consumed_qty"), optional=True),
            list_price=_money(line["list_price"]),
            out_of_warranty_price=_money(line["out_of_warranty_price"]),
        )
    except (KeyError, TypeError):
        raise peers.BadAnswer("The inventory service gave a reservation line without its fields") from None


def parse_reservation(body: dict) -> Reservation:
    try:
        return Reservation(
            id=int(body["id"]), status=str(body["status"]),
            lines=tuple(parse_part(line) for line in body["lines"]),
        )
    except (KeyError, TypeError, ValueError):
        raise peers.BadAnswer("The inventory service gave a reservation without its fields") from None


def _text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    return str(value).strip()[:limit] or None


class WarrantyClient:
    name = "warranty"

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def get_unit(self, serial_number: str) -> Unit:
        body = await peers.get_json(self.client, f"/units/{quote(serial_number, safe='')}", absent="unit_not_found")
        if body is None:
            raise billing_errors.UnitNotFound(f"No unit with serial number {serial_number}")
        site = body.get("site") if isinstance(body.get("site"), dict) else {}
        return Unit(serial_number=str(body.get("serial_number", serial_number)), region=site.get("region"),
                    site_name=_text(site.get("name"), 200), site_address=_text(site.get("address"), 300))

    async def get_calendar(self, region: str) -> Calendar:
        body = await peers.get_json(self.client, f"/regions/{quote(region, safe='')}", absent="region_not_found")
        if body is None:
            raise billing_errors.RegionNotFound(f"No season calendar for region {region}")
        try:
            return Calendar(
                region=str(body.get("region", region)),
                heating=peers.season(body["heating"]),
                cooling=peers.season(body["cooling"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise peers.BadAnswer(f"The warranty service gave an unreadable calendar for {region}") from None

    async def post_claim(self, *, idempotency_key: str, claim: dict) -> Claim:
        response = await self.client.request("POST", "/claims", idempotency_key=idempotency_key, json=claim)
        code = peers.problem_code(response)
        if response.status_code == 404 and code == "unit_not_found":
            raise billing_errors.UnitNotFound(f"No unit with serial number {claim['serial_number']}")
        if response.status_code == 422 and code == "validation_error":
            detail = response.json().get("detail") or "The warranty service refused the claim"
            raise errors.Unprocessable(detail, errors=response.json().get("errors") or [])
        if response.status_code not in (200, 201):
            raise peers.unexpected(self.name, response)
        body = peers.json_object(self.name, response)
        try:
            decision = body["decision"]
            if decision not in ("approved", "rejected"):
                raise ValueError(decision)
            reasons = [{"code": str(r["code"]), "message": str(r["message"])}
                       for r in body.get("reasons") or []]
            return Claim(id=int(body["id"]), decision=decision, reasons=reasons)
        except (KeyError, TypeError, ValueError):
            raise peers.BadAnswer("The warranty service gave a claim decision billing cannot read") from None


class InventoryClient:
    name = "inventory"

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def _refusal(self, reservation_id: int, response: httpx.Response) -> errors.ServiceError:
        code = peers.problem_code(response)
        if response.status_code == 404 and code == "reservation_not_found":
            return billing_errors.ReservationNotFound(f"No reservation {reservation_id}")
        if response.status_code == 409 and code == "reservation_not_active":
            return billing_errors.ReservationNotActive(f"Reservation {reservation_id} is not active")
        return peers.unexpected(self.name, response)

    async def get_reservation(self, reservation_id: int) -> Reservation:
        response = await self.client.request("GET", f"/reservations/{reservation_id}")
        if response.status_code != 200:
            raise self._refusal(reservation_id, response)
        return parse_reservation(peers.json_object(self.name, response))

    async def consume(self, reservation_id: int, *, idempotency_key: str) -> Reservation:
        """Issue every part reserved; the same key replays inventory's first answer."""
        response = await self.client.request(
            "POST", f"/reservations/{reservation_id}/consume", idempotency_key=idempotency_key
        )
        if response.status_code != 200:
            raise self._refusal(reservation_id, response)
        return parse_reservation(peers.json_object(self.name, response))


Upstreams = peers.Upstreams[WarrantyClient, InventoryClient]


def upstreams(app: FastAPI) -> Upstreams:
    return Upstreams.of(app.state.clients, WarrantyClient, InventoryClient)
