"""The client services use to call each other: the internal token and a
signed `system` identity (shared/identity.py), the caller's request id forwarded,
a wait bounded by the request's deadline and that deadline passed on, failures
turned into one error."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote, urlencode

import httpx
import orjson

from shared import context, deadline, errors, identity, upstream
from shared.settings import Settings

# What a path keeps as it is: httpx's set for a path, '%' included (a caller's escapes are kept, never doubled).
_PATH_SAFE = "!$%&'()*+,-./:;=?@[\\]^_|~"
_JSON = (b"content-type", b"application/json")


def raw_target(path: str, params: dict | None = None) -> str:
    """The path and query as sent: what httpx.URL(path, params=params) writes on the wire."""
    target = quote(path, safe=_PATH_SAFE)
    if not params:
        return target
    pairs = [(key, _primitive(item)) for key, value in params.items()
             for item in (value if isinstance(value, list | tuple) else (value,))]
    return target + "?" + urlencode(pairs)


def _primitive(value) -> str:
    """A query value as httpx writes it: a list's items each under the key; true, false; None empty."""
    if value is True or value is False:
        return "true" if value else "false"
    return "" if value is None else str(value)


class Reply:
    """A peer's answer: its status, its body and what was asked. The calls between our services read only
    these (status_code, json(), the method and path for an error's words); httpx's Response, Request and URL
    objects cost more to build than the rest of a call (docs/performance.md)."""

    __slots__ = ("status_code", "content", "raw_headers", "method", "path")

    def __init__(self, status_code: int, content: bytes, raw_headers: list, method: str, path: str) -> None:
        self.status_code = status_code
        self.content = content
        self.raw_headers = raw_headers
        self.method = method
        self.path = path

    def json(self) -> object:
        """The body as JSON; ValueError when it is not."""
        return orjson.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    @property
    def headers(self) -> httpx.Headers:
        return httpx.Headers(self.raw_headers)

    @classmethod
    def of(cls, response: httpx.Response, method: str, path: str) -> "Reply":
        return cls(response.status_code, response.content, response.headers.raw, method, path)


class ServiceClient:
    """Requests to one service, sent straight to its transport (its connection pool): a request is built
    once, with only the headers the callee reads, and none of a general client's layers (URL merging,
    default headers, cookies kept from answers, auth flows, redirects, event hooks) runs per call, none
    of which a call between our services uses. Proxies from the environment are not used: the services
    call each other directly (settings' SERVICE_URLS)."""

    def __init__(self, transport: "Transport", base_url: str, name: str, internal_token: str,
                 timeout: float = 10.0) -> None:
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.timeout = timeout
        self._signer = identity.Signer(internal_token, context.SYSTEM)  # a service calls as `system`, always
        # Our own forwarder is called directly; any other transport (a test's in-process app) through httpx.
        self.forwarder = transport.forwarder if isinstance(transport, ForwarderTransport) else None

    async def request(self, method: str, path: str, *, idempotency_key: str | None = None,
                      params: dict | None = None, json: object = None, headers: dict | None = None,
                      timeout: float | None = None) -> Reply:
        # Wait less than our own deadline (and `timeout`, when the caller wants less than the setting), and
        # tell the callee it has less still: the hop that waited is the one that reports the timeout, and a
        # late callee does nothing.
        wait = deadline.wait_budget(min(self.timeout, timeout) if timeout else self.timeout)
        if wait <= 0:
            raise errors.UpstreamTimeout(f"No time was left to call the {self.name} service")
        # The signed headers are sent as the bytes identity.py made (no decoding and re-encoding).
        sent: list = self._signer.headers(context.request_id() or "", deadline.header_for_call(wait))
        if idempotency_key:
            sent.append((b"idempotency-key", idempotency_key.encode()))
        for name, value in (headers or {}).items():
            header = name.lower().encode()
            if header not in identity.SINGLE:
                sent.append((header, value.encode()))
        if self.forwarder is None:
            response = await self._through_httpx(method, path, params, json, sent, wait)
        else:
            response = await self._forward(method, path, params, json, sent, wait)
        if response.status_code >= 500:
            raise errors.UpstreamUnavailable(
                f"The {self.name} service failed ({response.status_code})"
            )
        return response

    async def _forward(self, method: str, path: str, params: dict | None, json: object, sent: list,
                       wait: float) -> Reply:
        target = raw_target(path, params)
        body = b""
        if json is not None:
            body = orjson.dumps(json)
            sent.append(_JSON)
        try:
            # The forwarder's own clock starts once a connection slot is ours: this one bounds the wait for it.
            async with asyncio.timeout(wait):
                answer = await self.forwarder.request(method, target, sent, body, wait)
        except TimeoutError as exc:
            raise errors.UpstreamTimeout(f"The {self.name} service did not answer in time") from exc
        except (upstream.UpstreamConnectError, upstream.UpstreamProtocolError, upstream.UnsafeRequest) as exc:
            raise errors.UpstreamUnavailable(f"The {self.name} service is unavailable") from exc
        return Reply(answer.status, answer.body, answer.headers, method, path)

    async def _through_httpx(self, method: str, path: str, params: dict | None, json: object, sent: list,
                             wait: float) -> Reply:
        request = httpx.Request(method, httpx.URL(self.base_url + path, params=params), headers=sent, json=json,
                                extensions={"timeout": httpx.Timeout(wait, connect=min(wait, 2.0)).as_dict()})
        try:
            async with asyncio.timeout(wait):
                response = await self.transport.handle_async_request(request)
                try:
                    await response.aread()
                finally:
                    await response.aclose()
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise errors.UpstreamTimeout(f"The {self.name} service did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise errors.UpstreamUnavailable(f"The {self.name} service is unavailable") from exc
        return Reply.of(response, method, path)


CALL_CONNECTIONS = 64  # a service's connections to one peer at most, as the gateway's to each service


class ForwarderTransport:
    """A peer's connections: the gateway's forwarder (shared/upstream.py), a LIFO stack of keep-alive
    connections parsed by httptools, which ServiceClient calls directly. httpcore's pool looked at every
    pooled connection on every request (`has_expired`, which asks anyio for the socket's attributes, each
    time a new dict): a quarter of the billing service's CPU per bill (docs/performance.md)."""

    def __init__(self, base_url: str, *, max_connections: int = CALL_CONNECTIONS) -> None:
        self.forwarder = upstream.Forwarder(base_url, max_connections=max_connections)

    async def aclose(self) -> None:
        await self.forwarder.close()


# What a ServiceClient sends through: our forwarder, or any httpx transport (a test's in-process app).
Transport = ForwarderTransport | httpx.AsyncBaseTransport


def new_transport(base_url: str) -> ForwarderTransport:
    return ForwarderTransport(base_url)


@asynccontextmanager
async def service_clients(
    settings: Settings, peers: tuple[str, ...], transports: dict[str, Transport] | None = None
) -> AsyncIterator[dict[str, ServiceClient]]:
    """Clients for the services this one calls (only those: each costs an SSL context)."""
    transports = transports or {}
    made = {name: transports.get(name) or new_transport(settings.service_urls[name]) for name in peers}
    try:
        yield {name: ServiceClient(made[name], settings.service_urls[name], name, settings.internal_token,
                                   settings.upstream_timeout_seconds)
               for name in peers}
    finally:
        for transport in made.values():
            await transport.aclose()
