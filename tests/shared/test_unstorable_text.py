"""Text no database stores (U+0000, an unpaired surrogate) is a 422 naming the field, in every text
field of every operation of every service and of the gateway's own API, never a 500 (on PostgreSQL
a NUL in a text column was one): one check, in the middleware every service runs (shared/storable.py).

Every operation's documented example body is sent with each of its text values spoiled in turn."""

import copy
import json
import re
from datetime import UTC, datetime

import pytest

from gateway import config as gateway_config
from gateway.main import create_app as create_gateway
from services.billing.main import create_app as create_billing
from services.inventory.main import create_app as create_inventory
from services.servicedesk.main import create_app as create_servicedesk
from services.warranty.main import create_app as create_warranty
from shared import settings as settings_module
from shared.clock import FixedClock
from shared.storable import storable, unstorable_fields

from helpers import TOKEN, asgi_client, assert_problem, internal_headers

pytestmark = pytest.mark.anyio
CLOCK = FixedClock(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
FACTORIES = {
    "warranty": create_warranty,
    "inventory": create_inventory,
    "billing": create_billing,
    "servicedesk": lambda settings, clock: create_servicedesk(settings, clock=clock, deliver=False),
}
SPOILERS = {"nul": "\x00", "surrogate": "\ud800"}


def strings_in(value, path=()):
    """(path, text) of every string value in a JSON document."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings_in(item, (*path, index))


def spoiled(body, path, bad: str):
    body = copy.deepcopy(body)
    target = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = target[path[-1]][:3] + bad + target[path[-1]][3:]
    return body


def example_bodies(spec: dict):
    """(method, path, example body) of every operation that takes JSON, with an example body."""
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not content:
                continue
            examples = [e["value"] for e in content.get("examples", {}).values()]
            if "example" in content:
                examples.append(content["example"])
            # Path parameters: any value does, the body is refused before a route looks for anything.
            concrete = re.sub(r"\{[^}]+\}", "X1", path)
            for example in examples:
                if isinstance(example, (dict, list)):
                    yield method.upper(), concrete, example


async def assert_every_field_refused(client, spec: dict, prefix: str = "") -> int:
    tried = 0
    for method, path, example in example_bodies(spec):
        for field_path, _text in strings_in(example):
            for name, bad in SPOILERS.items():
                body = json.dumps(spoiled(example, field_path, bad))  # ensure_ascii: \\u0000, \\ud800
                response = await client.request(method, prefix + path, content=body,
                                                 headers={"Content-Type": "application/json"})
                problem = assert_problem(response, 422, "validation_error")
                fields = [error["field"] for error in problem["errors"]]
                assert fields == [".".join(map(str, field_path))], (method, path, name, fields)
                tried += 1
    return tried


@pytest.mark.parametrize("service", list(FACTORIES))
async def test_every_text_field_of_every_service_refuses_nul_and_lone_surrogates(database_factory, service):
    db = database_factory(service)
    settings = settings_module.load(service, database_url=db.url, database_schema=db.schema, internal_token=TOKEN)
    async with asgi_client(FACTORIES[service](settings, clock=CLOCK), headers=internal_headers()) as client:
        spec = (await client.get("/openapi.json")).json()
        tried = await assert_every_field_refused(client, spec)
    assert tried >= 4, f"{service}: too few example text fields to mean anything"


async def test_the_gateways_own_api_refuses_them_too(database_factory):
    db = database_factory("gateway")
    settings = gateway_config.load(database_url=db.url, database_schema=db.schema, admin_api_key="door-admin",
                                   internal_token=TOKEN, service_urls={})
    async with asgi_client(create_gateway(settings), headers={"X-API-Key": "door-admin"}) as client:
        for bad in SPOILERS.values():
            body = json.dumps({"role": "station", "name": "A" + bad + "B"})
            response = await client.post("/admin/api-keys", content=body, headers={"Content-Type": "application/json"})
            assert assert_problem(response, 422, "validation_error")["errors"][0]["field"] == "name"
        assert assert_problem(await client.get("/admin/api-keys?role=%00"), 422, "validation_error")


async def test_a_nul_in_a_query_is_refused_by_every_service(database_factory):
    db = database_factory("billing")
    settings = settings_module.load("billing", database_url=db.url, database_schema=db.schema, internal_token=TOKEN)
    async with asgi_client(create_billing(settings, clock=CLOCK), headers=internal_headers()) as client:
        assert_problem(await client.get("/bills?status=a%00b"), 422, "validation_error")


def test_the_check_names_fields_and_ignores_what_is_storable():
    assert unstorable_fields(b'{"a": "ok", "b": ["x", "\\u0000"], "c": {"d": "\\uD83D"}}') == [
        {"field": "b.1", "message": unstorable_fields(b'["\\u0000"]')[0]["message"]},
        {"field": "c.d", "message": unstorable_fields(b'["\\u0000"]')[0]["message"]},
    ]
    # A surrogate pair is one character; an escaped backslash before u0000 is text, not a NUL.
    assert unstorable_fields(b'{"a": "\\ud83d\\ude00", "b": "\\\\u0000"}') == []
    assert unstorable_fields(b'{"a": "plain"}') == [] and unstorable_fields(b"not json \\u0000") == []
    # A key that cannot be stored is reported at its object, never echoed.
    assert unstorable_fields(b'{"o": {"\\u0000": 1}}')[0]["field"] == "o"
    assert storable("济南站") and not storable("a\x00") and not storable("\udc80")
