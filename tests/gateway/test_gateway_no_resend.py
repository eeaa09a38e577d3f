"""A service worker that dies while it runs a request: the gateway re-sends only what is safe to
repeat (GET, HEAD, PUT, DELETE, OPTIONS). A POST or a PATCH, with an Idempotency-Key or not, is sent
once and answered 503 `upstream_unavailable` with Retry-After; the client retries when it chooses
(before, the gateway re-sent a keyed POST at once, and the client got the claim's 409)."""

import asyncio

import pytest

from gateway.main import create_app
from shared.upstream import Forwarder, UpstreamProtocolError

from gateway_support import ADMIN
from helpers import asgi_client, assert_problem

pytestmark = pytest.mark.anyio


class DyingWorker:
    """Plain HTTP/1.1 on a free port: the first request on a connection is answered (keep-alive);
    the next one on that connection is read whole, and then the connection drops unanswered."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> "DyingWorker":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_exc) -> None:
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        answered = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                length = next((int(line.split(":", 1)[1]) for line in lines
                               if line.lower().startswith("content-length:")), 0)
                await reader.readexactly(length)
                self.seen.append(lines[0].split(" ")[0] + " " + lines[0].split(" ")[1])
                if answered:
                    break  # the worker dies with the request in hand
                answered += 1
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


async def test_a_keyed_post_is_sent_once_when_the_worker_dies():
    async with DyingWorker() as worker:
        forwarder = Forwarder(worker.url)
        try:
            assert (await forwarder.request("GET", "/warm", [], b"", 5)).status == 200
            headers = [(b"content-type", b"application/json"), (b"idempotency-key", b"bill-1")]
            with pytest.raises(UpstreamProtocolError):
                await forwarder.request("POST", "/repairs", headers, b"{}", 5)
            assert worker.seen == ["GET /warm", "POST /repairs"]

            assert (await forwarder.request("GET", "/warm", [], b"", 5)).status == 200
            with pytest.raises(UpstreamProtocolError):
                await forwarder.request("PATCH", "/parts/P-1", [(b"content-type", b"application/json")], b"{}", 5)
            assert worker.seen[2:] == ["GET /warm", "PATCH /parts/P-1"]

            # what is safe to repeat goes once more, on a fresh connection
            assert (await forwarder.request("GET", "/warm", [], b"", 5)).status == 200
            assert (await forwarder.request("GET", "/again", [], b"", 5)).status == 200
            assert worker.seen[4:] == ["GET /warm", "GET /again", "GET /again"]
        finally:
            await forwarder.close()


async def test_the_client_gets_503_with_retry_after_not_the_retrys_409(gateway_settings, fakes):
    async with DyingWorker() as worker:
        urls = {**gateway_settings.service_urls, "billing": worker.url}
        settings = gateway_settings.model_copy(update={"service_urls": urls})
        async with asgi_client(create_app(settings)) as gateway:
            admin = {"X-API-Key": ADMIN}
            assert (await gateway.get("/billing/invoices", headers=admin)).status_code == 200
            response = await gateway.post("/billing/repairs", json={}, headers={**admin, "Idempotency-Key": "r-1"})
            assert_problem(response, 503, "upstream_unavailable")
            assert int(response.headers["retry-after"]) > 0
            assert worker.seen == ["GET /invoices", "POST /repairs"]
