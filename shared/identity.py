"""Who asks, as the gateway (or a calling service) vouches for it: signed, never merely claimed.

The caller's role, key id and warehouses, the request id and the deadline travel
in headers with an HMAC-SHA256 over all of them, keyed by the internal token. A
header line that slips through (a smuggled `x-caller-role: admin`) either
duplicates one of these headers, which is refused, or changes a value, which
breaks the signature. The signed text is a JSON array, so no value can shift
into its neighbour.
"""

import hashlib
import hmac
import json
from urllib.parse import quote, unquote

from shared import context, deadline

TOKEN = b"x-internal-token"
ROLE = b"x-caller-role"
KEY_ID = b"x-caller-key-id"
WAREHOUSES = b"x-caller-warehouses"
KIND = b"x-caller-kind"
NAME = b"x-caller-name"  # percent-encoded UTF-8: a header value is Latin-1 on the wire
STATION = b"x-caller-station"
REQUEST_ID = b"x-request-id"
SIGNATURE = b"x-caller-signature"
# Each of these may come at most once: a second one is a header line someone slipped in.
SINGLE = frozenset({TOKEN, ROLE, KEY_ID, WAREHOUSES, KIND, NAME, STATION, REQUEST_ID, SIGNATURE, deadline.HEADER})
VERSION = "v2"


class IdentityRefused(Exception):
    """The request's identity headers cannot be trusted; `status`/`code` say why."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


# Built once (json.dumps with options builds an encoder per call); the same text as
# json.dumps(..., separators=(",", ":")). A string alone is encoded as the encoder does it inside the array.
_ENCODER = json.JSONEncoder(separators=(",", ":"))
_STRING = json.encoder.encode_basestring_ascii
# The HMAC keyed with a token, kept per token (a process has one or two): a copy of it skips
# hashing the key's pads on every request.
_KEYED: dict[str, "hmac.HMAC"] = {}


def _keyed(token: str):
    """The keyed MAC of `token`, as the object whose copy, update and hexdigest are OpenSSL's own
    (`hmac.HMAC` wraps it in Python methods) when there is one."""
    keyed = _KEYED.get(token)
    if keyed is None:
        if len(_KEYED) > 8:  # tests make many tokens; a process has one or two
            _KEYED.clear()
        mac = hmac.new(token.encode(), digestmod=hashlib.sha256)
        keyed = _KEYED[token] = getattr(mac, "_hmac", None) or mac
    return keyed


def signature(token: str, *, role: str, key_id: str, warehouses: str, request_id: str, deadline_ms: str,
              kind: str = "", name: str = "", station: str = "") -> str:
    signed = _ENCODER.encode([VERSION, role, key_id, warehouses, kind, name, station, request_id, deadline_ms])
    mac = _keyed(token).copy()
    mac.update(signed.encode())
    return mac.hexdigest()


def headers(token: str, caller: context.Caller, *, request_id: str, deadline_ms: str = "") -> list[tuple[bytes, bytes]]:
    """Every header a service needs to know who asks, signed; `deadline_ms` may be empty (none)."""
    return Signer(token, caller).headers(request_id, deadline_ms)


class Signer:
    """The identity headers of one caller under one token, made once: per request, only the request
    id and the deadline are encoded and signed (the MAC of the rest is kept, and copied). The same
    headers, in the same order, and the same signature as `signature` over all the values."""

    __slots__ = ("_mac", "_token", "_caller")

    def __init__(self, token: str, caller: context.Caller) -> None:
        warehouses = ",".join(sorted(caller.warehouses))
        key_id = caller.key_id or ""
        name = quote(caller.name, safe="") if caller.name else ""
        # The signed array without its last two values: "[...,station," and, per request, 'rid","deadline"]'.
        prefix = _ENCODER.encode([VERSION, caller.role, key_id, warehouses, caller.kind, name, caller.station])
        self._mac = _keyed(token).copy()
        self._mac.update(prefix[:-1].encode() + b",")
        self._token = (TOKEN, token.encode())
        self._caller = (
            (ROLE, caller.role.encode()),
            (KEY_ID, key_id.encode()),
            (WAREHOUSES, warehouses.encode()),
            (KIND, caller.kind.encode()),
            (NAME, name.encode()),
            (STATION, caller.station.encode()),
        )

    def headers(self, request_id: str, deadline_ms: str = "") -> list[tuple[bytes, bytes]]:
        mac = self._mac.copy()
        mac.update(f"{_STRING(request_id)},{_STRING(deadline_ms)}]".encode())
        out = [self._token, (REQUEST_ID, request_id.encode()), *self._caller, (SIGNATURE, mac.hexdigest().encode())]
        if deadline_ms:
            out.append((deadline.HEADER, deadline_ms.encode()))
        return out


def verify(raw_headers: list[tuple[bytes, bytes]], token: bytes) -> tuple[context.Caller, str, float | None]:
    """The caller, request id and deadline (Unix seconds or None) of a request, once proven.

    Raises IdentityRefused: 401 without the token, 400 when a header comes twice,
    401 when the signature is missing or does not match the values.
    """
    found: dict[bytes, str] = {}
    for name, value in raw_headers:
        if name in SINGLE:
            if name in found:
                raise IdentityRefused(400, "duplicate_identity_header",
                                      f"The {name.decode()} header may be sent only once")
            found[name] = value.decode("latin-1")
    sent_token = found.get(TOKEN)
    if sent_token is None or not hmac.compare_digest(sent_token.encode("latin-1"), token):
        raise IdentityRefused(401, "internal_token_required", "Services answer only the gateway")
    role, key_id = found.get(ROLE, ""), found.get(KEY_ID, "")
    warehouses, request_id = found.get(WAREHOUSES, ""), found.get(REQUEST_ID, "")
    deadline_ms = found.get(deadline.HEADER, "")
    kind, name, station = found.get(KIND, ""), found.get(NAME, ""), found.get(STATION, "")
    expected = signature(token.decode("latin-1"), role=role, key_id=key_id, warehouses=warehouses,
                         request_id=request_id, deadline_ms=deadline_ms, kind=kind, name=name, station=station)
    if not role or not hmac.compare_digest(found.get(SIGNATURE, "").encode("latin-1"), expected.encode()):
        raise IdentityRefused(401, "invalid_caller_signature",
                              "The caller headers are not signed by the gateway")
    at = deadline.parse(deadline_ms)
    if deadline_ms and at is None:
        raise IdentityRefused(400, "invalid_deadline", f"{deadline.HEADER_NAME} is not a time in milliseconds")
    caller = context.Caller(
        role=role, key_id=key_id or None,
        warehouses=frozenset(w.strip().upper() for w in warehouses.split(",") if w.strip()),
        kind=kind or "key", name=unquote(name) if name else "", station=station.strip().upper(),
    )
    return caller, request_id, at
