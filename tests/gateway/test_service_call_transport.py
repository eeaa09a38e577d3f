"""The services' calls to each other (shared/http.py `ServiceClient`) go over the gateway's forwarder
(`ForwarderTransport`, shared/upstream.py) to a real uvicorn: what is sent, what comes back, and each
failure turned into the one error a service answers with."""

import asyncio
import json

import httpx
import pytest

from shared import context, deadline, errors, identity
from shared.http import ForwarderTransport, ServiceClient

from gateway_support import LiveServer, free_port

pytestmark = pytest.mark.anyio
TOKEN = "call-token"


async def peer(scope, receive, send) -> None:
    """Answers with what it saw; `/fail` is a 500, `/slow` answers after 2 s, `/text` is not JSON."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/slow":
        await asyncio.sleep(2)
    status = 500 if scope["path"] == "/fail" else 200
    seen = {"method": scope["method"], "raw_path": scope["raw_path"].decode(), "query": scope["query_string"].decode(),
            "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]], "body": body.decode()}
    payload = json.dumps(seen).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"x-answer", b"yes"),
        (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


@pytest.fixture(scope="module")
def server():
    with LiveServer(peer) as live:
        yield live


@pytest.fixture
async def client(server):
    transport = ForwarderTransport(server.url)
    yield ServiceClient(transport, server.url, "peer", TOKEN, timeout=1.0)
    await transport.aclose()


async def test_a_get_with_parameters_sends_the_signed_identity_and_reads_the_answer(client):
    token = context.set_request_id("req-call-1")
    try:
        response = await client.request("GET", "/units/HV%2F01", params={"on": "2025-07-01", "q": "空调 A&B"})
    finally:
        context.reset_request_id(token)
    assert response.status_code == 200 and response.headers["x-answer"] == "yes"
    seen = response.json()
    assert seen["raw_path"] == "/units/HV%2F01"
    assert httpx.QueryParams(seen["query"]) == httpx.QueryParams({"on": "2025-07-01", "q": "空调 A&B"})
    headers = dict(seen["headers"])
    assert headers["x-internal-token"] == TOKEN and headers["x-request-id"] == "req-call-1"
    assert headers["host"] == client.base_url.removeprefix("http://")
    assert [k for k, _ in seen["headers"]].count("host") == 1
    caller, request_id, _ = identity.verify([(k.encode(), v.encode()) for k, v in seen["headers"]], TOKEN.encode())
    assert caller.role == context.SYSTEM.role and request_id == "req-call-1"


async def test_a_post_sends_its_json_and_key_on_a_kept_connection(client):
    first = await client.request("POST", "/claims", json={"serial": "序列-1", "n": 1}, idempotency_key="key-1")
    second = await client.request("POST", "/claims", json={"serial": "x"})
    seen = first.json()
    assert seen["method"] == "POST" and json.loads(seen["body"]) == {"serial": "序列-1", "n": 1}
    headers = dict(seen["headers"])
    assert headers["idempotency-key"] == "key-1" and headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(seen["body"].encode())
    assert "idempotency-key" not in dict(second.json()["headers"])
    assert len(client.transport.forwarder.idle) == 1  # one connection, kept for the next call


async def test_a_failed_peer_is_unavailable_and_a_slow_one_a_timeout(client, server):
    with pytest.raises(errors.UpstreamUnavailable):
        await client.request("GET", "/fail")
    with pytest.raises(errors.UpstreamTimeout):
        await client.request("GET", "/slow")
    assert (await client.request("GET", "/again")).status_code == 200  # the cut connection is not reused


async def test_the_deadline_bounds_the_wait(client):
    token = deadline.start_in(0.3)
    try:
        with pytest.raises(errors.UpstreamTimeout):
            await client.request("GET", "/slow")
    finally:
        deadline.reset(token)


async def test_nobody_listening_is_unavailable():
    url = f"http://127.0.0.1:{free_port()}"
    transport = ForwarderTransport(url)
    try:
        with pytest.raises(errors.UpstreamUnavailable):
            await ServiceClient(transport, url, "peer", TOKEN, timeout=1.0).request("GET", "/x")
    finally:
        await transport.aclose()
