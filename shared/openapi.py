"""The contract every app publishes, made truthful in one place.

FastAPI documents every 422 as its own `HTTPValidationError`, no other error,
and names operations after the function and path. Our answers are RFC 9457
problems, so every app (each service through `shared.app`, and the gateway)
calls `install`: one `Problem` schema, every error status an operation can
answer as `application/problem+json`, and the names and examples that routes
give with `@openapi.operation(...)`, placed above the router's decorator.

What an operation can answer is partly derived (a path parameter can name
nothing: 404; any input can be invalid: 422; a body can be too large: 413;
an `Idempotency-Key` can be in flight: 409) and partly said by the route
(its own 404/409 codes); the statuses every request can meet are `ALWAYS`.
"""

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
PROBLEM_CODES = "x-problem-codes"
# Components every app defines identically; the merged contract keeps one of each.
SHARED_SCHEMAS = {
    "Problem": {
        "title": "Problem",
        "type": "object",
        "description": (
            "An error (RFC 9457). `code` is stable and snake_case; a client branches on it, never on `detail`. "
            "Some problems carry more members, e.g. `shortages` on `insufficient_stock`."
        ),
        "required": ["type", "title", "status", "detail", "code", "request_id"],
        "properties": {
            "type": {"type": "string", "description": "A URI naming the problem's code"},
            "title": {"type": "string"},
            "status": {"type": "integer", "description": "The HTTP status"},
            "detail": {"type": "string", "description": "What went wrong, for a person"},
            "code": {"type": "string", "description": "Stable, snake_case"},
            "request_id": {"type": "string", "description": "Also in the X-Request-ID header and every log line"},
            "errors": {
                "type": "array",
                "description": "On 422: one entry per field that is not valid",
                "items": {"$ref": "#/components/schemas/FieldError"},
            },
        },
        "additionalProperties": True,
        "examples": [{
            "type": "https://errors.aftersales.example/unit_not_found", "title": "No unit with this serial number",
            "status": 404, "detail": "No unit KFR72-000001", "code": "unit_not_found",
            "request_id": "6f1c2a9e4b7d4c0f8a3e2b1d0c9f8e7a",
        }],
    },
    "FieldError": {
        "title": "FieldError",
        "type": "object",
        "required": ["field", "message"],
        "properties": {
            "field": {"type": "string", "description": "Dotted path of the field, e.g. `site.name` or `lines.0.qty`"},
            "message": {"type": "string"},
        },
        "additionalProperties": True,
    },
}
FASTAPI_SCHEMAS = ("HTTPValidationError", "ValidationError")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

ERROR_TEXT = {
    400: "The request cannot be read",
    401: "Missing or unknown API key",
    403: "This key may not do that",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "The body is too large",
    422: "The request is not valid",
    429: "Too many requests for this key; retry after Retry-After",
    503: "A service or database this request needs is unavailable; retry after Retry-After",
    504: "A service this request needs did not answer in time; retry after Retry-After",
}
ALWAYS_CODES = {
    401: ("unauthorized",), 403: ("forbidden",), 429: ("rate_limited",),
    503: ("upstream_unavailable",), 504: ("upstream_timeout",),
}
# What every service operation can answer whatever it does: the gateway's refusals and the faults.
SERVICE_ALWAYS = (401, 403, 503, 504)


@dataclass(frozen=True)
class Operation:
    operation_id: str
    summary: str
    errors: Mapping[int, Sequence[str]] = field(default_factory=dict)
    body: Any = None
    bodies: Mapping[str, Any] | None = None
    answer: Any = None
    description: str | None = None


def operation(
    operation_id: str,
    summary: str,
    *,
    errors: Mapping[int, str | Sequence[str]] | None = None,
    body: Any = None,
    bodies: Mapping[str, Any] | None = None,
    answer: Any = None,
    description: str | None = None,
):
    """Name an operation as a person would and list its own error codes by status.

    `body` is an example request body (JSON; `bodies` gives one per media type),
    `answer` an example of the successful answer. Goes above `@router.<method>`.
    """
    meta = Operation(operation_id, summary, own_codes(errors), body, bodies, answer, description)

    def mark(endpoint):
        endpoint.__openapi__ = meta
        return endpoint

    return mark


def own_codes(errors: Mapping[int, str | Sequence[str]] | None) -> dict[int, tuple[str, ...]]:
    """An operation's own error codes by status, a lone code made a tuple of one."""
    return {status: (codes,) if isinstance(codes, str) else tuple(codes) for status, codes in (errors or {}).items()}


def camel_case(name: str) -> str:
    head, *rest = [part for part in re.split(r"[^0-9A-Za-z]+", name) if part]
    return head.lower() + "".join(part[:1].upper() + part[1:] for part in rest)


def fallback_operation_id(route: APIRoute) -> str:
    """For a route that names no operation: its function's name, camelCased (`list_units` -> `listUnits`)."""
    return camel_case(route.name)


