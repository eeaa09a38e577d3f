"""The admin console's tests share this: the four real services on real ports (their own databases,
real migrations) behind a real gateway. The service desk's peers (warranty, inventory) are its usual
fakes; nothing the console calls is faked: a failure is a real one (a service that is not there)."""

import contextlib
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from gateway import config
from gateway.main import create_app
from shared import settings as settings_module
from shared.clock import FixedClock

import gateway_support
from gateway_support import ADMIN, LiveServer
from helpers import TOKEN, asgi_client, free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "servicedesk"))
from servicedesk_fakes import DeskInventory, DeskWarranty  # noqa: E402

# 2026-11-27 10:00 China Standard Time, a Friday.
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


class Services:
    """The four services, live on their ports for a test module."""

    def __init__(self, database_factory, clock) -> None:
        from services.billing.main import create_app as billing_app
        from services.inventory.main import create_app as inventory_app
        from services.servicedesk.main import create_app as desk_app
        from services.warranty.main import create_app as warranty_app

        def settings(name):
            db = database_factory(name)
            return settings_module.load(name, database_url=db.url, database_schema=db.schema,
                                        internal_token=TOKEN, upstream_timeout_seconds=2.0)

        desk_fakes = {"warranty": httpx.MockTransport(DeskWarranty().handler),
                      "inventory": httpx.MockTransport(DeskInventory().handler)}
        apps = {
            "warranty": warranty_app(settings("warranty"), clock=clock),
            "inventory": inventory_app(settings("inventory"), clock=clock),
            "billing": billing_app(settings("billing"), clock=clock),
            "servicedesk": desk_app(settings("servicedesk"), clock=clock, deliver=False, transports=desk_fakes),
        }
        self.servers = {name: LiveServer(app, lifespan="on") for name, app in apps.items()}

    def __enter__(self) -> "Services":
        for server in self.servers.values():
            server.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        for server in self.servers.values():
            server.__exit__(*exc)

    def urls(self, **instead: str) -> dict[str, str]:
        """Where the gateway finds each service; `instead` puts another address in a service's place."""
        return {**{name: server.url for name, server in self.servers.items()}, **instead}


def nobody_listens() -> str:
    """An address with no service behind it: the gateway answers 503 upstream_unavailable."""
    return f"http://127.0.0.1:{free_port()}"


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
    async for client in gateway_client(gateway_settings(database_factory("gateway"), services.urls()), clock):
        client.csrf = await sign_in(client)
        yield client


async def add_warehouse(web, code: str, name: str, kind: str = "service_center", region: str = "shandong") -> None:
    """A warehouse in inventory (once per module's databases: a second time it is already there)."""
    body = {"code": code, "name": name, "kind": kind, "region": region}
    answer = await web.post("/inventory/warehouses", json=body, headers={"X-API-Key": ADMIN})
    assert answer.status_code in (201, 409), answer.text


async def add_site(web, code: str, name: str, kind: str = "repair_station", **fields) -> dict:
    """A site made through the service desk's API as the admin (not through the console's form)."""
    body = {"code": code, "name": name, "kind": kind, "region": "shandong", "address": "济南市历下区",
            "phone": "0531-8888 0000", **fields}
    answer = await web.post("/servicedesk/sites", json=body, headers={"X-API-Key": ADMIN})
    assert answer.status_code == 201, answer.text
    return answer.json()


async def read(web, path: str) -> dict:
    """A record as the API gives it to the admin."""
    answer = await web.get(path, headers={"X-API-Key": ADMIN})
    assert answer.status_code == 200, answer.text
    return answer.json()


@contextlib.asynccontextmanager
async def web_where(database_factory, services, clock, **instead: str):
    """A signed-in console whose gateway finds a service at another address (`nobody_listens()`)."""
    urls = services.urls(**instead)
    async for client in gateway_client(gateway_settings(database_factory("gateway"), urls), clock):
        client.csrf = await sign_in(client)
        yield client


async def post(web, path: str, **fields) -> httpx.Response:
    """A console form sent as the signed-in admin."""
    return await web.post(path, data={"csrf": web.csrf, **fields})
