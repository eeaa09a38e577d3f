"""Reading another service's answers, as billing and the desk both do (shared/http.py makes the call).

Connection failures, timeouts and 5xx are already UpstreamUnavailable / UpstreamTimeout there; here an
answer the caller cannot use becomes one too, saying what the service answered to what. An answer is read
with its owner's wire model (shared/contracts), never restated.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import TypeAdapter, ValidationError

from shared import errors
from shared.contracts.warranty import RegionRead, UnitRead
from shared.http import Reply, ServiceClient

Warranty = TypeVar("Warranty")
Inventory = TypeVar("Inventory")
Answer = TypeVar("Answer")


class BadAnswer(errors.UpstreamUnavailable):
    """The service answered, but not in the shape of its contract."""


def problem_code(response: Reply) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def unexpected(service: str, response: Reply) -> errors.UpstreamUnavailable:
    code = problem_code(response)
    if code == "idempotency_in_progress":
        return errors.UpstreamUnavailable(f"The {service} service is still working on an earlier attempt")
    return errors.UpstreamUnavailable(
        f"The {service} service answered {response.status_code} ({code or 'no code'}) "
        f"to {response.method} {response.path}"
    )


def json_object(service: str, response: Reply) -> dict:
    try:
        body = response.json()
    except ValueError:
        raise BadAnswer(f"The {service} service answered something that is not JSON") from None
    if not isinstance(body, dict):
        raise BadAnswer(f"The {service} service answered an unexpected shape")
    return body


async def all_of(*calls: Awaitable[Any]) -> list[Any]:
    """Every call's answer, run together; each one ends before the first failure is raised (none is left
    running on its own)."""
    found = await asyncio.gather(*calls, return_exceptions=True)
    for result in found:
        if isinstance(result, BaseException):
            raise result
    return found


async def get_json(client: ServiceClient, path: str, *, absent: str) -> dict | None:
    """GET `path`: the answer's JSON object, or None when the service answers 404 with the code `absent`."""
    response = await client.request("GET", path)
    if response.status_code == 404 and problem_code(response) == absent:
        return None
    if response.status_code != 200:
        raise unexpected(client.name, response)
    return json_object(client.name, response)


@cache
def _adapter(shape: Any) -> TypeAdapter:
    return TypeAdapter(shape)


def parse(shape: type[Answer], body: object, complaint: str) -> Answer:
    """`body` read with its contract's wire model (a model, or a type such as list[Model]); BadAnswer(complaint)
    when it is not in that shape."""
    try:
        return _adapter(shape).validate_python(body)
    except ValidationError:
        raise BadAnswer(complaint) from None


async def warranty_unit(warranty: ServiceClient, serial_number: str, *, reader: str) -> UnitRead | None:
    """Warranty's unit (GET /units/{serial}) read with its contract model; None when warranty has no such
    unit, BadAnswer when `reader` (e.g. "billing") cannot read what it gave."""
    body = await get_json(warranty, f"/units/{quote(serial_number, safe='')}", absent="unit_not_found")
    if body is None:
        return None
    return parse(UnitRead, body, f"The warranty service gave unit {serial_number} in a shape {reader} cannot read")


async def warranty_calendar(warranty: ServiceClient, region: str) -> RegionRead | None:
    """Warranty's season calendar of a region (GET /regions/{region}), its windows real days
    (SeasonRead.season() gives the season rules' Season); None when warranty has none for the region,
    BadAnswer when it is not a calendar."""
    body = await get_json(warranty, f"/regions/{quote(region, safe='')}", absent="region_not_found")
    if body is None:
        return None
    complaint = f"The warranty service gave an unreadable calendar for {region}"
    answer = parse(RegionRead, body, complaint)
    try:
        answer.heating.season(), answer.cooling.season()
    except ValueError:
        raise BadAnswer(complaint) from None
    return answer


@dataclass(frozen=True, slots=True)
class Upstreams(Generic[Warranty, Inventory]):
    """A service's typed clients of warranty and inventory (billing's and the desk's own client classes)."""

    warranty: Warranty
    inventory: Inventory

    @classmethod
    def of(cls, clients: dict[str, ServiceClient], warranty: Callable[[ServiceClient], Warranty],
           inventory: Callable[[ServiceClient], Inventory]) -> "Upstreams[Warranty, Inventory]":
        return cls(warranty(clients["warranty"]), inventory(clients["inventory"]))
