"""Typed calls to warranty and inventory (HTTP only, never their code).

Connection failures, timeouts and 5xx become UpstreamUnavailable /
UpstreamTimeout in shared.http; answers that mean something to the desk
become its own results or errors here.
"""

import asyncio
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from fastapi import FastAPI

from services.servicedesk import errors as desk_errors
from shared import errors, peers
from shared.contracts.billing import ContractRead, VisitRead
from shared.contracts.warranty import CoverageRead, RegionRead
from shared.http import ServiceClient

# A report is taken while warranty thinks: it must not wait the full upstream timeout for it.
LOOKUP_TIMEOUT_SECONDS = 2.0


# Warranty's unit and its coverage joined, or that warranty has no such unit (`known` False): a ticket keeps it.
@dataclass(frozen=True, slots=True)
class UnitCoverage:
    known: bool
    site_address: str | None = None
    coverage: list[dict] | None = None


class WarrantyClient:
    name = "warranty"

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def unit_coverage(self, serial_number: str, *, on: date) -> UnitCoverage:
        """Whether the unit is registered, its site address, and its coverage on `on` for every component."""
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT_SECONDS):
                return await self._unit_coverage(serial_number, on=on)
        except TimeoutError:
            raise errors.UpstreamTimeout("The warranty service did not answer in time") from None

    async def _unit_coverage(self, serial_number: str, *, on: date) -> UnitCoverage:
        path = f"/units/{quote(serial_number, safe='')}"
        unit = await peers.warranty_unit(self.client, serial_number, reader="the desk")
        if unit is None:
            return UnitCoverage(known=False)
        response = await self.client.request("GET", path + "/coverage", params={"on": on.isoformat()})
        if response.status_code != 200:
            raise peers.unexpected(self.name, response)
        coverage = peers.parse(CoverageRead, peers.json_object(self.name, response),
                               "The warranty service gave coverage the desk cannot read")
        return UnitCoverage(known=True, site_address=unit.site.address, coverage=[
            c.model_dump(mode="json", include={"component", "covered", "covered_through"})
            for c in coverage.components])

    async def unit(self, serial_number: str) -> dict | None:
        """The registered unit (its model code and site with region) as warranty's UnitRead gives it, in JSON;
        None when there is no such unit."""
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT_SECONDS):
                unit = await peers.warranty_unit(self.client, serial_number, reader="the desk")
                return unit.model_dump(mode="json") if unit is not None else None
        except TimeoutError:
            raise errors.UpstreamTimeout("The warranty service did not answer in time") from None

    async def add_repair(self, serial_number: str, *, record: dict, idempotency_key: str) -> int | None:
        """Log the repair in the unit's history; the same key never writes it twice. None: no such unit."""
        response = await self.client.request(
            "POST", f"/units/{quote(serial_number, safe='')}/service-records",
            idempotency_key=idempotency_key, json=record,
        )
        if response.status_code == 404 and peers.problem_code(response) == "unit_not_found":
            return None
        if response.status_code not in (200, 201):
            raise peers.unexpected(self.name, response)
        return peers.json_object(self.name, response).get("id")


class InventoryClient:
    name = "inventory"

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    async def reserve(self, *, warehouse: str, part_number: str, reference: str, ttl_seconds: int,
                      idempotency_key: str) -> dict:
        body = {"warehouse": warehouse, "reference": reference, "lines": [{"part_number": part_number, "qty": 1}],
                "ttl_seconds": ttl_seconds}
        response = await self.client.request("POST", "/reservations", idempotency_key=idempotency_key, json=body)
        code = peers.problem_code(response)
        if response.status_code == 409 and code == "insufficient_stock":
            answer = peers.json_object(self.name, response)
            raise desk_errors.InsufficientStock(answer.get("detail"), shortages=answer.get("shortages") or [])
        if response.status_code in (404, 422) and code not in ("idempotency_key_reused",):
            answer = peers.json_object(self.name, response)
            raise errors.Unprocessable(answer.get("detail") or "Inventory refused the loaner",
                                       errors=answer.get("errors") or [{"field": "part_number",
                                                                       "message": code or "refused"}])
        if response.status_code == 422:
            raise desk_errors.LoanerInProgress("A loaner for this ticket was already asked for with other values")
        if response.status_code != 201:
            raise peers.unexpected(self.name, response)
        return peers.json_object(self.name, response)

    async def loaner_class(self, kind: str, code: str) -> tuple[bool, str | None]:
        """Whether the model (`kind` "models") or part ("parts") exists, and its `loaner_class`."""
        response = await self.client.request("GET", f"/{kind}/{quote(code, safe='')}")
        if response.status_code == 404:
            return False, None
        if response.status_code != 200:
            raise peers.unexpected(self.name, response)
        found = peers.json_object(self.name, response).get("loaner_class")
        return True, found if isinstance(found, str) and found else None

    async def release(self, reservation_id: int, *, idempotency_key: str) -> None:
        """Give the loaner back; a reservation already released or expired is as good."""
        response = await self.client.request(
            "POST", f"/reservations/{reservation_id}/release", idempotency_key=idempotency_key
        )
        if response.status_code == 200:
            return
        if response.status_code in (404, 409) and peers.problem_code(response) in ("reservation_not_active",
                                                                                   "reservation_not_found"):
            return
        raise peers.unexpected(self.name, response)


