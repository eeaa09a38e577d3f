"""An operation declared once, and the one adapter that turns it into its route.

A route module declares each operation where its use case is written:

    ops = Operations(router, tags=["parts"])

    @ops.get("/parts/{part_number}", "getPart", "A part", raises=[PartNotFound], answer=examples.PART)
    def get_part(session, part_number: str) -> PartRead:
        return PartRead.model_validate(catalog.get_part(session, normalise_code(part_number)))

The function is the use case as the route runs it: the session first, then what the request gives
(path and query parameters, the body, `CurrentCaller`, `CurrentClock`), its return annotation the
answer's model. The adapter (`Operations._route`) is the only place that knows how a request becomes
a call, the same for every route of every service:

- the unit of work (shared/uow.py): a GET in a read transaction, every other method in a write
  transaction, committed when the function returns, rolled back if it raises;
- `idempotent=True` (every POST that creates something): the `Idempotency-Key` header, and the claim,
  the effect and the stored answer in shared/idempotency.py's one protocol;
- a parameter typed `cursor_of(valid)`: the list's `?cursor=`, decoded and refused (422
  `invalid_cursor`) unless `valid` accepts its shape, before any transaction opens;
- the OpenAPI entry: its name, summary, examples and the error codes derived from the error classes
  it raises (`raises=`), beside those the shape implies (shared/openapi.py);
- a database race (IntegrityError) is a 409 `conflict` for every route: shared/app.py's handler;
- `hot=True` (a GET that is read far more than the rest, a unit's coverage): `serve_hot(app, routers)` puts
  a plain Starlette route in front of FastAPI's for it. It validates the path and query parameters with
  the very fields FastAPI built from the declaration (`request_params_to_args`, the same 422s), runs the
  use case on a Core connection (`uow.read_rows`: the same read transaction and hooks, no ORM Session;
  the use case runs Core statements only) and serializes the answer once with the route's own response
  field, so the answer is FastAPI's byte for byte; FastAPI's route stays, for the OpenAPI document and
  every other method on the path. What it skips is the per-request work that can be done once per
  process: FastAPI's dependency solving and request handler, and the Session's bookkeeping.
  On an idempotent write with `native=` (a reservation), `hot=True` serves its happy path the same way
  (`HotWrite`): a JSON body that FastAPI's own body fields accept, no `Idempotency-Key`, a native uow,
  goes straight to `native=`; anything else (another content type, JSON or a body that does not
  validate, a key, SQLite, `Fallback`) is handed, body and all, to FastAPI's route, which answers as ever.
- `native=fn` (an idempotent write measured to pay for it, a reservation): on PostgreSQL a request
  without an `Idempotency-Key` is answered by `await fn(uow, ...)`, one statement run alone over
  asyncpg (`uow.alone`, shared/native.py), with no worker thread; `fn` raises `uow.Fallback` for what it
  leaves to the use case (a rare branch, nothing written), which then runs as ever. Same answers, same
  errors.

An operation that must call another service before or after its transaction (a report that asks
warranty for the unit first) keeps a hand-written endpoint; it still declares itself with
`@openapi.operation` and opens its transaction with `uow`.
"""

import copy
import functools
import inspect
import json
import types
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, FastAPI, HTTPException, Request, params
from fastapi._body_limit import MAX_BODY_SIZE_SCOPE_KEY, get_body_limit_error
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
from pydantic import BaseModel
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Message, Receive, Scope, Send

from shared import openapi, pagination
from shared.deps import Cursor, IdempotencyKey
from shared.errors import ServiceError
from shared.idempotency import run_idempotent
from shared.uow import Fallback

F = TypeVar("F", bound=Callable[..., Any])
# An operation's own errors: the error classes it raises, or (where a code has no class) status -> codes.
Raises = Iterable[type[ServiceError]] | Mapping[int, str | Sequence[str]]
_REQUEST = "request__"
_KEY = "idempotency_key__"
_CURSOR = "cursor"


@dataclass(frozen=True, slots=True)
class CursorOf:
    """Marks a use case's parameter as the decoded `?cursor=` of its list; `valid` checks its shape."""

    valid: Callable[[Any], bool]


def cursor_of(valid: Callable[[Any], bool]) -> Any:
    """The type of a use case's `after` parameter: `after: cursor_of(pagination.is_id) = None`."""
    return Annotated[Any, CursorOf(valid)]


