"""The httpx client services use to call each other: the internal token and a
signed `system` identity (shared/identity.py), the caller's request id forwarded,
a wait bounded by the request's deadline and that deadline passed on, failures
turned into one error."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from shared import context, deadline, errors, identity
from shared.settings import Settings


class ServiceClient:
    """Requests to one service, sent straight to its transport (its connection pool): a request is built
    once, with only the headers the callee reads, and none of a general client's layers (URL merging,
    default headers, cookies kept from answers, auth flows, redirects, event hooks) runs per call, none
    of which a call between our services uses. Proxies from the environment are not used: the services
    call each other directly (settings' SERVICE_URLS)."""

    def __init__(self, transport: httpx.AsyncBaseTransport, base_url: str, name: str, internal_token: str,
                 timeout: float = 10.0) -> None:
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.token = internal_token
        self.timeout = timeout

    async def request(self, method: str, path: str, *, idempotency_key: str | None = None,
                      params: dict | None = None, json: object = None, headers: dict | None = None,
                      timeout: float | None = None) -> httpx.Response:
        # Wait less than our own deadline (and `timeout`, when the caller wants less than the setting), and
        # tell the callee it has less still: the hop that waited is the one that reports the timeout, and a
        # late callee does nothing.
        wait = deadline.wait_budget(min(self.timeout, timeout) if timeout else self.timeout)
        if wait <= 0:
            raise errors.UpstreamTimeout(f"No time was left to call the {self.name} service")
        # The signed headers go to httpx as the bytes identity.py made (no decoding and re-encoding).
        sent: list = identity.headers(self.token, context.SYSTEM, request_id=context.request_id() or "",
                                      deadline_ms=deadline.header_for_call(wait))
        if idempotency_key:
            sent.append((b"idempotency-key", idempotency_key.encode()))
        if headers:
            sent.extend((k, v) for k, v in headers.items() if k.lower().encode() not in identity.SINGLE)
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
        response.request = request
        if response.status_code >= 500:
            raise errors.UpstreamUnavailable(
                f"The {self.name} service failed ({response.status_code})"
            )
        return response


def new_transport() -> httpx.AsyncBaseTransport:
    # A small pool: httpx slows down as its pool grows (bench/README).
    return httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=16, max_keepalive_connections=16))


@asynccontextmanager
async def service_clients(
    settings: Settings, peers: tuple[str, ...], transports: dict[str, httpx.AsyncBaseTransport] | None = None
) -> AsyncIterator[dict[str, ServiceClient]]:
    """Clients for the services this one calls (only those: each costs an SSL context)."""
    transports = transports or {}
    made = {name: transports.get(name) or new_transport() for name in peers}
    try:
        yield {name: ServiceClient(made[name], settings.service_urls[name], name, settings.internal_token,
                                   settings.upstream_timeout_seconds)
               for name in peers}
    finally:
        for transport in made.values():
            await transport.aclose()