def _problem(status: int, codes: Iterable[str]) -> dict:
    codes = list(dict.fromkeys(codes))
    listed = ", ".join(f"`{c}`" for c in codes)
    text = ERROR_TEXT.get(status, "Error")
    return {
        "description": f"{text}: {listed}" if listed else text,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
        # The same codes for machines: what a client may branch on for this status.
        PROBLEM_CODES: codes,
    }


def add_errors(operation_: dict, statuses: Mapping[int, Iterable[str]]) -> None:
    """Document these error statuses on an operation, as problems, keeping codes it already lists."""
    responses = operation_.setdefault("responses", {})
    for status in sorted(statuses):
        key = str(status)
        known = _codes_of(responses.get(key))
        responses[key] = _problem(status, [*known, *statuses[status]])
    operation_["responses"] = dict(sorted(responses.items()))


def _codes_of(response: dict | None) -> list[str]:
    return list((response or {}).get(PROBLEM_CODES, []))


def derived_errors(operation_: dict, always: Iterable[int]) -> dict[int, list[str]]:
    """The statuses an operation can answer from its shape alone."""
    found: dict[int, list[str]] = {status: list(ALWAYS_CODES.get(status, ())) for status in always}
    parameters = operation_.get("parameters", [])
    has_body = "requestBody" in operation_
    if any(p.get("in") == "path" for p in parameters):
        found.setdefault(404, []).append("not_found")
    if parameters or has_body:
        found.setdefault(422, []).append("validation_error")
    if has_body:
        found.setdefault(413, []).append("payload_too_large")
    if any(p.get("name", "").lower() == "idempotency-key" for p in parameters):
        found.setdefault(409, []).append("idempotency_in_progress")
        found.setdefault(422, []).append("idempotency_key_reused")
    if any(p.get("name") == "cursor" for p in parameters):
        found.setdefault(422, []).append("invalid_cursor")
    return found


def _example_media(content: dict, example: Any) -> None:
    for media_type, media in content.items():
        if media_type.endswith("json"):
            media.setdefault("example", example)


def _schema_examples(spec: dict, media: dict) -> Any:
    ref = media.get("schema", {}).get("$ref", "")
    schema = spec.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {}) if ref else {}
    examples = schema.get("examples") or media.get("schema", {}).get("examples")
    return examples[0] if examples else None


def document(spec: dict, routes: Iterable[APIRoute], *, always: Iterable[int] = SERVICE_ALWAYS) -> dict:
    """The app's FastAPI schema made truthful: problems, names, examples. Returns a new dict."""
    spec = copy.deepcopy(spec)
    named: dict[tuple[str, str], tuple[str, Operation | None]] = {}
    for route in routes:
        for method in route.methods or ():
            named[(route.path_format, method.lower())] = (route.name, getattr(route.endpoint, "__openapi__", None))
    always = tuple(always)
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            name, meta = named.get((path, method), (None, None))
            if meta is not None:
                op["operationId"], op["summary"] = meta.operation_id, meta.summary
                if meta.description and not op.get("description"):
                    op["description"] = meta.description
            elif name is not None:
                op["summary"] = name.replace("_", " ").capitalize()
            responses = op.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's HTTPValidationError: we answer problems
            statuses = derived_errors(op, always)
            for status, codes in (meta.errors if meta else {}).items():
                if status == 404:  # the route says what its path names; the generic code is for unknown routes
                    statuses[404] = []
                statuses.setdefault(status, []).extend(codes)
            add_errors(op, statuses)
            _add_examples(spec, op, meta)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name in FASTAPI_SCHEMAS:
        schemas.pop(name, None)
    schemas.update(copy.deepcopy(SHARED_SCHEMAS))
    spec["components"]["schemas"] = dict(sorted(schemas.items()))
    return spec


def _add_examples(spec: dict, op: dict, meta: Operation | None) -> None:
    for media_type, media in op.get("requestBody", {}).get("content", {}).items():
        if meta and meta.bodies and media_type in meta.bodies:
            media.setdefault("example", meta.bodies[media_type])
        elif meta and meta.body is not None and media_type.endswith("json"):
            media.setdefault("example", meta.body)
        elif "example" not in media and (found := _schema_examples(spec, media)) is not None:
            media["example"] = found
    if meta and meta.answer is not None:
        success = next((r for s, r in sorted(op["responses"].items()) if s.startswith("2")), None)
        if success is not None:
            _example_media(success.get("content", {}), meta.answer)


def install(app: FastAPI, routers: Iterable[APIRouter], *, always: Iterable[int] = SERVICE_ALWAYS) -> None:
    """Make `app.openapi()` (and so `/openapi.json`) answer the truthful contract of these routers' routes."""
    always = tuple(always)
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute) and r.include_in_schema]
    made: list[dict] = []

    def openapi() -> dict:
        if not made:
            made.append(document(FastAPI.openapi(app), routes, always=always))
        return made[0]

    app.openapi = openapi
