"""The ASGI middleware every service runs behind: request id, internal token,
the signed caller (shared/identity.py), the request's deadline (shared/deadline.py),
paths no route can own, HEAD as GET, body size limit and one access-log line per request.

Written as plain ASGI (not BaseHTTPMiddleware): it sits on every request.
"""

import asyncio
import os
import re
import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import context, deadline, errors, identity, metrics, storable

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json"})
log = structlog.get_logger("access")


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def clean_request_id(value: str | None) -> str:
    # A caller's id is kept when it is a sane token, so that logs can be joined.
    if value and len(value) <= 128 and value.isprintable() and " " not in value:
        return value
    return new_request_id()


def new_request_id() -> str:
    """`uuid.uuid4().hex`: 16 random bytes with the version (4) and variant (RFC 4122) bits set,
    in hexadecimal; without building a UUID object on every request."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    return raw.hex()


class BodyTooLarge(errors.ServiceError):
    status, code, title = 413, "payload_too_large", "The request body is too large"


class IncompleteBody(errors.ServiceError):
    status, code, title = 400, "incomplete_body", "The request body did not arrive in full"


def too_large(limit: int):
    """The 413 answer; the connection is closed after it (the rest of the body is not read)."""
    return errors.problem(413, "payload_too_large", f"The body is larger than {limit} bytes",
                          headers={"Connection": "close"})


def declared_body(scope: Scope) -> tuple[int | None, bool, bool]:
    """(Content-Length as a number, None if absent or not a number; whether Transfer-Encoding is set;
    whether the body says it is JSON)."""
    length = chunked = None
    is_json = False
    for key, value in scope["headers"]:  # all in one pass
        if key == b"content-length":
            length = length if length is not None else value
        elif key == b"transfer-encoding":
            chunked = chunked or value
        elif key == b"content-type":
            is_json = b"json" in value.lower()
    return (int(length) if length is not None and length.isdigit() else None), bool(chunked), is_json


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives `body` (read already) as the whole body, then whatever comes after."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


async def refuse_body(error: errors.ServiceError, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    if isinstance(error, BodyTooLarge):
        await too_large(limit)(scope, receive, send)
    else:
        await errors.problem(error.status, error.code, error.detail, **error.extra)(scope, receive, send)


def limit_receive(receive: Receive, limit: int, expected: int | None = None) -> Receive:
    """`receive`, raising BodyTooLarge past `limit` bytes, and IncompleteBody when the body ends
    short of `expected` bytes or the client leaves before its end (nothing is done with part of a body)."""
    seen = 0
    done = False

    async def counted() -> Message:
        nonlocal seen, done
        message = await receive()
        if done:
            return message
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(f"The body is larger than {limit} bytes")
            if not message.get("more_body", False):
                done = True
                if expected is not None and seen != expected:
                    raise IncompleteBody(f"The body has {seen} of its {expected} bytes")
        elif message["type"] == "http.disconnect":
            raise IncompleteBody("The client left before the body's end")
        return message

    return counted


async def read_body(receive: Receive, limit: int, expected: int | None = None) -> bytes:
    """The whole body, bounded and complete (limit_receive's errors), without a copy when it came at once."""
    counted = limit_receive(receive, limit, expected)
    message = await counted()
    body = message.get("body", b"")
    if not message.get("more_body", False):
        return body
    chunks = [body]
    while message.get("more_body", False):
        message = await counted()
        chunks.append(message.get("body", b""))
    return b"".join(chunks)


async def check_body(scope: Scope, receive: Receive, send: Send, limit: int) -> tuple[Receive, int | None] | None:
    """A request's body checked before any app reads it, at a service and at the gateway's own routes.
    None when the request was answered here: 413 for a declared length or a streamed body past `limit`,
    400 for a body cut short, 422 for JSON text no database stores (shared/storable.py). Otherwise the
    `receive` to go on with and the declared length still to count (None: nothing is left to count)."""
    length, chunked, is_json = declared_body(scope)
    if length is not None and length > limit:
        await too_large(limit)(scope, receive, send)
        return None
    if is_json and (length or chunked) or length is None and chunked:
        # A JSON body is read here whole, to refuse text no database stores in any field of any
        # route; a streamed body of unknown length too, so that too much is a 413 and not a parse
        # error further in.
        try:
            body = await read_body(receive, limit, length)
            if is_json and (wrong := storable.unstorable_fields(body)):
                raise errors.Unprocessable("A text field holds a character no database stores", errors=wrong)
        except (BodyTooLarge, IncompleteBody, errors.Unprocessable) as exc:
            await refuse_body(exc, limit, scope, receive, send)
            return None
        return replay(body, receive), None
    return receive, length


async def in_request_context(scope: Scope, receive: Receive, send: Send, handle) -> None:
    """Run `handle` with the request id bound and returned, one access line logged,
    and any unexpected error answered as a 500 problem."""
    rid = clean_request_id(header(scope, b"x-request-id"))
    token = context.set_request_id(rid)
    started = time.perf_counter()
    status: int | None = None
    rid_header = (b"x-request-id", rid.encode())

    async def send_with_id(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            message["headers"] = [*message.get("headers", []), rid_header]
        await send(message)

    try:
        await handle(scope, receive, send_with_id)
    except Exception as exc:
        await answer_unexpected(exc, scope, receive, send_with_id, started=status is not None)
    finally:
        metrics.observe(scope, status or 500, time.perf_counter() - started)
        log.info(
            "request",
            method=scope["method"],
            path=scope["path"],
            status=status or 500,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )
        context.reset_request_id(token)


async def answer_unexpected(exc: Exception, scope: Scope, receive: Receive, send: Send, *, started: bool):
    """Log an unexpected error with its trace; the client gets a 500 problem, never the trace.
    A domain error or a database fault raised outside the app's handlers gets its own answer."""
    response = errors.known_problem(exc)
    if response is None:
        log.error("unhandled_error", exc_type=type(exc).__name__, exc_info=exc)
        response = errors.problem(500, "internal_error", "An unexpected error occurred; it has been logged")
    if not started:
        await response(scope, receive, send)


def body_limit_for(method: str, path: str, default: int, large_routes: dict[str, int]) -> int:
    """The body limit of one route: `large_routes` names routes exactly, "POST /units/import"."""
    return large_routes.get(f"{method} {path}", default) if large_routes else default


def bad_path(scope: Scope) -> bool:
    """A path no route of ours can own: an encoded slash (it would become another segment
    once decoded) or a control character in a segment (it could become a header line)."""
    raw = scope.get("raw_path") or scope["path"].encode()
    if b"%2f" in raw.lower():
        return True
    return _CONTROL.search(scope["path"]) is not None


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ServiceMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        internal_token: str,
        max_body_bytes: int,
        large_body_paths: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.token = internal_token.encode()
        self.max_body_bytes = max_body_bytes
        self.large_body_paths = large_body_paths or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await in_request_context(scope, receive, send, self._handle)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        try:
            at = self._authenticate(scope, path)
        except identity.IdentityRefused as exc:
            await errors.problem(exc.status, exc.code, exc.detail)(scope, receive, send)
            return
        if at is not None and at <= time.time():
            # Nobody waits for this answer any more (we were paused, or the queue was long): do nothing.
            await errors.problem(504, "upstream_timeout", "The request's deadline had passed on arrival")(
                scope, receive, send)
            return
        if bad_path(scope):
            await errors.problem(404, "not_found", "No resource has this path")(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b""):
            # No text column holds a NUL (PostgreSQL refuses it): a 422 here, not a 500 in a query.
            await errors.problem(422, "validation_error", "The query holds a NUL character",
                                 errors=[{"field": "query", "message": "must not contain %00"}])(scope, receive, send)
            return
        limit = body_limit_for(scope["method"], path, self.max_body_bytes, self.large_body_paths)
        checked = await check_body(scope, receive, send, limit)
        if checked is None:
            return
        receive, length = checked
        if scope["method"] == "HEAD":
            scope, send = head_as_get(scope, send)
        token = deadline.start(at)
        try:
            if length is not None:
                receive = limit_receive(receive, limit, length)
            # else the body was read whole, or none can come (HTTP/1.1 without Content-Length or
            # Transfer-Encoding): nothing to count
            await run_until(at, self.app, scope, receive, send)
        finally:
            deadline.reset(token)

    def _authenticate(self, scope: Scope, path: str) -> float | None:
        """Bind the proven caller in the scope; return the request's deadline (or None)."""
        if path in OPEN_PATHS:
            scope.setdefault("state", {})["caller"] = None
            return None
        caller, _request_id, at = identity.verify(scope["headers"], self.token)
        scope.setdefault("state", {})["caller"] = caller
        return at


def head_as_get(scope: Scope, send: Send) -> tuple[Scope, Send]:
    """HEAD wherever GET: the GET answer's status and headers, without its body. The route the GET matched
    (routing records it in the GET's scope) is put in the HEAD's, so the HEAD is labelled with its template
    (shared/metrics.py), not counted as unmatched."""
    as_get = {**scope, "method": "GET"}

    async def headers_only(message: Message) -> None:
        if message["type"] == "http.response.start" and "route" in as_get:
            scope["route"] = as_get["route"]
        elif message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return as_get, headers_only


async def run_until(at: float | None, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run the app; at the deadline, stop it (its transaction rolls back) and answer 504 ourselves."""
    if at is None:
        await app(scope, receive, send)
        return
    started = False

    async def tracked(message: Message) -> None:
        nonlocal started
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        async with asyncio.timeout(max(0.0, at - time.time())):
            await app(scope, receive, tracked)
    except (TimeoutError, deadline.DeadlineExceeded):
        log.warning("deadline_exceeded", path=scope["path"])
        if not started:
            await errors.problem(504, "upstream_timeout", "The request's deadline passed before it was done")(
                scope, receive, send)
