"""The admin console's tests share this: the four real services on real ports (their own databases,
real migrations) behind a real gateway, and, spliced in front of billing and the service desk, fakes
of the routes api.md describes that this branch's services do not serve yet (/billing/company,
/servicedesk/sites and /servicedesk/technicians). A fake switched off lets the real service answer
(404: the route does not exist), as it will until the routes are merged."""

import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from gateway import config
from gateway.main import create_app
from shared import identity
from shared import settings as settings_module
from shared.clock import FixedClock

import gateway_support
from gateway_support import ADMIN, LiveServer
from helpers import TOKEN, asgi_client

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "servicedesk"))
from servicedesk_fakes import DeskInventory, DeskWarranty  # noqa: E402

# 2026-11-27 10:00 China Standard Time, a Friday.
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
SITE_FIELDS = ("code", "name", "kind", "parent", "region", "address", "phone", "webhook", "status")
TECHNICIAN_FIELDS = ("name", "phone", "station", "skills", "active")


def problem(status: int, code: str, errors: list | None = None) -> tuple[int, dict]:
    body = {"type": "about:blank", "title": "No", "status": status, "code": code, "detail": f"fake: {code}",
            "request_id": "fake-request"}
    if errors is not None:
        body["errors"] = errors
    return status, body


class Organisation:
    """Sites, technicians and the company as api.md shapes them, in memory; what callers asked is kept."""

    def __init__(self) -> None:
        self.offered = True
        self.reset()

    def reset(self) -> None:
        self.offered = True
        self.sites: dict[str, dict] = {}
        self.technicians: dict[int, dict] = {}
        self.company: dict | None = None
        self.asked: list[tuple[str, str, str]] = []  # (method, path, role)

    def add_site(self, code: str, name: str, kind: str = "repair_station", **extra) -> dict:
        site = {"code": code, "name": name, "kind": kind, "parent": None, "region": "shandong",
                "address": "济南市", "phone": "0531-1", "webhook": None, "status": "open", **extra}
        self.sites[code] = site
        return site

    def answer(self, method: str, path: str, query: dict, body) -> tuple[int, dict | list | None]:
        if path == "/company":
            if method == "PUT":
                missing = [{"field": k, "message": "required"} for k in ("name", "address", "taxpayer_id")
                           if not (body or {}).get(k)]
                if missing:
                    return problem(422, "validation_error", missing)
                self.company = body
            return (200, self.company) if self.company else problem(404, "company_not_found")
        if path == "/sites":
            return self.create_site(body) if method == "POST" else self.page(self.find_sites(query), query)
        if path.startswith("/sites/"):
            site = self.sites.get(path.removeprefix("/sites/").upper())
            if site is None:
                return problem(404, "site_not_found")
            if method == "PATCH":
                if "parent" in body and body["parent"] and body["parent"] not in self.sites:
                    return problem(422, "validation_error", [{"field": "parent", "message": "unknown site"}])
                site.update({k: v for k, v in body.items() if k in SITE_FIELDS})
            return 200, site
        if path == "/technicians":
            if method == "POST":
                return self.save_technician(None, body)
            rows = [t for t in self.technicians.values() if self.technician_matches(t, query)]
            return self.page(rows, query)
        if path.startswith("/technicians/"):
            found = self.technicians.get(int(path.rsplit("/", 1)[1]))
            if found is None:
                return problem(404, "technician_not_found")
            return self.save_technician(found, body) if method == "PATCH" else (200, found)
        return problem(404, "not_found")

    def find_sites(self, query: dict) -> list[dict]:
        rows = sorted(self.sites.values(), key=lambda s: s["code"])
        q = query.get("q", "").casefold()
        return [s for s in rows if (not q or q in s["code"].casefold() or q in s["name"].casefold())
                and (not query.get("kind") or s["kind"] == query["kind"])
                and (not query.get("region") or s["region"] == query["region"])]

    def create_site(self, body: dict) -> tuple[int, dict]:
        missing = [{"field": k, "message": "required"} for k in ("code", "name", "kind", "region", "address", "phone")
                   if not body.get(k)]
        webhook = body.get("webhook")
        if webhook and not str(webhook.get("url", "")).startswith("https://"):
            missing.append({"field": "webhook.url", "message": "must be https"})
        if missing:
            return problem(422, "validation_error", missing)
        if body["code"].upper() in self.sites:
            return problem(409, "site_exists")
        return 201, self.add_site(body["code"].upper(), body["name"], body["kind"],
                                  **{k: body.get(k) for k in ("parent", "region", "address", "phone", "webhook")})

    def technician_matches(self, found: dict, query: dict) -> bool:
        q = query.get("q", "").casefold()
        return ((not q or q in found["name"].casefold() or q in found["phone"])
                and (not query.get("station") or found["station"] == query["station"])
                and (not query.get("active") or str(found["active"]).lower() == query["active"]))

    def save_technician(self, found: dict | None, body: dict) -> tuple[int, dict]:
        station = body.get("station", found["station"] if found else None)
        if station not in self.sites or self.sites[station]["status"] != "open":
            return problem(422, "unknown_station", [{"field": "station", "message": "no such open station"}])
        if found is None:
            found = {"id": len(self.technicians) + 101, "active": True}
            self.technicians[found["id"]] = found
            found.update({k: body.get(k) for k in TECHNICIAN_FIELDS if k in body})
            return 201, found
        found.update({k: v for k, v in body.items() if k in TECHNICIAN_FIELDS})
        return 200, found

    @staticmethod
    def page(rows: list, query: dict) -> tuple[int, dict]:
        start = int(query.get("cursor") or 0)
        limit = int(query.get("limit", 50))
        more = start + limit < len(rows)
        return 200, {"items": rows[start:start + limit], "next_cursor": str(start + limit) if more else None}


