"""uvicorn's httptools protocol, answering what its parser refuses as problem+json.

A request whose target holds a raw control character, a space or a byte past
ASCII never reaches an app: the parser refuses it first, and uvicorn would
answer a plain-text 400. Every process of ours runs with this protocol
(`uvicorn --http shared.http_server:ProblemHttpToolsProtocol`, scripts/run.py),
so that answer is a problem like every other, with a stable code.

`HTTP_COALESCE=1` (a measurement knob, off by default) hands the socket each
answer in one write: uvicorn writes the status line and headers, then the body,
as two writes; with it, the writes made in one turn of the event loop are joined
and leave at the end of that turn. It cut the gateway's own CPU per forwarded
request, but the coverage through the gateway lost req/s and total CPU per
request in 4 of 5 A/B pairs (docs/performance.md, "Gateway and the request
stack"), so it is not on.
"""

import json
import os
import sys
import uuid

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from shared import errors

HTTP_PROTOCOL = "shared.http_server:ProblemHttpToolsProtocol"
COALESCE = os.environ.get("HTTP_COALESCE", "0") == "1"
# Past this many bytes waiting, they leave at once (a streamed answer never piles up in memory).
COALESCE_MAX_BYTES = 64 * 1024


class CoalescingTransport:
    """A transport whose writes made in one turn of the event loop leave in one write, at its end,
    in order; closing sends what waits first. Everything else is the wrapped transport's."""

    __slots__ = ("_transport", "_loop", "_pending", "_size")

    def __init__(self, transport, loop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] | None = None
        self._size = 0

    def write(self, data) -> None:
        if not data:
            return
        data = bytes(data)  # a bytearray could change before it leaves
        if self._pending is None:
            self._pending, self._size = [data], len(data)
            self._loop.call_soon(self.flush)
        else:
            self._pending.append(data)
            self._size += len(data)
        if self._size >= COALESCE_MAX_BYTES:
            self.flush()

    def writelines(self, chunks) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        pending, self._pending, self._size = self._pending, None, 0
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def get_write_buffer_size(self) -> int:
        return self._size + self._transport.get_write_buffer_size()

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


def problem_bytes(code: str, detail: str, request_id: str) -> bytes:
    body = {"type": errors.PROBLEM_TYPE + code, "title": "Bad Request", "status": 400, "detail": detail,
            "code": code, "request_id": request_id}
    return json.dumps(body, separators=(",", ":")).encode()


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport) -> None:  # type: ignore[override]
        if COALESCE:
            transport = CoalescingTransport(transport, self.loop)
        super().connection_made(transport)

    def send_400_response(self, msg: str) -> None:
        # Called from uvicorn's `except HttpParserError`: the error says which part was wrong.
        error = sys.exc_info()[1]
        if isinstance(error, httptools.HttpParserInvalidURLError):
            code, detail = "invalid_request_target", "The request target holds a control character, a space " \
                                                     "or a byte past ASCII; percent-encode it"
        else:
            code, detail = "invalid_http_request", "The request is not valid HTTP/1.1"
        request_id = uuid.uuid4().hex
        body = problem_bytes(code, detail, request_id)
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [b"content-type: application/problem+json\r\n", b"content-length: ", str(len(body)).encode(),
                 b"\r\n", b"x-request-id: ", request_id.encode(), b"\r\n", b"connection: close\r\n\r\n", body]
        self.transport.write(b"".join(head))
        self.transport.close()
