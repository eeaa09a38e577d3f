"""The gateway's one forwarder (shared/upstream.py) against a real uvicorn on a free port."""

import asyncio
import gc
import hashlib
import json
import time

import pytest

from shared.upstream import Forwarder, UnsafeRequest, UpstreamConnectError, _Parsed

from gateway_support import LiveServer
from helpers import free_port

pytestmark = pytest.mark.anyio


class Recorder:
    """Answers every request with what it saw: raw path, query, client port, body size and digest."""

    def __init__(self) -> None:
        self.seen: list[dict] = []

    async def __call__(self, scope, receive, send) -> None:
        digest, size = hashlib.sha256(), 0
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            digest.update(chunk)
            size += len(chunk)
            if not message.get("more_body"):
                break
        seen = {"method": scope["method"], "raw_path": scope["raw_path"].decode(), "path": scope["path"],
                "query": scope["query_string"].decode(), "client_port": scope["client"][1],
                "size": size, "sha256": digest.hexdigest()}
        self.seen.append(seen)
        if scope["path"] == "/chunked":
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"text/plain")]})
            for part in (b"one,", b"two,", b"three"):
                await send({"type": "http.response.body", "body": part, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        payload = json.dumps(seen).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else payload})


@pytest.fixture(scope="module")
def recorder_server():
    recorder = Recorder()
    with LiveServer(recorder, timeout_keep_alive=1) as server:
        yield recorder, server


@pytest.fixture
async def forwarder(recorder_server):
    _recorder, server = recorder_server
    forwarder = Forwarder(server.url)
    yield forwarder
    await forwarder.close()


async def test_keep_alive_connection_is_reused(forwarder):
    first = await forwarder.request("GET", "/a", [], b"", 5)
    second = await forwarder.request("GET", "/b", [], b"", 5)
    assert first.status == second.status == 200
    assert json.loads(first.body)["client_port"] == json.loads(second.body)["client_port"]


async def test_an_exchange_leaves_no_garbage_for_the_collector(forwarder):
    """Each exchange's parser and its callbacks are freed when it ends, not left in a reference cycle for
    the garbage collector: thousands a second through the gateway, and the full collections they brought
    on paused every request in flight (docs/performance.md)."""
    gc.collect()
    flags = gc.get_debug()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds unreachable is kept in gc.garbage, to look at
    try:
        for path in ("/a", "/b", "/c"):
            assert (await forwarder.request("GET", path, [], b"", 5)).status == 200
        assert (await forwarder.request("HEAD", "/d", [], b"", 5)).status == 200
        gc.collect()
        left = [thing for thing in gc.garbage if isinstance(thing, _Parsed)]
    finally:
        gc.set_debug(flags)
        gc.garbage.clear()
    assert left == []


async def test_a_connection_the_service_closed_is_replaced(forwarder):
    first = json.loads((await forwarder.request("GET", "/a", [], b"", 5)).body)
    await asyncio.sleep(1.6)  # past the service's 1 s keep-alive: it has closed the pooled connection
    again = await forwarder.request("POST", "/b", [(b"content-type", b"application/json")], b"{}", 5)
    assert again.status == 200
    assert json.loads(again.body)["client_port"] != first["client_port"]


async def test_head_answers_at_once_without_a_body(forwarder):
    started = time.monotonic()
    response = await forwarder.request("HEAD", "/units/X", [], b"", 5)
    assert response.status == 200 and response.body == b""
    assert int(dict(response.headers)[b"content-length"]) > 0
    assert time.monotonic() - started < 1.0
    # the connection is still good for the next request
    assert (await forwarder.request("GET", "/units/X", [], b"", 5)).status == 200


async def test_chunked_answer_is_read_whole(forwarder):
    response = await forwarder.request("GET", "/chunked", [], b"", 5)
    assert response.status == 200 and response.body == b"one,two,three"