class Splice:
    """A real service's app with some of its paths answered by `Organisation` (while it is `offered`)."""

    def __init__(self, real, fake: Organisation, paths: re.Pattern) -> None:
        self.real, self.fake, self.paths = real, fake, paths

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not self.fake.offered or not self.paths.match(scope["path"]):
            await self.real(scope, receive, send)
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        caller, _rid, _deadline = identity.verify(scope["headers"], TOKEN.encode())
        self.fake.asked.append((scope["method"], scope["path"], caller.role))
        query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode()).items()}
        status, body = self.fake.answer(scope["method"], scope["path"], query, json.loads(raw) if raw else None)
        payload = json.dumps(body, ensure_ascii=False).encode()
        kind = b"application/json" if status < 400 else b"application/problem+json"
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})


class Services:
    """The four services, live on their ports for a test module, with the organisation fake in front."""

    def __init__(self, database_factory, clock) -> None:
        from services.billing.main import create_app as billing_app
        from services.inventory.main import create_app as inventory_app
        from services.servicedesk.main import create_app as desk_app
        from services.warranty.main import create_app as warranty_app

        def settings(name):
            db = database_factory(name)
            return settings_module.load(name, database_url=db.url, database_schema=db.schema,
                                        internal_token=TOKEN, upstream_timeout_seconds=2.0)

        self.org = Organisation()
        desk_fakes = {"warranty": httpx.MockTransport(DeskWarranty().handler),
                      "inventory": httpx.MockTransport(DeskInventory().handler)}
        apps = {
            "warranty": warranty_app(settings("warranty"), clock=clock),
            "inventory": inventory_app(settings("inventory"), clock=clock),
            "billing": Splice(billing_app(settings("billing"), clock=clock), self.org, re.compile(r"^/company$")),
            "servicedesk": Splice(desk_app(settings("servicedesk"), clock=clock, deliver=False, transports=desk_fakes),
                                  self.org, re.compile(r"^/(sites|technicians)(/|$)")),
        }
        self.servers = {name: LiveServer(app, lifespan="on") for name, app in apps.items()}

    def __enter__(self) -> "Services":
        for server in self.servers.values():
            server.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        for server in self.servers.values():
            server.__exit__(*exc)

    def urls(self) -> dict[str, str]:
        return {name: server.url for name, server in self.servers.items()}


def gateway_settings(database, urls: dict[str, str]):
    return config.load(database_url=database.url, database_schema=database.schema, admin_api_key=ADMIN,
                       internal_token=TOKEN, rate_limit_per_second=1000.0, rate_limit_burst=1000,
                       gateway_timeout_seconds=10.0, service_urls=urls)


async def gateway_client(settings, clock):
    app = create_app(settings, clock=clock)
    async with asgi_client(app) as client:
        client.app = app
        yield client


def token_in(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def sign_in(client, who=ADMIN) -> str:
    """Signs in as a person (for a key: a person of its role and scope, made once; see
    gateway_support.sign_in) and returns the session's CSRF token."""
    await gateway_support.sign_in(client, who)
    return token_in((await client.get("/app/admin")).text)


def field_error(html: str, name: str) -> str | None:
    """The reason shown next to a field, or None."""
    found = re.search(rf'<p class="field-error" id="e-{re.escape(name)}" data-field="{re.escape(name)}">([^<]*)</p>',
                      html)
    return found.group(1) if found else None


def value_of(html: str, name: str) -> str | None:
    found = re.search(rf'<input id="f-{re.escape(name)}" name="{re.escape(name)}"[^>]* value="([^"]*)"', html)
    return found.group(1) if found else None


WIRE_PATHS = re.compile(r"\b(site\.(name|region|address)|terms\.\w+|levels\.\d|webhook\.url|certificate\.number|"
                        r"hours\.(open|close)|\d+\.qty_per_unit|body)\b")


def shows_no_wire_path(html: str) -> bool:
    """No wire path of the API in what a person reads (markup attributes and scripts aside)."""
    text = re.sub(r"<[^>]+>", " ", html)
    return WIRE_PATHS.search(text) is None


# The fixtures every console test module uses: `from console_support import clock, services, web`.
@pytest.fixture(scope="module")
def clock():
    return FixedClock(NOW)


@pytest.fixture(scope="module")
def services(database_factory, clock):
    with Services(database_factory, clock) as running:
        yield running


@pytest.fixture
async def web(database_factory, services, clock):
    services.org.reset()
    async for client in gateway_client(gateway_settings(database_factory("gateway"), services.urls()), clock):
        client.csrf = await sign_in(client)
        yield client


async def add_warehouse(web, code: str, name: str, kind: str = "service_center", region: str = "shandong") -> None:
    """A warehouse in inventory (once per module's databases: a second time it is already there)."""
    body = {"code": code, "name": name, "kind": kind, "region": region}
    answer = await web.post("/inventory/warehouses", json=body, headers={"X-API-Key": ADMIN})
    assert answer.status_code in (201, 409), answer.text


async def post(web, path: str, **fields) -> httpx.Response:
    """A console form sent as the signed-in admin."""
    return await web.post(path, data={"csrf": web.csrf, **fields})
