"""Hot routes: an operation's most frequent request served in front of FastAPI's routing (shared/operations.py,
`hot=True`; its module docstring says what each kind skips and keeps).

- `HotRoute`: a GET of path and query parameters, validated with the very fields FastAPI built, run on a
  Core connection (`uow.read_rows`), serialized once with the route's response field.
- `HotWrite`: an idempotent write whose body, path and key pass FastAPI's own fields, run by the
  operation's call as FastAPI's route would run it; anything else is handed to FastAPI's route with its body.
"""

import copy
import inspect
import json
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi._body_limit import MAX_BODY_SIZE_SCOPE_KEY, get_body_limit_error
from fastapi._compat import Undefined
from fastapi._compat.v2 import get_missing_field_error
from fastapi.dependencies.utils import (
    _get_param_aliases,
    _get_param_model,
    _is_json_field,
    field_annotation_is_sequence,
    request_body_to_args,
    request_params_to_args,
)
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Message, Receive, Scope, Send

if TYPE_CHECKING:
    from shared.operations import _Call

F = TypeVar("F", bound=Callable[..., Any])
REQUEST = "request__"  # the endpoint's parameter for the request (shared/operations.py)


@dataclass(frozen=True, slots=True)
class _Param:
    """A path or query parameter of a hot route, looked at once: where it is read and how it is checked."""

    field: Any
    alias: str
    where: str  # "path" or "query", as FastAPI's errors say it
    required: bool
    validate_default: bool


def _simple_params(fields: Sequence[Any]) -> tuple[_Param, ...] | None:
    """The parameters as `_args` reads them, or None when one needs FastAPI's general path (a model of
    parameters, JSON, a repeated value, more than one alias)."""
    found = []
    for field in fields:
        aliases = _get_param_aliases(field)
        if (_get_param_model(field) is not None or _is_json_field(field) or len(aliases) != 1
                or field_annotation_is_sequence(field.field_info.annotation)):
            return None
        info = field.field_info
        found.append(_Param(field, aliases[0][1], info.in_.value, info.is_required(), bool(info.validate_default)))
    return tuple(found)


