"""The gateway's front door, as plain ASGI: request id, authentication, rate
limit, the rules table, then either a hop to a service or the gateway's own
routes. Every request passes here, so it does no more work than it must.

The path goes to the service exactly as received, still percent-encoded
(scope["raw_path"]), and the caller's identity goes with an HMAC over it
(shared/identity.py) and the request's deadline (shared/deadline.py).
"""

import re
from urllib.parse import quote_from_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway import rules
from gateway.config import GatewaySettings
from gateway.forwarded import TrustedProxies, with_hsts
from gateway.ratelimit import client_address
from gateway.web.paths import serves as web_serves
from shared import context, deadline, errors, identity, metrics
from shared.http_server import extend_body_time
from shared.middleware import (
    BodyTooLarge,
    IncompleteBody,
    check_body,
    declared_body,
    head_as_get,
    header,
    in_request_context,
    limit_receive,
    read_body,
    refuse_body,
    too_large,
)
from shared.settings import SERVICES
from shared.upstream import METHODS, UpstreamConnectError, UpstreamProtocolError

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect"})
OPEN_PATHS |= {"/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/favicon.png"}  # /docs's own files
FORWARDED_HEADERS = frozenset({b"content-type", b"accept", b"idempotency-key"})
RETURNED_HEADERS = frozenset({b"content-type", b"retry-after", b"idempotent-replayed", b"location"})
# The one route with a larger body and more time, for the roles that may call it.
IMPORT_ROUTE = ("POST", "/warranty/units/import")
IMPORT_ROLES = frozenset({"admin"})
SERVICE_PREFIXES = tuple(f"/{name}/" for name in SERVICES)
# What may stay as it is in a forwarded target: printable ASCII; other bytes above 0x7F are
# percent-encoded (lossless), and a control character or a space refuses the request.
TARGET_SAFE = bytes(range(0x21, 0x7F))
SIGNERS_KEPT = 4096  # callers whose identity headers are kept made; past it, they start again


class InvalidTarget(Exception):
    pass


_CONTROL_OR_SPACE = re.compile(rb"[\x00-\x20\x7f]")
_NOT_VISIBLE = re.compile(rb"[^\x21-\x7e]")  # a control character, a space, or a byte past ASCII


def _clean(raw: bytes) -> str:
    if not _NOT_VISIBLE.search(raw):  # nearly always: one look
        return raw.decode("ascii")
    if _CONTROL_OR_SPACE.search(raw):
        raise InvalidTarget()
    return quote_from_bytes(raw, safe=TARGET_SAFE)  # bytes past ASCII, percent-encoded


def check_target(scope: Scope) -> bool:
    """False when the request target holds a control character or a space."""
    query = scope.get("query_string")
    return not _CONTROL_OR_SPACE.search(scope.get("raw_path") or b"") and not (
        query and _CONTROL_OR_SPACE.search(query))


def upstream_target(scope: Scope, service: str) -> str | None:
    """The raw path below the service prefix, and the raw query; None when the raw path
    does not start with the prefix as written (`/warranty%2Funits`)."""
    raw = scope.get("raw_path") or quote_from_bytes(scope["path"].encode(), safe=TARGET_SAFE).encode()
    prefix = b"/" + service.encode()
    if raw != prefix and not raw.startswith(prefix + b"/"):
        return None
    target = _clean(raw[len(prefix):] or b"/")
    if scope.get("query_string"):
        target += "?" + _clean(scope["query_string"])
    return target


def api_key(scope: Scope) -> str | None:
    key = header(scope, b"x-api-key")
    if key:
        return key.strip()
    auth = header(scope, b"authorization")
    if auth and auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return None


