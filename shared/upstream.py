"""The upstream client: HTTP/1.1 keep-alive over an asyncio protocol.

One `Forwarder` per service, in the gateway and for the services' calls to each
other (shared/http.py, `ForwarderTransport`), in production and in tests alike
(tests run real services, or fakes, under uvicorn on a free port). Answers are parsed by
httptools (llhttp, the parser uvicorn uses); the pool and the framing of the
request are ours: a LIFO stack of idle connections and one deadline for the
exchange (a timer on the answer's future). aiohttp's client replaced it for a day and cost a third of the
coverage throughput through the gateway (docs/decisions.md, "Trust boundary and
deadlines", with the figures), so this one stays, held to the same tests
(tests/gateway/test_forwarder.py, against a real uvicorn).

The target goes out byte for byte as the gateway received it, still
percent-encoded; a target or header holding anything but visible ASCII is
refused here too, so no caller of this class can ever write a second header
line or a second request onto a pooled connection.
"""

import asyncio
import contextlib
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


def _expire(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class _Connection(asyncio.Protocol):
    """One keep-alive connection to the service: the socket's data goes straight into the parser of
    the exchange under way (no stream buffer between them), and its end wakes whoever waits."""

    __slots__ = ("transport", "idle_since", "parser", "parsed", "waiter", "closed")

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.idle_since = time.monotonic()
        self.parser = self.parsed = self.waiter = None
        self.closed = False  # the service ended it (or it broke): never used again

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            # Bytes nobody asked for (on an idle connection, or after the answer): it cannot be trusted.
            self.closed = True
            self.transport.close()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            waiter.set_exception(UpstreamProtocolError(str(exc)))
            return
        if self.parsed.done:
            waiter.set_result(None)

    def eof_received(self) -> bool:
        self._lost("the service closed the connection")
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost(str(exc) if exc else "the service closed the connection")

    def _lost(self, why: str) -> None:
        self.closed = True
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(UpstreamProtocolError(why))

    def close(self) -> None:
        self.closed = True
        self.transport.close()


class Forwarder:
    """Requests to one service over a pool of keep-alive connections."""

    def __init__(self, base_url: str, *, max_connections: int = 64, connect_timeout: float = 2.0) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.base_path = parts.path.rstrip("/")
        self.host_header = f"{self.host}:{self.port}".encode()
        self.host_line = b"host: " + self.host_header
        self.connect_timeout = connect_timeout
        self.idle: deque[_Connection] = deque()
        # At most max_connections exchanges at once (an asyncio.Semaphore, without its Python calls
        # when a slot is free): `free` slots, and the requests waiting for one, first come first served.
        self.free = max_connections
        self.waiting: deque[asyncio.Future] = deque()

    async def request(
        self, method: str, target: str, headers: list[tuple[bytes, bytes]], body: bytes, timeout: float
    ) -> UpstreamResponse:
        """`target` is the raw path and query (`/units/A%2FB?x=1`). Raises TimeoutError,
        UpstreamConnectError, UpstreamProtocolError, or UnsafeRequest (nothing sent)."""
        head = self._head(method, target, headers, body)
        if self.free > 0:  # then nobody waits (a slot given back goes to a waiter first)
            self.free -= 1
        else:
            await self._slot()
        try:
            # `timeout` from the moment a slot is ours, for the connection and the whole answer.
            deadline = asyncio.get_running_loop().time() + timeout
            connection = self._checkout()
            reused = connection is not None
            if connection is None:
                connection = await self._connect(deadline)
            try:
                return await self._exchange(connection, head, body, method == "HEAD", deadline)
            except UpstreamProtocolError:
                # A pooled connection the service had just closed: a request that is safe to repeat
                # goes once more on a fresh connection. Never a POST or PATCH, with an Idempotency-Key
                # or not: the worker may have died while running it, still holding the key's claim,
                # and the client, told 503, retries when it chooses (shared/idempotency.py).
                if not reused or method not in SAFE_TO_RETRY:
                    raise
            connection = await self._connect(deadline)
            return await self._exchange(connection, head, body, method == "HEAD", deadline)
        finally:
            self._release()

    async def _slot(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self.waiting.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._release()  # given a slot as it was cancelled: it goes on to the next
            else:
                with contextlib.suppress(ValueError):
                    self.waiting.remove(waiter)
            raise

    def _release(self) -> None:
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1

    async def close(self) -> None:
        while self.idle:
            self.idle.pop().close()

    def _head(self, method: str, target: str, headers, body: bytes) -> bytes:
        raw_target = (self.base_path + target).encode("ascii", errors="replace")
        if method not in _METHODS or not raw_target.startswith(b"/") or _NOT_VISIBLE.search(raw_target):
            raise UnsafeRequest(f"refusing to send {method} {target!r}")
        lines = [method.encode() + b" " + raw_target + b" HTTP/1.1", self.host_line]
        if body or method not in ("GET", "HEAD"):
            lines.append(b"content-length: %d" % len(body))
        if headers:
            # One look at all the names and one at all the values: a byte that is wrong in one of
            # them is wrong in their concatenation.
            names, values = zip(*headers, strict=True)
            if _NOT_VISIBLE.search(b"".join(names)) or _CONTROL.search(b"".join(values)):
                for name, value in headers:
                    if _NOT_VISIBLE.search(name) or _CONTROL.search(value):
                        raise UnsafeRequest(f"refusing to send the header {name!r}")
            lines.extend(map(b": ".join, headers))
        lines.append(b"\r\n")
        return b"\r\n".join(lines)

    def _checkout(self) -> _Connection | None:
        """A pooled connection still open and not idle for too long, or None."""
        if not self.idle:
            return None
        now = time.monotonic()
        while self.idle:
            connection = self.idle.pop()
            if now - connection.idle_since < IDLE_SECONDS and not connection.closed:
                return connection
            connection.close()
        return None

    async def _connect(self, deadline: float) -> _Connection:
        loop = asyncio.get_running_loop()
        left = deadline - loop.time()
        timer = asyncio.timeout(min(self.connect_timeout, left))
        try:
            async with timer:
                _transport, connection = await loop.create_connection(_Connection, self.host, self.port)
        except OSError as exc:  # TimeoutError included
            if timer.expired() and left <= self.connect_timeout:
                raise  # the request's own time ran out while connecting: a timeout, not a failure to connect
            raise UpstreamConnectError(f"cannot connect to {self.host}:{self.port}") from exc
        return connection

    async def _exchange(self, connection: _Connection, head: bytes, body: bytes, head_only: bool,
                        deadline: float) -> UpstreamResponse:
        parsed = _Parsed(head_only=head_only)
        parser = parsed.parser = httptools.HttpResponseParser(parsed)
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        timer = loop.call_at(deadline, _expire, waiter)
        connection.parser, connection.parsed, connection.waiter = parser, parsed, waiter
        try:
            if connection.closed:
                raise UpstreamProtocolError("the service closed the connection")
            # The data of the whole answer goes to the parser as it arrives (_Connection.data_received).
            if len(body) < 65536:
                connection.transport.write(head + body)
            else:
                connection.transport.write(head)
                connection.transport.write(body)
            await waiter
        except TimeoutError:  # the deadline (_expire); a broken socket is an UpstreamProtocolError (_lost)
            connection.close()
            raise
        except OSError as exc:
            connection.close()
            raise UpstreamProtocolError(str(exc)) from exc
        except BaseException:
            connection.close()  # a broken answer, a timeout or a cancellation leaves the stream mid-answer
            raise
        finally:
            timer.cancel()
            connection.parser = connection.parsed = connection.waiter = None
            # The parser holds `parsed`'s callbacks and `parsed` the parser: a reference cycle, left to the
            # garbage collector if not broken here (ten objects an exchange, and the full collections they
            # bring on: pauses of 100 ms and more in the middle of the requests in flight, measured).
            parsed.parser = None
        if parsed.keep_alive and not connection.closed:
            connection.idle_since = time.monotonic()
            self.idle.append(connection)
        else:
            connection.close()
        return UpstreamResponse(parser.get_status_code(), parsed.headers, b"".join(parsed.body))
