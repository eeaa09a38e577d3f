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
    def __init__(self, client: httpx.AsyncClient, name: str, internal_token: str, timeout: float = 10.0) -> None:
        self.client = client
        self.name = name
        self.token = internal_token
        self.timeout = timeout

    async def request(self, method: str, path: str, *, idempotency_key: str | None = None, **kwargs):
        # Wait less than our own deadline, and tell the callee it has less still: the hop
        # that waited is the one that reports the timeout, and a late callee does nothing.
        wait = deadline.wait_budget(self.timeout)
        if wait <= 0:
            raise errors.UpstreamTimeout(f"No time was left to call the {self.name} service")
        # The signed headers go to httpx as the bytes identity.py made (no decoding and re-encoding).
        headers: list = identity.headers(self.token, context.SYSTEM, request_id=context.request_id() or "",
                                         deadline_ms=deadline.header_for_call(wait))
        if idempotency_key:
            headers.append((b"idempotency-key", idempotency_key.encode()))
        extra = kwargs.pop("headers", None)
        if extra:
            headers.extend((k, v) for k, v in extra.items() if k.lower().encode() not in identity.SINGLE)
        kwargs.setdefault("timeout", httpx.Timeout(wait, connect=min(wait, 2.0)))
        try:
            async with asyncio.timeout(wait):
                response = await self.client.request(method, path, headers=headers, **kwargs)
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise errors.UpstreamTimeout(f"The {self.name} service did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise errors.UpstreamUnavailable(f"The {self.name} service is unavailable") from exc
        if response.status_code >= 500:
            raise errors.UpstreamUnavailable(
                f"The {self.name} service failed ({response.status_code})"
            )
        return response


def new_client(base_url: str, timeout: float, *, transport: httpx.AsyncBaseTransport | None = None):
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
        # A small pool: httpx slows down as its pool grows (bench/README).
        limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
        transport=transport,
    )


@asynccontextmanager
async def service_clients(
    settings: Settings, peers: tuple[str, ...], transports: dict[str, httpx.AsyncBaseTransport] | None = None
) -> AsyncIterator[dict[str, ServiceClient]]:
    """Clients for the services this one calls (only those: each costs an SSL context)."""
    transports = transports or {}
    clients = {
        name: new_client(settings.service_urls[name], settings.upstream_timeout_seconds,
                         transport=transports.get(name))
        for name in peers
    }
    try:
        yield {name: ServiceClient(c, name, settings.internal_token, settings.upstream_timeout_seconds)
               for name, c in clients.items()}
    finally:
        for client in clients.values():
            await client.aclose()
