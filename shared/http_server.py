"""uvicorn's httptools protocol, with bounds on what a client may send, answering what it refuses
as problem+json.

A request whose target holds a raw control character, a space or a byte past
ASCII never reaches an app: the parser refuses it first, and uvicorn would
answer a plain-text 400. Every process of ours runs with this protocol
(`uvicorn --http shared.http_server:ProblemHttpToolsProtocol`, scripts/run.py),
so that answer is a problem like every other, with a stable code.

uvicorn's httptools protocol bounds nothing a client sends before the app sees it: a request
line or a header of any length, any number of headers, and all the time in the world to send
them and the body. Here, for every path of every process, before any app runs:

- the request line is at most HTTP_MAX_REQUEST_LINE_BYTES (414), the head (request line and
  headers) at most HTTP_MAX_HEADER_BYTES in all and HTTP_MAX_HEADERS lines (431);
- the head is sent within HTTP_HEADER_TIMEOUT_SECONDS of its first byte (or of the connection),
  the body within HTTP_BODY_TIMEOUT_SECONDS of the end of the head (408, then the connection
  is closed). An app may give one request longer for its body (`extend_body_time`: the gateway
  does for the unit import).

The body's size is the app's to bound (shared/middleware.py, gateway/proxy.py): it knows the
route and the caller. uvicorn holds at most 64 KiB of a body the app has not asked for.
"""

import json
import os
import sys
import uuid
from dataclasses import dataclass
from http import HTTPStatus

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from shared import errors

HTTP_PROTOCOL = "shared.http_server:ProblemHttpToolsProtocol"
# Where an app finds `extend_body_time` for the request (an ASGI scope's server-specific "extensions").
BODY_TIME_EXTENSION = "aftersales.body_time"


@dataclass(frozen=True)
class Limits:
    request_line_bytes: int = 8 * 1024
    header_bytes: int = 32 * 1024
    headers: int = 100
    header_seconds: float = 10.0
    body_seconds: float = 60.0

    @classmethod
    def from_environment(cls, environ=os.environ) -> "Limits":
        def number(name: str, default, kind):
            value = environ.get(name, "").strip()
            return kind(value) if value else default

        base = cls()
        return cls(
            request_line_bytes=number("HTTP_MAX_REQUEST_LINE_BYTES", base.request_line_bytes, int),
            header_bytes=number("HTTP_MAX_HEADER_BYTES", base.header_bytes, int),
            headers=number("HTTP_MAX_HEADERS", base.headers, int),
            header_seconds=number("HTTP_HEADER_TIMEOUT_SECONDS", base.header_seconds, float),
            body_seconds=number("HTTP_BODY_TIMEOUT_SECONDS", base.body_seconds, float),
        )


def problem_bytes(code: str, detail: str, request_id: str, status: int = 400) -> bytes:
    body = {"type": errors.PROBLEM_TYPE + code, "title": HTTPStatus(status).phrase, "status": status,
            "detail": detail, "code": code, "request_id": request_id}
    return json.dumps(body, separators=(",", ":")).encode()


def extend_body_time(scope, seconds: float) -> None:
    """Give this request's body `seconds` from now to arrive in full (no-op under another server)."""
    extend = scope.get("extensions", {}).get(BODY_TIME_EXTENSION)
    if extend is not None:
        extend(seconds)


class Refused(Exception):
    """Raised from a parser callback to stop the parser; `send_400_response` answers what was noted."""


CORK_MAX_BYTES = 64 * 1024  # a write this large goes out at once (after what is held), not copied