@pytest.mark.parametrize("segment", ["AB%20CD-123", "A%2FB", "A%3FB", "A%0D%0Ax-caller-role:%20admin", "%E4%B8%AD"])
async def test_encoded_path_arrives_byte_for_byte(forwarder, recorder_server, segment):
    response = await forwarder.request("GET", f"/units/{segment}/coverage?on=2025-07-01&x=%0D%0A", [], b"", 5)
    seen = json.loads(response.body)
    assert seen["raw_path"] == f"/units/{segment}/coverage"
    assert seen["query"] == "on=2025-07-01&x=%0D%0A"
    assert len(recorder_server[0].seen) >= 1 and all("\r" not in s["raw_path"] for s in recorder_server[0].seen)


async def test_a_100_mib_import_body_arrives_whole(forwarder):
    body = bytes(range(256)) * (100 * 1024 * 1024 // 256)
    response = await forwarder.request("POST", "/units/import", [(b"content-type", b"text/csv")], body, 60)
    seen = json.loads(response.body)
    assert seen["size"] == len(body) == 100 * 1024 * 1024
    assert seen["sha256"] == hashlib.sha256(body).hexdigest()


async def test_a_service_that_never_answers_times_out():
    async def silent(reader, writer):
        await asyncio.sleep(30)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    forwarder = Forwarder(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await forwarder.request("GET", "/units/X", [], b"", 0.5)
        assert time.monotonic() - started < 2.0
    finally:
        await forwarder.close()
        server.close()


async def test_a_closed_port_is_a_connect_error():
    forwarder = Forwarder(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(UpstreamConnectError):
            await forwarder.request("GET", "/units/X", [], b"", 2)
    finally:
        await forwarder.close()


@pytest.mark.parametrize(("target", "headers"), [
    ("/receipts HTTP/1.1\r\nx-caller-role: admin\r\nx: ", []),
    ("/units/A B", []),
    ("/units/\x00", []),
    ("/units/A", [(b"x-request-id", b"r\r\nx-caller-role: admin")]),
    ("/units/A", [(b"x-bad name", b"v")]),
])
async def test_nothing_that_would_add_a_line_is_ever_sent(forwarder, recorder_server, target, headers):
    recorder, _server = recorder_server
    before = len(recorder.seen)
    with pytest.raises(UnsafeRequest):
        await forwarder.request("GET", target, headers, b"", 5)
    assert len(recorder.seen) == before


async def test_no_more_exchanges_at_once_than_slots_and_a_cancelled_waiter_takes_none(recorder_server):
    _recorder, server = recorder_server
    forwarder = Forwarder(server.url, max_connections=1)
    try:
        answers = await asyncio.gather(*(forwarder.request("GET", f"/n{i}", [], b"", 5) for i in range(5)))
        assert [json.loads(a.body)["path"] for a in answers] == [f"/n{i}" for i in range(5)]
        assert len({json.loads(a.body)["client_port"] for a in answers}) == 1  # one connection, reused
        # A request waiting for the one slot, cancelled: the slot is not lost.
        first = asyncio.create_task(forwarder.request("GET", "/first", [], b"", 5))
        waiting = asyncio.create_task(forwarder.request("GET", "/never", [], b"", 5))
        await asyncio.sleep(0)
        assert forwarder.free == 0 and len(forwarder.waiting) == 1
        waiting.cancel()
        assert (await first).status == 200
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert forwarder.free == 1 and not forwarder.waiting
        assert (await forwarder.request("GET", "/after", [], b"", 5)).status == 200
    finally:
        await forwarder.close()


async def test_a_timeout_gives_its_slot_back():
    async def silent(reader, writer):
        await asyncio.sleep(30)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    forwarder = Forwarder(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", max_connections=1)
    try:
        for _ in range(2):
            with pytest.raises(TimeoutError):
                await forwarder.request("GET", "/units/X", [], b"", 0.2)
        assert forwarder.free == 1 and not forwarder.idle  # the connection mid-answer was closed, not pooled
    finally:
        await forwarder.close()
        server.close()


async def test_bytes_on_an_idle_connection_retire_it(recorder_server):
    _recorder, server = recorder_server
    forwarder = Forwarder(server.url)
    try:
        first = json.loads((await forwarder.request("GET", "/a", [], b"", 5)).body)
        forwarder.idle[-1].data_received(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")  # nobody asked
        again = json.loads((await forwarder.request("GET", "/b", [], b"", 5)).body)
        assert again["client_port"] != first["client_port"]
    finally:
        await forwarder.close()
