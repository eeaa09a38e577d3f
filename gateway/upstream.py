"""The gateway's upstream client: aiohttp's pooled HTTP/1.1 client and C parser.

One `Forwarder` per service, in production and in tests alike (tests run real
services, or fakes, under uvicorn on a free port). The target goes out byte
for byte as the gateway received it (still percent-encoded, `encoded=True`):
nothing a client put in a path segment is decoded on the way, so it can never
turn into a header line or a second request. `make bench` measured it against
the hand-written client it replaced (docs/decisions.md).
"""

from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDict
from yarl import URL

# Below uvicorn's 5 s keep-alive, so a pooled connection is rarely one the service closed.
IDLE_SECONDS = 2.0
# Content-Type and the rest come from the client's request or not at all.
SKIP_AUTO_HEADERS = frozenset({"User-Agent", "Accept-Encoding", "Accept", "Content-Type"})


class UpstreamConnectError(Exception):
    """The service could not be reached (nothing was sent)."""


class UpstreamProtocolError(Exception):
    """The connection broke or the answer was not HTTP."""


@dataclass(slots=True)
class UpstreamResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class Forwarder:
    """Requests to one service over a pool of keep-alive connections."""

    def __init__(self, base_url: str, *, max_connections: int = 64, connect_timeout: float = 2.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:  # made on first use, inside the running loop
            connector = aiohttp.TCPConnector(
                limit=self.max_connections, keepalive_timeout=IDLE_SECONDS, use_dns_cache=True,
            )
            self._session = aiohttp.ClientSession(
                connector=connector, auto_decompress=False, trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),  # one caller's cookies are never another's
                skip_auto_headers=SKIP_AUTO_HEADERS,
            )
        return self._session

    async def request(
        self, method: str, target: str, headers: list[tuple[bytes, bytes]], body: bytes, timeout: float
    ) -> UpstreamResponse:
        """`target` is the raw path and query (`/units/A%2FB?x=1`). Raises TimeoutError,
        UpstreamConnectError or UpstreamProtocolError."""
        url = URL(self.base_url + target, encoded=True)
        sent = CIMultiDict((k.decode("latin-1"), v.decode("latin-1")) for k, v in headers)
        limits = aiohttp.ClientTimeout(total=timeout, sock_connect=self.connect_timeout)
        # aiohttp itself retries an idempotent method once on a pooled connection the service
        # had closed; a POST is tried again only when its Idempotency-Key makes that safe.
        attempts = 2 if "idempotency-key" in sent else 1
        for attempt in range(attempts):
            try:
                return await self._once(method, url, sent, body, limits)
            except aiohttp.ServerDisconnectedError as exc:
                if attempt + 1 == attempts:
                    raise UpstreamProtocolError(str(exc) or "the service closed the connection") from exc
        raise AssertionError("unreachable")

    async def _once(self, method: str, url: URL, headers: CIMultiDict, body: bytes,
                    limits: aiohttp.ClientTimeout) -> UpstreamResponse:
        try:
            async with self._client().request(
                method, url, headers=headers, data=body if body or method not in ("GET", "HEAD") else None,
                timeout=limits, allow_redirects=False,
            ) as response:
                payload = await response.read()
                return UpstreamResponse(response.status, _lowered(response.raw_headers), payload)
        except aiohttp.ConnectionTimeoutError as exc:
            raise UpstreamConnectError(f"cannot connect to {self.base_url} in time") from exc
        except aiohttp.ClientConnectorError as exc:
            raise UpstreamConnectError(f"cannot connect to {self.base_url}") from exc
        except TimeoutError as exc:
            raise TimeoutError(f"{self.base_url} did not answer in time") from exc
        except aiohttp.ServerDisconnectedError:
            raise
        except (aiohttp.ClientError, OSError) as exc:
            raise UpstreamProtocolError(str(exc) or type(exc).__name__) from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _lowered(raw: tuple[tuple[bytes, bytes], ...]) -> list[tuple[bytes, bytes]]:
    return [(name.lower(), value) for name, value in raw]
