"""The gateway's upstream client: HTTP/1.1 keep-alive over asyncio streams.

Measured here (../shared/bench/README.md, and our own profile of the proxy
hop), httpx's connection pool costs more CPU per request than the service
behind it once thirty-odd requests are in flight, so the hot path of the
gateway talks to the services with this small client instead: a LIFO stack
of idle connections, httptools' C parser, one timeout around the exchange.
"""

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools

# Below uvicorn's 5 s keep-alive, so a pooled connection is rarely one the service closed.
IDLE_SECONDS = 3.0
SAFE_TO_RETRY = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class UpstreamConnectError(Exception):
    """The service could not be reached (nothing was sent)."""


class UpstreamProtocolError(Exception):
    """The connection broke or the answer was not HTTP."""


@dataclass(slots=True)
class UpstreamResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass(slots=True)
class _Parsed:
    parser: object = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: list[bytes] = field(default_factory=list)
    done: bool = False
    keep_alive: bool = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        # httptools forgets keep-alive once the message is complete, so read it here.
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.done = True


class _Connection:
    __slots__ = ("reader", "writer", "idle_since")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.idle_since = time.monotonic()

    def close(self) -> None:
        self.writer.close()


class UpstreamPool:
    def __init__(self, base_url: str, *, max_connections: int = 64, connect_timeout: float = 2.0) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.host_header = f"{self.host}:{self.port}".encode()
        self.connect_timeout = connect_timeout
        self.idle: deque[_Connection] = deque()
        self.slots = asyncio.Semaphore(max_connections)

    async def request(
        self, method: str, target: str, headers: list[tuple[bytes, bytes]], body: bytes, timeout: float
    ) -> UpstreamResponse:
        """Raises TimeoutError, UpstreamConnectError or UpstreamProtocolError."""
        async with self.slots, asyncio.timeout(timeout):
            head = self._head(method, target, headers, body)
            connection, reused = await self._checkout()
            try:
                return await self._exchange(connection, head, body)
            except UpstreamProtocolError:
                # A pooled connection the service had just closed: nothing was processed,
                # so a request that is safe to repeat goes once more on a fresh connection.
                if not reused or not (method in SAFE_TO_RETRY or _has(headers, b"idempotency-key")):
                    raise
            connection = await self._connect()
            return await self._exchange(connection, head, body)

    async def close(self) -> None:
        while self.idle:
            self.idle.pop().close()

    def _head(self, method: str, target: str, headers, body: bytes) -> bytes:
        lines = [f"{method} {target} HTTP/1.1".encode(), b"host: " + self.host_header,
                 b"content-length: " + str(len(body)).encode()]
        lines += [name + b": " + value for name, value in headers]
        return b"\r\n".join(lines) + b"\r\n\r\n"

    async def _checkout(self) -> tuple[_Connection, bool]:
        now = time.monotonic()
        while self.idle:
            connection = self.idle.pop()
            if now - connection.idle_since < IDLE_SECONDS and not connection.reader.at_eof():
                return connection, True
            connection.close()
        return await self._connect(), False

    async def _connect(self) -> _Connection:
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(self.host, self.port)
        except (OSError, TimeoutError) as exc:
            raise UpstreamConnectError(f"cannot connect to {self.host}:{self.port}") from exc
        return _Connection(reader, writer)

    async def _exchange(self, connection: _Connection, head: bytes, body: bytes) -> UpstreamResponse:
        parsed = _Parsed()
        parser = httptools.HttpResponseParser(parsed)
        parsed.parser = parser
        try:
            connection.writer.write(head + body if len(body) < 65536 else head)
            if len(body) >= 65536:
                connection.writer.write(body)
            await connection.writer.drain()
            while not parsed.done:
                chunk = await connection.reader.read(65536)
                if not chunk:
                    raise UpstreamProtocolError("the service closed the connection")
                parser.feed_data(chunk)
        except (OSError, httptools.HttpParserError, asyncio.IncompleteReadError) as exc:
            connection.close()
            raise UpstreamProtocolError(str(exc)) from exc
        except BaseException:
            connection.close()  # a timeout or cancellation leaves the stream mid-answer
            raise
        if parsed.keep_alive:
            connection.idle_since = time.monotonic()
            self.idle.append(connection)
        else:
            connection.close()
        return UpstreamResponse(parser.get_status_code(), parsed.headers, b"".join(parsed.body))


def _has(headers: list[tuple[bytes, bytes]], name: bytes) -> bool:
    return any(key == name for key, _ in headers)


class HttpxUpstream:
    """The same interface over an httpx client: lets tests put fakes behind the gateway."""

    def __init__(self, client) -> None:
        self.client = client

    async def request(self, method, target, headers, body, timeout) -> UpstreamResponse:
        import httpx

        try:
            response = await self.client.request(method, target, content=body, headers=headers, timeout=timeout)
        except httpx.TimeoutException as exc:
            raise TimeoutError(str(exc)) from exc
        except httpx.ConnectError as exc:
            raise UpstreamConnectError(str(exc)) from exc
        except httpx.HTTPError as exc:
            raise UpstreamProtocolError(str(exc)) from exc
        headers_out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
        return UpstreamResponse(response.status_code, headers_out, response.content)

    async def close(self) -> None:
        return None
