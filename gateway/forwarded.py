"""Behind a TLS proxy: the client's address and scheme, from X-Forwarded-For / X-Forwarded-Proto,
believed only when the connection comes from an address in TRUSTED_PROXIES.

uvicorn's own handling of these headers is off for the gateway (`--no-proxy-headers`): this
setting alone decides. A request that arrived over https (itself, or said so by a trusted proxy)
gets Strict-Transport-Security, and the web app's cookies are `Secure` (pages.is_https).
"""

import ipaddress

from starlette.types import Message, Scope, Send

LOOPBACK = "127.0.0.1,::1"
_MAX_REMEMBERED = 1024


class TrustedProxies:
    def __init__(self, spec: str) -> None:
        self.networks = [ipaddress.ip_network(part.strip(), strict=False)
                         for part in spec.split(",") if part.strip()]
        self._known: dict[str, bool] = {}  # peer address -> trusted, so that a request parses nothing

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, host: str) -> bool:
        known = self._known.get(host)
        if known is None:
            try:
                address = ipaddress.ip_address(host)
            except ValueError:
                known = False  # a unix socket, a name: never a proxy of ours
            else:
                known = any(address in network for network in self.networks)
            if len(self._known) >= _MAX_REMEMBERED:
                self._known.clear()
            self._known[host] = known
        return known

    def apply(self, scope: Scope) -> None:
        """Take the client's address and scheme from a trusted proxy's headers into the scope."""
        client = scope.get("client")
        if not self.networks or not client or not self.trusts(client[0]):
            return
        proto = chain = None
        for key, value in scope["headers"]:
            if key == b"x-forwarded-proto":
                proto = value
            elif key == b"x-forwarded-for":
                chain = value if chain is None else chain + b"," + value
        if proto is not None:
            scheme = proto.rsplit(b",", 1)[-1].strip().lower()
            if scheme in (b"http", b"https"):
                scope["scheme"] = scheme.decode()
        if chain is not None:
            # From the right: each trusted proxy names who came to it; the first untrusted one is the client.
            # A hop that is not an address ends the walk: the last one believed stays the client.
            for hop in reversed(chain.decode("latin-1").split(",")):
                hop = hop.strip()
                if not _is_address(hop):
                    return
                scope["client"] = (hop, 0)
                if not self.trusts(hop):
                    return


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def with_hsts(send: Send, seconds: int) -> Send:
    header = (b"strict-transport-security", b"max-age=%d" % seconds)

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), header]
        await send(message)

    return sending