# The two cursors most lists give: the last item's id, or its text key (a part number, a code).
IdCursor = cursor_of(pagination.is_id)
TextCursor = cursor_of(pagination.is_text)


def error_codes(raises: Raises | None) -> dict[int, tuple[str, ...]]:
    """An operation's own error codes by status, from the classes it raises (or a status -> codes map)."""
    if raises is None or isinstance(raises, Mapping):
        return openapi.own_codes(raises)
    found: dict[int, list[str]] = {}
    for kind in raises:
        found.setdefault(kind.status, []).append(kind.code)
    return {status: tuple(dict.fromkeys(codes)) for status, codes in found.items()}


def _cursor_marker(annotation: Any) -> CursorOf | None:
    if typing.get_origin(annotation) is Annotated:
        return next((m for m in annotation.__metadata__ if isinstance(m, CursorOf)), None)
    return None


def _from_request(annotation: Any) -> Callable[[Request], Any] | None:
    """`f` of `Annotated[T, Depends(f)]` when `f` is `async def f(request: Request)`: a value read off the
    request (the caller, the clock, app state). The adapter calls it itself: FastAPI's dependency solving
    costs more per request than the read."""
    if typing.get_origin(annotation) is not Annotated:
        return None
    depends = next((m for m in annotation.__metadata__ if isinstance(m, params.Depends)), None)
    getter = getattr(depends, "dependency", None)
    if getter is None or not inspect.iscoroutinefunction(getter):
        return None
    wanted = list(inspect.signature(getter).parameters.values())
    hints = typing.get_type_hints(getter)
    if len(wanted) != 1 or hints.get(wanted[0].name) is not Request:
        return None
    return getter


def _is_body(annotation: Any) -> bool:
    """A pydantic model, or an optional one (`ConsumeIn | None`): the request's body."""
    kinds = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    return any(isinstance(kind, type) and issubclass(kind, BaseModel) for kind in kinds)


_TRIED = "aftersales.native_tried"  # the scope's mark: a HotWrite tried `native=` and it raised Fallback


@dataclass(frozen=True, slots=True)
class _Call:
    """How the adapter calls one use case: which parameter is the cursor, which the body."""

    fn: Callable[..., Any]
    write: bool
    idempotent: bool
    status: int
    cursor: tuple[str, CursorOf] | None
    body: str | None
    request: str | None  # the use case's own parameter for the request, if it takes one
    read_off: tuple[tuple[str, Callable[[Request], Any]], ...]  # parameters read off the request
    native: Callable[..., Awaitable[Any]] | None = None  # `native=`: see Operations._route

    async def __call__(self, **given: Any) -> Any:
        request: Request = given.pop(_REQUEST)
        key = given.pop(_KEY, None)
        if self.request is not None:
            given[self.request] = request
        for name, getter in self.read_off:
            given[name] = await getter(request)
        if self.cursor is not None:
            name, marker = self.cursor
            given[name] = pagination.decode_as(given.pop(_CURSOR), marker.valid)
        if self.native is not None and key is None and request.app.state.uow.native and _TRIED not in request.scope:
            try:
                answer = await self.native(request.app.state.uow, **given)
            except Fallback:
                pass
            else:  # as run_idempotent answers without a key: serialized once
                return Response(answer.model_dump_json(), status_code=self.status, media_type="application/json")
        if self.idempotent:
            return await run_idempotent(request, key=key, payload=given.get(self.body) if self.body else None,
                                        status=self.status, effect=functools.partial(self.fn, **given))
        uow = request.app.state.uow
        return await (uow.write if self.write else uow.read)(self.fn, **given)