class Gateway:
    def __init__(self, app: ASGIApp, settings: GatewaySettings) -> None:
        self.app = app  # the FastAPI app: admin routes, health, docs, and the lifespan
        self.settings = settings
        self.proxies = TrustedProxies(settings.trusted_proxies)
        # The identity headers' fixed part per caller (shared/identity.py Signer), by the caller object
        # the key check hands out (it keeps one per key while the key stays unchanged).
        self.signers: dict[int, tuple[context.Caller, identity.Signer]] = {}

    @property
    def state(self):
        return self.app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.proxies:
            self.proxies.apply(scope)
        if scope["scheme"] == "https" and self.settings.hsts_seconds:
            send = with_hsts(send, self.settings.hsts_seconds)
        await in_request_context(scope, receive, send, self.handle)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if not check_target(scope):
            detail = "The request target holds a control character or a space; percent-encode it"
            await errors.problem(400, "invalid_request_target", detail)(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b"") and (path in OPEN_PATHS or not path.startswith(SERVICE_PREFIXES)):
            # As every service refuses it (shared/middleware.py), for the gateway's own routes and pages.
            await errors.problem(422, "validation_error", "The query holds a NUL character",
                                 errors=[{"field": "query", "message": "must not contain %00"}])(scope, receive, send)
            return
        if path in OPEN_PATHS or web_serves(path):  # the web app signs people in itself
            limit = self.settings.web_form_max_bytes if web_serves(path) else self.settings.max_body_bytes
            receive = await self.bounded(scope, receive, send, limit)
            if receive is not None:
                await self.own(scope, receive, send)
            return
        state = self.app.state._state  # (State's __getattr__ is a Python call per name)
        presented = api_key(scope)
        caller = await state["authenticator"].authenticate(presented)
        if caller is None:
            await self.refuse_key(scope, receive, send, presented=bool(presented))
            return
        wait = state["limiter"].take(caller.key_id or "anonymous")
        if wait > 0:
            response = errors.problem(
                429, "rate_limited", "Too many requests for this API key",
                headers={"Retry-After": str(max(1, round(wait + 0.5)))},
            )
            await response(scope, receive, send)
            return
        if not rules.allowed(caller.role, scope["method"], path):
            detail = f"The {caller.role} role may not {scope['method']} {path}"
            await errors.problem(403, "forbidden", detail)(scope, receive, send)
            return
        service = path.split("/", 2)[1]
        if service in SERVICES:
            await self.forward(scope, receive, send, service, caller)
            return
        scope.setdefault("state", {})["caller"] = caller
        receive = await self.bounded(scope, receive, send, self.settings.max_body_bytes)
        if receive is not None:
            await self.own(scope, receive, send)

    async def bounded(self, scope: Scope, receive: Receive, send: Send, limit: int) -> Receive | None:
        """`receive` for one of the gateway's own routes, bounded to `limit` bytes and complete, its body
        checked as every service checks its own (shared/middleware.py check_body); None when the request
        was answered here."""
        checked = await check_body(scope, receive, send, limit)
        if checked is None:
            return None
        receive, length = checked
        return limit_receive(receive, limit, length) if length else receive

    async def refuse_key(self, scope: Scope, receive: Receive, send: Send, *, presented: bool) -> None:
        """401; or 429 when the client address has guessed too often (api.md "Guessing"). Only here,
        after the key check failed, is the address counted: a valid key never waits for it."""
        if presented:
            guard, address = self.state.guard, client_address(scope)
            wait = guard.wait(address) or await guard.failed(address)
            if wait:
                response = errors.problem(429, "rate_limited", "Too many failed key checks from this address",
                                          headers={"Retry-After": str(wait)})
                await response(scope, receive, send)
                return
        await errors.problem(401, "unauthorized", "Send a valid API key in X-API-Key")(scope, receive, send)

    async def own(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The gateway's own routes; HEAD wherever GET."""
        if scope["method"] == "HEAD":
            scope, send = head_as_get(scope, send)
        await self.app(scope, receive, send)

    async def forward(self, scope: Scope, receive: Receive, send: Send, service: str, caller) -> None:
        path = scope["path"]
        if scope["method"] not in METHODS:  # never sent on (the forwarder refuses it): no route has it
            detail = f"No operation of this API takes {scope['method']}"
            allow = ", ".join(sorted(METHODS))
            await errors.problem(405, "method_not_allowed", detail, headers={"Allow": allow})(scope, receive, send)
            return
        is_import = scope["method"] == IMPORT_ROUTE[0] and path == IMPORT_ROUTE[1] and caller.role in IMPORT_ROLES
        limit = self.settings.import_max_body_bytes if is_import else self.settings.max_body_bytes
        length, chunked, _json = declared_body(scope)
        if length is not None and length > limit:
            await too_large(limit)(scope, receive, send)
            return
        if is_import:
            extend_body_time(scope, self.settings.gateway_import_timeout_seconds)
        if not length and not chunked:
            body = b""  # HTTP/1.1 without Content-Length or Transfer-Encoding: no body can come
        else:
            try:
                # Nothing is sent on from a body that did not come in full.
                body = await read_body(receive, limit, length)
            except (BodyTooLarge, IncompleteBody) as exc:
                await refuse_body(exc, limit, scope, receive, send)
                return
        target = upstream_target(scope, service)
        if target is None:
            await errors.problem(404, "not_found", "No route for this path")(scope, receive, send)
            return
        timeout = (
            self.settings.gateway_import_timeout_seconds if is_import else self.settings.gateway_timeout_seconds
        )
        # ASGI gives header names in lower case, so none of these is an identity header (identity.SINGLE);
        # and the target is visible ASCII already (upstream_target): send_upstream's checks have nothing to do.
        headers = [(k, v) for k, v in scope["headers"] if k in FORWARDED_HEADERS]
        headers += self.signer(caller).headers(context.request_id() or "", deadline.header_for_call(timeout))
        try:
            upstream = await self.send_checked(service, scope["method"], target, headers, body, timeout)
        except errors.ServiceError as exc:
            await errors.problem(exc.status, exc.code, exc.detail)(scope, receive, send)
            return
        # One pass over the answer's headers (the forwarder gives their names in lower case).
        out_headers, route, declared = [], None, None
        for name, value in upstream.headers:
            if name in RETURNED_HEADERS:
                out_headers.append((name, value))
            elif name == metrics.ROUTE_HEADER:
                route = value if route is None else route
            elif name == b"content-length":
                declared = value if declared is None else declared
        metrics.forwarded(scope, service, ((metrics.ROUTE_HEADER, route),) if route is not None else ())
        if scope["method"] == "HEAD":  # the length the GET answer would have
            out_headers.append((b"content-length", declared if declared is not None else b"0"))
            await send({"type": "http.response.start", "status": upstream.status, "headers": out_headers})
            await send({"type": "http.response.body", "body": b""})
            return
        out_headers.append((b"content-length", b"%d" % len(upstream.body)))
        await send({"type": "http.response.start", "status": upstream.status, "headers": out_headers})
        await send({"type": "http.response.body", "body": upstream.body})

    async def call(self, caller, method: str, path: str, *, query: str = "", body: bytes = b"",
                   headers: list[tuple[bytes, bytes]] | None = None):
        """One request to a service on behalf of `caller`, under the same rules as the public door.

        For the gateway's own pages: `path` starts with the service prefix (`/warranty/units/X`);
        a space, a control character or a non-ASCII letter in it is percent-encoded, a `%` is kept
        (so an encoded segment stays encoded). Raises errors.Forbidden when the role may not,
        errors.Upstream* when the service fails.
        """
        if not rules.allowed(caller.role, method, path):
            raise errors.Forbidden(f"The {caller.role} role may not {method} {path}")
        service = path.split("/", 2)[1]
        if service not in SERVICES:
            raise errors.NotFound(f"No service at {path}")
        target = (path[len(service) + 1:] or "/") + (f"?{query}" if query else "")
        return await self.send_upstream(service, caller, method, target, list(headers or []), body,
                                        self.settings.gateway_timeout_seconds)

    async def send_upstream(self, service: str, caller, method: str, target: str,
                            headers: list[tuple[bytes, bytes]], body: bytes, timeout: float):
        # Identity headers are ours alone: any the caller passed in are dropped, never doubled.
        headers = [(k, v) for k, v in headers if k.lower() not in identity.SINGLE]
        headers += self.identity_headers(caller, timeout=timeout)
        if not target.isascii() or not target.isprintable() or " " in target:
            # Only Gateway.call can get here with such a target: encode, never write it raw.
            target = quote_from_bytes(target.encode("utf-8"), safe=TARGET_SAFE)
        return await self.send_checked(service, method, target, headers, body, timeout)

    async def send_checked(self, service: str, method: str, target: str, headers: list[tuple[bytes, bytes]],
                           body: bytes, timeout: float):
        """The request, its identity headers in `headers` and its target visible ASCII, to the service;
        its failures as the gateway answers them."""
        try:
            return await self.app.state._state["forwarders"][service].request(method, target, headers, body,
                                                                             timeout)
        except TimeoutError as exc:
            raise errors.UpstreamTimeout(f"The {service} service did not answer in time") from exc
        except (UpstreamConnectError, UpstreamProtocolError) as exc:
            raise errors.UpstreamUnavailable(f"The {service} service is unavailable") from exc

    def signer(self, caller) -> identity.Signer:
        """The identity headers' maker for a caller from the key check, made once per caller object."""
        kept = self.signers.get(id(caller))
        if kept is not None and kept[0] is caller:  # the same object (held here, so its id is not reused)
            return kept[1]
        made = identity.Signer(self.settings.internal_token, as_caller(caller))
        if len(self.signers) >= SIGNERS_KEPT:
            self.signers.clear()
        self.signers[id(caller)] = (caller, made)
        return made

    def identity_headers(self, caller, *, timeout: float | None = None) -> list[tuple[bytes, bytes]]:
        """What a service needs to know who asks: the internal token, the request id, the caller,
        the deadline of a call we wait `timeout` seconds for (default: the gateway's timeout),
        and the signature over them."""
        wait = self.settings.gateway_timeout_seconds if timeout is None else timeout
        return identity.headers(self.settings.internal_token, as_caller(caller),
                                request_id=context.request_id() or "", deadline_ms=deadline.header_for_call(wait))


def as_caller(caller) -> context.Caller:
    """The caller as identity.py signs it (a person signed in to the web app, or a key's caller)."""
    return context.Caller(role=caller.role, key_id=caller.key_id, warehouses=frozenset(caller.warehouses),
                          kind=getattr(caller, "kind", "key"), name=getattr(caller, "name", ""),
                          station=getattr(caller, "station", ""))
