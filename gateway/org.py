"""The organisation as the services keep it (domain.md section 7): a person's or key's station is a
site of the service desk, a person's warehouses are inventory's. The gateway asks them, as the admin
making the change, through the same internal call the web pages use (Gateway.call)."""

import json
from urllib.parse import quote

from shared import errors

STATION_KINDS = frozenset({"repair_station", "service_center"})


class UnknownStation(errors.Unprocessable):
    code, title = "unknown_station", "No such open repair station or service centre"


class UnknownWarehouse(errors.Unprocessable):
    code, title = "unknown_warehouse", "No such warehouse"


def _json(upstream) -> dict:
    try:
        body = json.loads(upstream.body)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _unavailable(service: str, status: int) -> errors.ServiceError:
    if status == 504:
        return errors.UpstreamTimeout(f"The {service} service did not answer in time")
    return errors.UpstreamUnavailable(f"The {service} service could not check the code (HTTP {status})")


async def check_station(gateway, caller, code: str) -> str:
    """The site's code as the service desk writes it; 422 `unknown_station` when it has no such open
    station or centre. A service desk without the sites API answers 404 too: then no code is known."""
    code = code.strip().upper()
    upstream = await gateway.call(caller, "GET", f"/servicedesk/sites/{quote(code, safe='')}")
    if upstream.status == 404:
        raise UnknownStation(f"The service desk has no site {code}",
                             errors=[{"field": "station", "message": "not a site of the service desk"}])
    if upstream.status != 200:
        raise _unavailable("servicedesk", upstream.status)
    site = _json(upstream)
    if site.get("status") == "closed" or site.get("kind", "repair_station") not in STATION_KINDS:
        raise UnknownStation(f"{code} is not an open repair station or service centre",
                             errors=[{"field": "station", "message": "not an open station or centre"}])
    return str(site.get("code") or code).upper()


async def check_warehouses(gateway, caller, codes: list[str]) -> list[str]:
    """The codes, upper-case and each known to inventory; 422 `unknown_warehouse` names the first unknown."""
    found = []
    for code in sorted({c.strip().upper() for c in codes}):
        upstream = await gateway.call(caller, "GET", f"/inventory/warehouses/{quote(code, safe='')}")
        if upstream.status == 404:
            raise UnknownWarehouse(f"Inventory has no warehouse {code}",
                                   errors=[{"field": "warehouses", "message": f"{code} is not a warehouse"}])
        if upstream.status != 200:
            raise _unavailable("inventory", upstream.status)
        found.append(code)
    return found


async def _items(gateway, caller, path: str, query: str) -> list[dict] | None:
    try:
        upstream = await gateway.call(caller, "GET", path, query=query)
    except errors.ServiceError:
        return None
    if upstream.status != 200:
        return None
    items = _json(upstream).get("items")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else None


async def stations(gateway, caller) -> list[dict] | None:
    """Open repair stations and service centres to pick from; None when the service desk cannot list them."""
    items = await _items(gateway, caller, "/servicedesk/sites", "limit=500")
    if items is None:
        return None
    return sorted((s for s in items if s.get("kind") in STATION_KINDS and s.get("status", "open") != "closed"),
                  key=lambda s: str(s.get("code", "")))


async def warehouses(gateway, caller) -> list[dict] | None:
    """Inventory's warehouses to pick from; None when inventory cannot list them."""
    return await _items(gateway, caller, "/inventory/warehouses", "limit=500")
