"""The services' calls to each other (shared/http.py `ServiceClient`) go over the gateway's forwarder
(`ForwarderTransport`, shared/upstream.py) to a real uvicorn (conftest's FakeService, which records what it
was sent): what is sent, what comes back, and each failure turned into the one error a service answers with."""

import json
from datetime import date

import httpx
import pytest

from shared import context, deadline, errors, http, identity, peers
from shared.http import ForwarderTransport, ServiceClient

from helpers import free_port

pytestmark = pytest.mark.anyio
TOKEN = "call-token"


@pytest.fixture
async def peer(fakes, fake_servers):
    """(the fake warranty service, a client of it over the forwarder)"""
    url = fake_servers[1]["warranty"].url
    transport = ForwarderTransport(url)
    yield fakes["warranty"], ServiceClient(transport, url, "peer", TOKEN, timeout=1.0)
    await transport.aclose()


async def test_a_get_with_parameters_sends_the_signed_identity_and_reads_the_answer(peer):
    fake, client = peer
    fake.answers["/units/HV/01"] = (200, {"found": True})  # by the decoded path
    token = context.set_request_id("req-call-1")
    try:
        response = await client.request("GET", "/units/HV%2F01", params={"on": "2025-07-01", "q": "空调 A&B"})
    finally:
        context.reset_request_id(token)
    assert response.status_code == 200 and response.json() == {"found": True}
    [seen] = fake.seen
    assert seen.method == "GET" and seen.raw_path == "/units/HV%2F01"
    assert httpx.QueryParams(seen.query) == httpx.QueryParams({"on": "2025-07-01", "q": "空调 A&B"})
    assert seen.headers["x-internal-token"] == TOKEN and seen.headers["x-request-id"] == "req-call-1"
    assert seen.headers.get_list("host") == [client.base_url.removeprefix("http://")]
    caller, request_id, _ = identity.verify(seen.raw_headers, TOKEN.encode())
    assert caller.role == context.SYSTEM.role and request_id == "req-call-1"


async def test_a_post_sends_its_json_and_key_on_a_kept_connection(peer):
    fake, client = peer
    first = await client.request("POST", "/claims", json={"serial": "序列-1", "n": 1}, idempotency_key="key-1")
    await client.request("POST", "/claims", json={"serial": "x"})
    assert first.status_code == 201 and first.headers["idempotent-replayed"] == "true"
    sent, second = fake.seen
    assert sent.method == "POST" and json.loads(sent.content) == {"serial": "序列-1", "n": 1}
    assert sent.headers["idempotency-key"] == "key-1" and sent.headers["content-type"] == "application/json"
    assert sent.headers.get_list("content-length") == [str(len(sent.content))]
    assert "idempotency-key" not in second.headers
    assert len(client.transport.forwarder.idle) == 1  # one connection, kept for the next call


async def test_a_failed_peer_is_unavailable_and_a_slow_one_a_timeout(peer):
    fake, client = peer
    fake.answers["/fail"] = (500, {"title": "boom"})
    with pytest.raises(errors.UpstreamUnavailable):
        await client.request("GET", "/fail")
    fake.mode = "slow"
    with pytest.raises(errors.UpstreamTimeout):
        await client.request("GET", "/slow")
    fake.mode = "ok"
    assert (await client.request("GET", "/again")).status_code == 200  # the cut connection is not reused


async def test_the_deadline_bounds_the_wait(peer):
    fake, client = peer
    fake.mode = "slow"
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


@pytest.mark.parametrize("path, params", [
    ("/units/HV%2F01", None), ("/units/a b", None), ("/units/序列-1", {"on": "2025-07-01"}),
    ("/regions/济南", {"q": "空调 A&B", "n": "1+1=2"}), ("/x/{y}|z^[1]", {"a": "", "b": "a/b:c?d#e"}),
    ("/x/`<>\"", None), ("/x", {"a": [1, 2], "b": ("x y", "z")}), ("/x", {"a": None, "b": True, "c": False}),
    ("/x", {"a": 1.5, "on": date(2026, 12, 7)}), ("/x", {"a": []}), ("/x", {}),
])
def test_the_target_sent_is_the_one_httpx_would_send(path, params):
    assert http.raw_target(path, params) == httpx.URL("http://peer" + path, params=params).raw_path.decode()


async def test_calls_go_to_the_forwarder_itself_and_an_unusable_answer_names_what_was_asked(peer):
    fake, client = peer
    assert client.forwarder is client.transport.forwarder
    fake.answers["/units/X1"] = (409, {"code": "something_else"})
    response = await client.request("GET", "/units/X1", params={"on": "2025-07-01"})
    assert response.headers["content-type"].startswith("application/")
    problem = peers.unexpected("warranty", response)
    assert str(problem) == "The warranty service answered 409 (something_else) to GET /units/X1"