Upstreams = peers.Upstreams[WarrantyClient, InventoryClient]


def upstreams(app: FastAPI) -> Upstreams:
    return Upstreams.of(app.state.clients, WarrantyClient, InventoryClient)


# Planned visits (services/servicedesk/visits.py): what warranty and billing know that a plan needs.

DEFAULT_REGION = "shandong"  # warranty's own default when a unit's site names none


# The unit as a plan and its pages take it: its site flattened, its region as the calendars name it, the last
# day of its `unit` term.
@dataclass(frozen=True, slots=True)
class UnitForVisits:
    serial_number: str
    model_code: str | None
    product_name: str | None
    site_name: str | None
    site_address: str | None
    region: str
    accepted_on: date
    unit_covered_through: date | None  # the `unit` term's last day; None: the unit has no such term


SeasonCalendar = RegionRead  # warranty's region calendar; SeasonRead.season() gives the season rules' Season


# Billing's contract joined with its planned visits (two answers).
@dataclass(frozen=True, slots=True)
class ContractForVisits:
    id: int
    customer: str
    serial_numbers: tuple[str, ...]
    region: str
    status: str
    visits: tuple[tuple[date, str], ...]  # billing's planned visits: (day, maintenance | inspection)


class VisitSources:
    """Warranty's unit and calendar, billing's contract and its plan: read, never copied beyond a visit."""

    def __init__(self, warranty: ServiceClient, billing: ServiceClient) -> None:
        self.warranty = warranty
        self.billing = billing

    async def unit(self, serial_number: str) -> UnitForVisits | None:
        """The unit as a plan needs it; None when warranty has no such unit."""
        unit = await peers.warranty_unit(self.warranty, serial_number, reader="the desk")
        if unit is None:
            return None
        site = unit.site
        return UnitForVisits(
            serial_number=unit.serial_number, model_code=unit.model_code, product_name=unit.product_name,
            site_name=site.name, site_address=site.address, region=(site.region or DEFAULT_REGION).strip().lower(),
            accepted_on=unit.accepted_on,
            unit_covered_through=next((t.covered_through for t in unit.terms if t.component == "unit"), None))

    async def calendar(self, region: str) -> SeasonCalendar | None:
        """The region's season calendar; None when warranty has none for it."""
        return await peers.warranty_calendar(self.warranty, region)

    async def contract(self, contract_id: int) -> ContractForVisits | None:
        """The contract and its planned visits, as billing plans them; None when billing has no such contract."""
        body = await peers.get_json(self.billing, f"/contracts/{contract_id}", absent="contract_not_found")
        if body is None:
            return None
        response = await self.billing.request("GET", f"/contracts/{contract_id}/visits")
        if response.status_code != 200:
            raise peers.unexpected("billing", response)
        complaint = f"The billing service gave contract {contract_id} in a shape the desk cannot read"
        contract = peers.parse(ContractRead, body, complaint)
        try:
            planned = response.json()
        except ValueError:
            raise peers.BadAnswer(complaint) from None
        return ContractForVisits(
            id=contract.id, customer=contract.customer, serial_numbers=tuple(contract.serial_numbers),
            region=contract.region or DEFAULT_REGION, status=contract.status,
            visits=tuple((v.date, v.kind) for v in peers.parse(list[VisitRead], planned, complaint)))


def visit_sources(app: FastAPI) -> VisitSources:
    return VisitSources(app.state.clients["warranty"], app.state.clients["billing"])
