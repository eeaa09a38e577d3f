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
- `hot=True` (a GET that is read far more than the rest, a unit's coverage): `shared.hot.serve_hot(app, routers)` puts
  a plain Starlette route in front of FastAPI's for it. It validates the path and query parameters with
  the very fields FastAPI built from the declaration (`request_params_to_args`, the same 422s), runs the
  use case on a Core connection (`uow.read_rows`: the same read transaction and hooks, no ORM Session;
  the use case runs Core statements only) and serializes the answer once with the route's own response
  field, so the answer is FastAPI's byte for byte; FastAPI's route stays, for the OpenAPI document and
  every other method on the path. What it skips is the per-request work that can be done once per
  process: FastAPI's dependency solving and request handler, and the Session's bookkeeping.
  On an idempotent write (a reservation, a consume, a claim), `hot=True` serves it the same way
  (`HotWrite`): a body FastAPI's own body fields accept (JSON, or none), a path and an `Idempotency-Key`
  its fields accept, go straight to the operation's call (`native=` without a key on PostgreSQL, else
  `run_idempotent`), as FastAPI's route would call it; anything else (another content type, JSON, a body,
  a path or a key that does not validate) is handed, body and all, to FastAPI's route, which answers as ever.
- `native=fn` (an idempotent write measured to pay for it, a reservation): on PostgreSQL a request
  without an `Idempotency-Key` is answered by `await fn(uow, ...)`, one statement run alone over
  asyncpg (`uow.alone`, shared/native.py), with no worker thread; `fn` raises `uow.Fallback` for what it
  leaves to the use case (a rare branch, nothing written), which then runs as ever. Same answers, same
  errors.

An operation that must call another service before or after its transaction (a report that asks
warranty for the unit first) keeps a hand-written endpoint; it still declares itself with
`@openapi.operation` and opens its transaction with `uow`.
"""

import functools
import inspect
import types
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Request, params
from pydantic import BaseModel
from starlette.responses import Response

from shared import openapi, pagination
from shared.deps import Cursor, IdempotencyKey
from shared.errors import ServiceError
from shared.hot import REQUEST, hot_route, request_reader
from shared.idempotency import run_idempotent
from shared.uow import Fallback

F = TypeVar("F", bound=Callable[..., Any])
# An operation's own errors: the error classes it raises, or (where a code has no class) status -> codes.
Raises = Iterable[type[ServiceError]] | Mapping[int, str | Sequence[str]]
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
    """`f` of `Annotated[T, Depends(f)]` when `f` is a request reader (shared/hot.request_reader), which the
    adapter calls itself."""
    if typing.get_origin(annotation) is not Annotated:
        return None
    depends = next((m for m in annotation.__metadata__ if isinstance(m, params.Depends)), None)
    getter = getattr(depends, "dependency", None)
    return getter if request_reader(getter) is not None else None


def _is_body(annotation: Any) -> bool:
    """A pydantic model, or an optional one (`ConsumeIn | None`): the request's body."""
    kinds = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    return any(isinstance(kind, type) and issubclass(kind, BaseModel) for kind in kinds)


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
        request: Request = given.pop(REQUEST)
        key = given.pop(_KEY, None)
        if self.request is not None:
            given[self.request] = request
        for name, getter in self.read_off:
            given[name] = await getter(request)
        if self.cursor is not None:
            name, marker = self.cursor
            given[name] = pagination.decode_as(given.pop(_CURSOR), marker.valid)
        if self.native is not None and key is None and request.app.state.uow.native:
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
    outer.append(inspect.Parameter(REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request))
    if idempotent:
        outer.append(inspect.Parameter(_KEY, inspect.Parameter.KEYWORD_ONLY, annotation=IdempotencyKey, default=None))
    call = _Call(fn, write, idempotent, status, cursor, body, wants_request, tuple(read_off), native)

    async def endpoint(**given: Any) -> Any:
        return await call(**given)

    endpoint.__signature__ = inspect.Signature(outer)  # type: ignore[attr-defined]
    endpoint.__name__ = endpoint.__qualname__ = fn.__name__
    endpoint.__doc__, endpoint.__module__ = fn.__doc__, fn.__module__
    return endpoint, hints.get("return"), call


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
                endpoint.__hot__ = hot_route(self.router.routes[-1], call)  # type: ignore[attr-defined]
            return fn

        return declare