def _args(found: tuple[_Param, ...], received: Mapping[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """What FastAPI's `request_params_to_args` gives for these parameters (the same values, the same errors
    in the same order), without its per-request look at each parameter's annotation."""
    values: dict[str, Any] = {}
    errors: list[Any] = []
    for p in found:
        value = received.get(p.alias)
        loc = (p.where, p.alias)
        if value is None:
            if p.required:
                errors.append(get_missing_field_error(loc=loc))
                continue
            value = copy.deepcopy(p.field.default)
            if not p.validate_default:
                values[p.field.name] = value
                continue
        checked, wrong = p.field.validate(value, values, loc=loc)
        if wrong:
            errors.extend(wrong)
        else:
            values[p.field.name] = checked
    return values, errors


class _InFront(Route):
    """A route in front of FastAPI's route of the same operation, for one method of it only: every other
    method on the path goes on to FastAPI's route, which answers as it always did."""

    method = "GET"

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != self.method:
            return Match.NONE, {}
        match, child_scope = super().matches(scope)
        if match is Match.FULL:
            child_scope["route"] = self  # its template labels the metrics and the gateway's header
        return match, child_scope


class HotRoute(_InFront):
    """A hot read served without FastAPI's per-request routing and dependency solving, in front of the
    FastAPI route of the same operation (`hot=True`; module docstring). It matches that route's GET only:
    any other method on the path goes on to FastAPI's route, which answers as it always did."""

    def __init__(self, route: APIRoute, call: "_Call") -> None:
        super().__init__(route.path, route.endpoint, methods=["GET"], name=route.name, include_in_schema=False)
        self.call = call
        self.path_fields = route.dependant.path_params
        self.query_fields = route.dependant.query_params
        self.path_params = _simple_params(self.path_fields)
        self.query_params = _simple_params(self.query_fields)
        self.field = route.response_field
        self.status = route.status_code
        self.dump = {
            "include": route.response_model_include, "exclude": route.response_model_exclude,
            "by_alias": route.response_model_by_alias, "exclude_unset": route.response_model_exclude_unset,
            "exclude_defaults": route.response_model_exclude_defaults,
            "exclude_none": route.response_model_exclude_none,
        }

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        # FastAPI's own validation of the parameters (solve_dependencies calls the same function): the same
        # values, the same errors in the same order, answered by the same handler.
        given, path_errors = (_args(self.path_params, scope["path_params"]) if self.path_params is not None
                              else request_params_to_args(self.path_fields, scope["path_params"]))
        query, query_errors = (_args(self.query_params, request.query_params) if self.query_params is not None
                               else request_params_to_args(self.query_fields, request.query_params))
        if path_errors or query_errors:
            raise RequestValidationError(path_errors + query_errors)
        given.update(query)
        for name, getter in self.call.read_off:
            given[name] = await getter(request)
        answer = await request.app.state.uow.read_rows(self.call.fn, **given)
        value, errors = self.field.validate(answer, {}, loc=("response",))
        if errors:
            raise ResponseValidationError(errors, body=answer)
        body = self.field.serialize_json(value, **self.dump)
        await Response(body, status_code=self.status, media_type="application/json")(scope, receive, send)


class HotWrite(_InFront):
    """An idempotent write served in front of its FastAPI route (`hot=True`): its body, path and
    `Idempotency-Key` read and checked with the very fields FastAPI built, then the operation's own call
    (`_Call`: `native=` on PostgreSQL for a request without a key, the use case in `run_idempotent` for the
    rest), whose answer is always a Response. What it does not take for certain to pass FastAPI's checks
    (another content type, JSON or a body, path or key that does not validate) is handed, body and all, to
    FastAPI's route, which answers it as ever: so every such error is answered by the same code."""

    def __init__(self, route: APIRoute, call: "_Call | Callable[..., Awaitable[Response]]") -> None:
        super().__init__(route.path, route.endpoint, methods=list(route.methods), name=route.name,
                         include_in_schema=False)
        self.route = route
        self.call = call  # called with the endpoint's parameters, the request as REQUEST; answers a Response
        self.method = next(iter(route.methods))
        self.path_params = _simple_params(route.dependant.path_params)
        self.header_params = _simple_params(route.dependant.header_params)
        self.body_fields = route.dependant.body_params
        self.embed = route._embed_body_fields

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:  # read as FastAPI's request handler reads it, with the same answer when that fails
            body = await request.body()
        except HTTPException:
            raise
        except Exception as e:
            if MAX_BODY_SIZE_SCOPE_KEY in scope and (error := get_body_limit_error(e)):
                raise error from e
            raise HTTPException(status_code=400, detail="There was an error parsing the body") from e
        given = await self._given(request, body)
        if given is None:
            return await self.route.handle(scope, _replaying(body, receive), send)
        await (await self.call(**given))(scope, receive, send)

    async def _given(self, request: Request, body: bytes) -> dict[str, Any] | None:
        """What FastAPI's route would give the endpoint, or None to leave the request to that route."""
        if self.path_params is None or self.header_params is None:
            return None
        received: Any = Undefined  # no body, as FastAPI's handler leaves it
        if body:
            if not _json_only(request.scope["headers"]):
                return None
            try:
                received = json.loads(body)
            except ValueError:
                return None
        given, errors = await request_body_to_args(self.body_fields, received, self.embed)
        if errors:
            return None
        for found, where in ((self.path_params, request.scope["path_params"]), (self.header_params, request.headers)):
            values, errors = _args(found, where)
            if errors:
                return None
            given.update(values)
        given[REQUEST] = request
        return given


def _json_only(headers: Sequence[tuple[bytes, bytes]]) -> bool:
    """A body of exactly `application/json` (FastAPI parses it as JSON too)."""
    content_type = None
    for name, value in headers:
        if name == b"content-type" and content_type is None:  # the first, as Starlette's headers.get
            content_type = value
    return content_type is not None and content_type.split(b";", 1)[0].strip().lower() == b"application/json"


def _replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` as it was before the body was read: the body once, then the client's own messages."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


def hot_route(route: APIRoute, call: "_Call") -> Route:
    """The hot route of a declared operation, refused at declaration unless its request is simple: a GET of
    path and query parameters and values read off the request, nothing else FastAPI would have to solve
    (`HotRoute`); or an idempotent POST of a body, path parameters and only the `Idempotency-Key` header
    (`HotWrite`)."""
    dependant = route.dependant
    if (route.methods == {"POST"} and call.idempotent and not dependant.dependencies
            and not dependant.cookie_params and not dependant.query_params and dependant.body_params
            and [p.alias for p in dependant.header_params] == ["Idempotency-Key"]):
        return HotWrite(route, call)
    if (route.methods != {"GET"} or call.write or call.idempotent or call.cursor or call.body or call.request
            or dependant.header_params or dependant.cookie_params or dependant.body_params
            or dependant.dependencies or route.response_field is None):
        raise TypeError(f"{route.path}: hot=True is for a GET of path and query parameters, "
                        "or an idempotent POST of a body")
    return HotRoute(route, call)


def request_reader(getter: Any) -> str | None:
    """The name of the one parameter of `getter` when it is `async def f(request: Request)`: a value read off
    the request (the caller, the clock, app state), which the hot paths and the adapter call themselves
    (FastAPI's dependency solving costs more per request than the read); else None."""
    if not inspect.iscoroutinefunction(getter):
        return None
    wanted = list(inspect.signature(getter).parameters.values())
    if len(wanted) != 1 or typing.get_type_hints(getter).get(wanted[0].name) is not Request:
        return None
    return wanted[0].name


def written(endpoint: F) -> F:
    """Serve a hand-written write endpoint (one that calls other services, so no declared operation: the
    bill) as a HotWrite once the app calls serve_hot: its body and `Idempotency-Key` read with FastAPI's
    fields, its dependencies (values read off the request, `async def f(request)`) called as FastAPI calls
    them, then the endpoint itself, which must answer with a Response."""
    endpoint.__hot__ = _WRITTEN  # type: ignore[attr-defined]
    return endpoint


_WRITTEN = object()


def _written_route(route: APIRoute) -> HotWrite:
    """The HotWrite of a `written` endpoint, refused unless FastAPI's own solving is only what HotWrite reads
    (a body, path parameters, the `Idempotency-Key` header, the request) and values read off the request."""
    dependant = route.dependant
    getters = []
    for sub in dependant.dependencies:
        if (param := request_reader(sub.call)) is None:
            raise TypeError(f"{route.path}: a hot endpoint's dependencies read the request only")
        getters.append((sub.name, param, sub.call))
    if (route.methods != {"POST"} or dependant.query_params or dependant.cookie_params or not dependant.body_params
            or dependant.response_param_name or dependant.background_tasks_param_name
            or [p.alias for p in dependant.header_params] not in ([], ["Idempotency-Key"])
            or not inspect.iscoroutinefunction(route.endpoint)):
        raise TypeError(f"{route.path}: a hot endpoint is an async POST of a body and its Idempotency-Key")
    endpoint, named = route.endpoint, dependant.request_param_name

    async def call(**given: Any) -> Response:
        request = given.pop(REQUEST)
        if named is not None:
            given[named] = request
        for name, param, getter in getters:
            given[name] = await getter(**{param: request})
        answer = await endpoint(**given)
        if not isinstance(answer, Response):  # what FastAPI would serialize, HotWrite does not
            raise TypeError(f"{route.path}: a hot endpoint answers with a Response, not {type(answer).__name__}")
        return answer

    return HotWrite(route, call)


def serve_hot(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Put the hot routes of these routers (included without a prefix) in front of the app's routes."""
    hot = [route.endpoint.__hot__ if route.endpoint.__hot__ is not _WRITTEN else _written_route(route)
           for router in routers for route in router.routes
           if isinstance(route, APIRoute) and hasattr(route.endpoint, "__hot__")]
    app.router.routes[:0] = hot
