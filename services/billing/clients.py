"""Typed calls to the warranty and inventory services (HTTP only, never their code).

Connection failures, timeouts and 5xx are turned into UpstreamUnavailable /
UpstreamTimeout by shared.http; here the answers that mean something to
billing become its domain errors, and anything else a service should never
answer is treated as that service being unavailable.
"""


from fastapi import FastAPI

from services.billing import errors as billing_errors
from shared import errors, peers
from shared.contracts.inventory import ReservationRead
from shared.contracts.warranty import ClaimRead, RegionRead, UnitRead
from shared.http import Reply, ServiceClient


class WarrantyClient:
    name = "warranty"

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def get_unit(self, serial_number: str) -> UnitRead:
        unit = await peers.warranty_unit(self.client, serial_number, reader="billing")
        if unit is None:
            raise billing_errors.UnitNotFound(f"No unit with serial number {serial_number}")
        return unit

    async def get_calendar(self, region: str) -> RegionRead:
        calendar = await peers.warranty_calendar(self.client, region)
        if calendar is None:
            raise billing_errors.RegionNotFound(f"No season calendar for region {region}")
        return calendar

    async def post_claim(self, *, idempotency_key: str, claim: dict) -> ClaimRead:
        response = await self.client.request("POST", "/claims", idempotency_key=idempotency_key, json=claim)
        code = peers.problem_code(response)
        if response.status_code == 404 and code == "unit_not_found":
            raise billing_errors.UnitNotFound(f"No unit with serial number {claim['serial_number']}")
        if response.status_code == 422 and code == "validation_error":
            detail = response.json().get("detail") or "The warranty service refused the claim"
            raise errors.Unprocessable(detail, errors=response.json().get("errors") or [])
        if response.status_code not in (200, 201):
            raise peers.unexpected(self.name, response)
        return peers.parse(ClaimRead, peers.json_object(self.name, response),
                           "The warranty service gave a claim decision billing cannot read")


class InventoryClient:
    name = "inventory"

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def _refusal(self, reservation_id: int, response: Reply) -> errors.ServiceError:
        code = peers.problem_code(response)
        if response.status_code == 404 and code == "reservation_not_found":
            return billing_errors.ReservationNotFound(f"No reservation {reservation_id}")
        if response.status_code == 409 and code == "reservation_not_active":
            return billing_errors.ReservationNotActive(f"Reservation {reservation_id} is not active")
        return peers.unexpected(self.name, response)

    def _reservation(self, reservation_id: int, response: Reply) -> ReservationRead:
        if response.status_code != 200:
            raise self._refusal(reservation_id, response)
        # Its prices are types.Money: one below the fen, negative or not a number is refused before any effect.
        return peers.parse(ReservationRead, peers.json_object(self.name, response),
                           f"The inventory service gave reservation {reservation_id} in a shape billing cannot use")

    async def get_reservation(self, reservation_id: int) -> ReservationRead:
        response = await self.client.request("GET", f"/reservations/{reservation_id}")
        return self._reservation(reservation_id, response)

    async def consume(self, reservation_id: int, *, idempotency_key: str) -> ReservationRead:
        """Issue every part reserved; the same key replays inventory's first answer."""
        response = await self.client.request(
            "POST", f"/reservations/{reservation_id}/consume", idempotency_key=idempotency_key
        )
        return self._reservation(reservation_id, response)


Upstreams = peers.Upstreams[WarrantyClient, InventoryClient]


def upstreams(app: FastAPI) -> Upstreams:
    return Upstreams.of(app.state.clients, WarrantyClient, InventoryClient)