def _endpoint(fn: Callable[..., Any], *, write: bool, idempotent: bool, status: int,
              native: Callable[..., Awaitable[Any]] | None = None) -> tuple[Callable, Any, _Call]:
    """The endpoint FastAPI routes to `fn`, the answer's model (`fn`'s return annotation), and how it calls `fn`."""
    hints = typing.get_type_hints(fn, include_extras=True)
    session, *params = inspect.signature(fn).parameters.values()
    outer: list[inspect.Parameter] = []
    cursor = body = wants_request = None
    read_off: list[tuple[str, Callable[[Request], Any]]] = []
    for param in params:
        annotation = hints.get(param.name, param.annotation)
        if annotation is Request:  # FastAPI gives an endpoint one Request: the adapter's, passed on
            wants_request = param.name
            continue
        if (getter := _from_request(annotation)) is not None:
            read_off.append((param.name, getter))
            continue
        marker = _cursor_marker(annotation)
        if marker is not None:
            cursor = (param.name, marker)
            outer.append(inspect.Parameter(_CURSOR, inspect.Parameter.KEYWORD_ONLY, annotation=Cursor, default=None))
            continue
        if _is_body(annotation):
            body = param.name
        outer.append(param.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=annotation))
    outer.append(inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request))
    if idempotent:
        outer.append(inspect.Parameter(_KEY, inspect.Parameter.KEYWORD_ONLY, annotation=IdempotencyKey, default=None))
    call = _Call(fn, write, idempotent, status, cursor, body, wants_request, tuple(read_off), native)

    async def endpoint(**given: Any) -> Any:
        return await call(**given)

    endpoint.__signature__ = inspect.Signature(outer)  # type: ignore[attr-defined]
    endpoint.__name__ = endpoint.__qualname__ = fn.__name__
    endpoint.__doc__, endpoint.__module__ = fn.__doc__, fn.__module__
    return endpoint, hints.get("return"), call


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


class HotRoute(Route):
    """A hot read served without FastAPI's per-request routing and dependency solving, in front of the
    FastAPI route of the same operation (`hot=True`; module docstring). It matches that route's GET only:
    any other method on the path goes on to FastAPI's route, which answers as it always did."""

    def __init__(self, route: APIRoute, call: _Call) -> None:
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

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "GET":
            return Match.NONE, {}
        match, child_scope = super().matches(scope)
        if match is Match.FULL:
            child_scope["route"] = self  # its template labels the metrics and the gateway's header
        return match, child_scope

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


class HotWrite(Route):
    """The happy path of an idempotent write with `native=`, in front of its FastAPI route (`hot=True`).
    What it does not take for certain to be FastAPI's happy path, FastAPI's route answers: so every
    error, and every request with a key or on SQLite, is answered exactly as before, by the same code."""

    def __init__(self, route: APIRoute, call: _Call) -> None:
        super().__init__(route.path, route.endpoint, methods=list(route.methods), name=route.name,
                         include_in_schema=False)
        self.route = route
        self.call = call
        self.method = next(iter(route.methods))
        self.path_params = _simple_params(route.dependant.path_params)
        self.body_fields = route.dependant.body_params
        self.embed = route._embed_body_fields

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != self.method:
            return Match.NONE, {}
        match, child_scope = super().matches(scope)
        if match is Match.FULL:
            child_scope["route"] = self  # its template labels the metrics and the gateway's header
        return match, child_scope

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        uow = scope["app"].state.uow
        if not uow.native or not _json_only(scope["headers"]):
            return await self.route.handle(scope, receive, send)
        request = Request(scope, receive)
        try:  # read as FastAPI's request handler reads it, with the same answer when that fails
            body = await request.body()
        except HTTPException:
            raise
        except Exception as e:
            if MAX_BODY_SIZE_SCOPE_KEY in scope and (error := get_body_limit_error(e)):
                raise error from e
            raise HTTPException(status_code=400, detail="There was an error parsing the body") from e
        answer = await self._answer(request, body) if body else None
        if answer is None:
            return await self.route.handle(scope, _replaying(body, receive), send)
        await Response(answer.model_dump_json(), status_code=self.call.status,
                       media_type="application/json")(scope, receive, send)

    async def _answer(self, request: Request, body: bytes) -> BaseModel | None:
        """The native answer, or None to leave the request to FastAPI's route (nothing was written)."""
        try:
            received = json.loads(body)
        except ValueError:
            return None
        given, errors = await request_body_to_args(self.body_fields, received, self.embed)
        if errors:
            return None
        if self.path_params is None:
            return None
        path, errors = _args(self.path_params, request.scope["path_params"])
        if errors:
            return None
        given.update(path)
        if self.call.request is not None:
            given[self.call.request] = request
        for name, getter in self.call.read_off:
            given[name] = await getter(request)
        try:
            return await self.call.native(request.app.state.uow, **given)
        except Fallback:
            request.scope[_TRIED] = True  # FastAPI's route goes straight to the use case: not tried twice
            return None