class _Corked:
    """A connection's transport whose writes made in one turn of the event loop go out as one.

    uvicorn writes an answer's head and its body with two `transport.write`s, and uvloop makes each a
    `write()` of its own: two system calls and two segments where one would do (and the peer reads twice).
    Here the first write of a turn is held, the ones after it join it, and it all goes out when the loop
    next runs its callbacks (an answer made in one step goes out whole). A close first sends what is held."""

    __slots__ = ("_transport", "_loop", "_held")

    def __init__(self, transport, loop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        if len(data) > CORK_MAX_BYTES:
            self.flush()
            self._transport.write(data)
        elif self._held is None:
            self._held = [data]
            self._loop.call_soon(self.flush)
        else:
            self._held.append(data)

    def flush(self) -> None:
        held, self._held = self._held, None
        if held and not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name, default=None):
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def __getattr__(self, name):
        return getattr(self._transport, name)


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    limits = Limits.from_environment()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # between the end of a request (or the connection's start) and its next head's end
        self._head_bytes = 0
        self._header_count = 0
        self._header_size = 0
        self._refusal: tuple[int, str, str] | None = None
        self._timer = None  # the head's, then the body's deadline
        self._body_seconds = self.limits.body_seconds

    # Timers

    def _arm(self, seconds: float, callback) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_too_slow(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False  # the answer being made is the connection's last
            return
        if self._head_bytes == 0 and not self.url:
            self.transport.close()  # a connection that never said a word: nobody to answer
            return
        self._refuse(408, "request_timeout",
                     f"The request's headers did not arrive within {self.limits.header_seconds:g} s")

    def _body_too_slow(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            self.transport.close()  # answered already; the rest of the body is not worth waiting for
            return
        if not cycle.response_started:
            self._refuse(408, "request_timeout", "The request's body did not arrive in time")
        else:
            self.transport.close()
        # The app reads no more body: it sees a disconnect, and what it sends goes nowhere.
        cycle.disconnected = True
        cycle.message_event.set()

    def extend_body_time(self, seconds: float) -> None:
        self._body_seconds = seconds
        if not self._in_head and self.cycle is not None and self.cycle.more_body:
            self._arm(seconds, self._body_too_slow)

    # Protocol interface

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.transport = _Corked(transport, self.loop)  # uvicorn's flow control keeps the transport itself
        self.url = b""
        self._arm(self.limits.header_seconds, self._head_too_slow)

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self.transport.is_closing():
            return
        if self._in_head:
            # A head that has not ended within the bound: the parser kept at most one read (256 KiB) of it.
            if self._head_bytes > self.limits.header_bytes:
                self._refuse(431, "request_header_too_large",
                             f"The request's headers are larger than {self.limits.header_bytes} bytes")
            elif self._timer is None and (self._head_bytes or self.url):
                # Part of a head, and not the rest: it has a while to come (a whole head costs no timer).
                self._arm(self.limits.header_seconds, self._head_too_slow)
        elif self._timer is None and self.cycle is not None and self.cycle.more_body:
            # The head is in, its body is not (yet): it has a while to come in full.
            self._arm(self._body_seconds, self._body_too_slow)

    # Parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = self._header_size = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.limits.request_line_bytes:
            self._stop(414, "uri_too_long",
                       f"The request target is longer than {self.limits.request_line_bytes} bytes")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._header_size += len(name) + len(value) + 4
        if self._header_count > self.limits.headers:
            self._stop(431, "request_header_too_large", f"The request has more than {self.limits.headers} headers")
        if self._header_size + len(self.url) > self.limits.header_bytes:
            self._stop(431, "request_header_too_large",
                       f"The request's headers are larger than {self.limits.header_bytes} bytes")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self._disarm()
        self._body_seconds = self.limits.body_seconds
        self.scope.setdefault("extensions", {})[BODY_TIME_EXTENSION] = self.extend_body_time
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        self._in_head = True
        self._head_bytes = 0
        self.url = b""
        super().on_message_complete()

    # Answers

    def _stop(self, status: int, code: str, detail: str):
        self._refusal = (status, code, detail)
        raise Refused(detail)

    def _refuse(self, status: int, code: str, detail: str) -> None:
        self._disarm()
        request_id = uuid.uuid4().hex
        body = problem_bytes(code, detail, request_id, status)
        head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode()]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [b"content-type: application/problem+json\r\n", b"content-length: ", str(len(body)).encode(),
                 b"\r\n", b"x-request-id: ", request_id.encode(), b"\r\n", b"connection: close\r\n\r\n", body]
        self.transport.write(b"".join(head))
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        # Called from uvicorn's `except HttpParserError`: the error says which part was wrong.
        error = sys.exc_info()[1]
        if self._refusal is not None:
            self._refuse(*self._refusal)
        elif isinstance(error, httptools.HttpParserInvalidURLError):
            self._refuse(400, "invalid_request_target", "The request target holds a control character, a space "
                                                        "or a byte past ASCII; percent-encode it")
        else:
            self._refuse(400, "invalid_http_request", "The request is not valid HTTP/1.1")
