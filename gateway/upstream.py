"""The gateway's upstream client: HTTP/1.1 keep-alive over asyncio streams.

One `Forwarder` per service, in production and in tests alike (tests run real
services, or fakes, under uvicorn on a free port). Answers are parsed by
httptools (llhttp, the parser uvicorn uses); the pool and the framing of the
request are ours: a LIFO stack of idle connections and one timeout around the
exchange. aiohttp's client replaced it for a day and cost a third of the
coverage throughput through the gateway (docs/decisions.md, "Trust boundary and
deadlines", with the figures), so this one stays, held to the same tests
(tests/gateway/test_forwarder.py, against a real uvicorn).

The target goes out byte for byte as the gateway received it, still
percent-encoded; a target or header holding anything but visible ASCII is
refused here too, so no caller of this class can ever write a second header
line or a second request onto a pooled connection.
"""

import asyncio
import re
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools

# Below uvicorn's 5 s keep-alive, so a pooled connection is rarely one the service closed.
IDLE_SECONDS = 3.0
SAFE_TO_RETRY = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_NOT_VISIBLE = re.compile(rb"[^\x21-\x7e]")
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# The only methods ever forwarded; the gateway answers any other (TRACE, CONNECT, ...) with 405 itself.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_METHODS = METHODS


class UpstreamConnectError(Exception):
    """The service could not be reached (nothing was sent)."""


class UpstreamProtocolError(Exception):
    """The connection broke or the answer was not HTTP."""


class UnsafeRequest(ValueError):
    """A target or header that would change the framing of the request: never sent."""


@dataclass(slots=True)
class UpstreamResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


@dataclass(slots=True)
class _Parsed:
    head_only: bool = False  # the answer to HEAD: its Content-Length announces no body that follows
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
        if self.head_only:
            self.done = True

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


class Forwarder:
    """Requests to one service over a pool of keep-alive connections."""

    def __init__(self, base_url: str, *, max_connections: int = 64, connect_timeout: float = 2.0) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.base_path = parts.path.rstrip("/")
        self.host_header = f"{self.host}:{self.port}".encode()
        self.connect_timeout = connect_timeout
        self.idle: deque[_Connection] = deque()
        self.slots = asyncio.Semaphore(max_connections)

    async def request(
        self, method: str, target: str, headers: list[tuple[bytes, bytes]], body: bytes, timeout: float
    ) -> UpstreamResponse:
        """`target` is the raw path and query (`/units/A%2FB?x=1`). Raises TimeoutError,
        UpstreamConnectError, UpstreamProtocolError, or UnsafeRequest (nothing sent)."""
        head = self._head(method, target, headers, body)
        async with self.slots, asyncio.timeout(timeout):
            connection, reused = await self._checkout()
            try:
                return await self._exchange(connection, head, body, method == "HEAD")
            except UpstreamProtocolError:
                # A pooled connection the service had just closed: a request that is safe to repeat
                # goes once more on a fresh connection. Never a POST or PATCH, with an Idempotency-Key
                # or not: the worker may have died while running it, still holding the key's claim,
                # and the client, told 503, retries when it chooses (shared/idempotency.py).
                if not reused or method not in SAFE_TO_RETRY:
                    raise
            connection = await self._connect()
            return await self._exchange(connection, head, body, method == "HEAD")

    async def close(self) -> None:
        while self.idle:
            self.idle.pop().close()

    def _head(self, method: str, target: str, headers, body: bytes) -> bytes:
        raw_target = (self.base_path + target).encode("ascii", errors="replace")
        if method not in _METHODS or not raw_target.startswith(b"/") or _NOT_VISIBLE.search(raw_target):
            raise UnsafeRequest(f"refusing to send {method} {target!r}")
        lines = [method.encode() + b" " + raw_target + b" HTTP/1.1", b"host: " + self.host_header]
        if body or method not in ("GET", "HEAD"):
            lines.append(b"content-length: " + str(len(body)).encode())
        for name, value in headers:
            if _NOT_VISIBLE.search(name) or _CONTROL.search(value):
                raise UnsafeRequest(f"refusing to send the header {name!r}")
            lines.append(name + b": " + value)
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

    async def _exchange(self, connection: _Connection, head: bytes, body: bytes, head_only: bool) -> UpstreamResponse:
        parsed = _Parsed(head_only=head_only)
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