def _json_only(headers: Sequence[tuple[bytes, bytes]]) -> bool:
    """A body of exactly `application/json` (FastAPI parses it as JSON too) and no `Idempotency-Key`."""
    content_type = None
    for name, value in headers:
        if name == b"idempotency-key":
            return False
        if name == b"content-type" and content_type is None:  # the first, as Starlette's headers.get
            content_type = value
    return content_type is not None and content_type.split(b";", 1)[0].strip().lower() == b"application/json"


def _replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` as it was before the body was read: the body once, then the client's own messages."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


def _hot_route(route: APIRoute, call: _Call) -> Route:
    """The hot route of a declared GET, refused at declaration unless its request is simple: path and
    query parameters and values read off the request, nothing else FastAPI would have to solve."""
    dependant = route.dependant
    if (route.methods == {"POST"} and call.native is not None and not dependant.dependencies
            and not dependant.cookie_params and not dependant.query_params and dependant.body_params
            and [p.alias for p in dependant.header_params] == ["Idempotency-Key"]):
        return HotWrite(route, call)
    if (route.methods != {"GET"} or call.write or call.idempotent or call.cursor or call.body or call.request
            or dependant.header_params or dependant.cookie_params or dependant.body_params
            or dependant.dependencies or route.response_field is None):
        raise TypeError(f"{route.path}: hot=True is for a GET of path and query parameters, "
                        "or a POST with native= and a body")
    return HotRoute(route, call)


def serve_hot(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Put the hot routes of these routers (included without a prefix) in front of the app's routes."""
    hot = [route.endpoint.__hot__ for router in routers for route in router.routes
           if isinstance(route, APIRoute) and hasattr(route.endpoint, "__hot__")]
    app.router.routes[:0] = hot


class Operations:
    """The operations of one router, each declared once above its use case."""

    def __init__(self, router: APIRouter, *, tags: list[str] | None = None) -> None:
        self.router = router
        self.tags = tags

    def get(self, path: str, operation_id: str, summary: str, **declared: Any) -> Callable[[F], F]:
        """A read: the use case runs in a read transaction."""
        return self._route("GET", path, operation_id, summary, **declared)

    def post(self, path: str, operation_id: str, summary: str, **declared: Any) -> Callable[[F], F]:
        """A write; with `idempotent=True` (it creates something) the answer is 201 and `Idempotency-Key` replays it."""
        return self._route("POST", path, operation_id, summary, **declared)

    def put(self, path: str, operation_id: str, summary: str, **declared: Any) -> Callable[[F], F]:
        return self._route("PUT", path, operation_id, summary, **declared)

    def patch(self, path: str, operation_id: str, summary: str, **declared: Any) -> Callable[[F], F]:
        return self._route("PATCH", path, operation_id, summary, **declared)

    def _route(
        self, method: str, path: str, operation_id: str, summary: str, *,
        raises: Raises | None = None, body: Any = None, answer: Any = None, description: str | None = None,
        idempotent: bool = False, status: int | None = None, tags: list[str] | None = None,
        exclude_none: bool = False,  # the answer FastAPI serializes leaves out members that are None
        hot: bool = False,  # served by a HotRoute (a GET) or a HotWrite once the app calls serve_hot (module docstring)
        # An idempotent write's path over asyncpg (PostgreSQL): `await native(uow, **the use case's
        # arguments but the session)` answers a request without an Idempotency-Key when the app's uow is
        # native, or raises uow.Fallback (nothing written) to leave the request to the use case.
        native: Callable[..., Awaitable[Any]] | None = None,
    ) -> Callable[[F], F]:
        status = status or (201 if idempotent else 200)
        if native is not None and not idempotent:
            raise TypeError(f"{path}: native= is for an idempotent write (its answer is the use case's)")

        def declare(fn: F) -> F:
            endpoint, model, call = _endpoint(fn, write=method != "GET", idempotent=idempotent, status=status,
                                              native=native)
            endpoint.__openapi__ = openapi.Operation(  # type: ignore[attr-defined]
                operation_id, summary, error_codes(raises), body, None, answer, description)
            self.router.add_api_route(path, endpoint, methods=[method], status_code=status, response_model=model,
                                      response_model_exclude_none=exclude_none, tags=tags or self.tags)
            if hot:
                endpoint.__hot__ = _hot_route(self.router.routes[-1], call)  # type: ignore[attr-defined]
            return fn

        return declare
