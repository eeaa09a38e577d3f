"""Text a database can store: no NUL (PostgreSQL refuses U+0000 in text) and no unpaired surrogate
(no UTF-8 encodes one: the driver, the log and the JSON answer would fail on it).

JSON can carry both only as escapes (`\\u0000`, `\\ud800`): a raw control character is invalid
JSON already, and bytes that are not UTF-8 do not decode. So a body is searched for those escapes
first (one pass in C), and decoded and walked only when one is there, to name the fields.
ServiceMiddleware refuses such a JSON body with a 422 before any route sees it, in every service.
"""

import json
import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
MESSAGE = "must not contain a NUL character (U+0000) or an unpaired surrogate"
MAX_REPORTED = 20


def storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def unstorable_fields(body: bytes) -> list[dict]:
    """The fields (`errors[]` items) of a JSON body whose text cannot be stored; [] when none, or
    when the body is not JSON at all (the route's own parsing words that)."""
    if b"\\u" not in body or _ESCAPE.search(body) is None:
        return []
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return []
    found: list[dict] = []
    stack: list[tuple[object, tuple]] = [(data, ())]
    while stack and len(found) < MAX_REPORTED:
        value, path = stack.pop()
        if isinstance(value, str):
            if not storable(value):
                found.append({"field": ".".join(map(str, path)) or "body", "message": MESSAGE})
        elif isinstance(value, dict):
            for key, item in value.items():
                if not storable(key):  # never echoed: the answer could not encode it either
                    found.append({"field": ".".join(map(str, path)) or "body", "message": "a key " + MESSAGE})
                    key = "?"
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
    found.sort(key=lambda error: error["field"])
    return found
