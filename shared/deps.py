"""FastAPI dependencies shared by the services."""

from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request

from shared import context, types
from shared.clock import Clock
from shared.contracts import common
from shared.uow import UnitOfWork


# Dependencies are `async def`: FastAPI runs a plain `def` one in its thread pool,
# which cost more than the request's own work.
async def _caller(request: Request) -> context.Caller:
    return request.scope.get("state", {}).get("caller") or context.SYSTEM


async def _clock(request: Request) -> Clock:
    return request.app.state.clock


async def _uow(request: Request) -> UnitOfWork:
    return request.app.state.uow


CurrentCaller = Annotated[context.Caller, Depends(_caller)]
CurrentClock = Annotated[Clock, Depends(_clock)]
# How a request's use case gets its transaction (shared/uow.py): `await uow.write(service.fn, ...)`.
Uow = Annotated[UnitOfWork, Depends(_uow)]
# Every `{id}` in a path: one that cannot exist (0, negative, past the database's integer range,
# not a number) is a 422 before any query runs, never a 500.
PathId = Annotated[int, Path(ge=1, le=types.MAX_ID, description="A positive id", examples=[1])]
Limit = Annotated[int, Query(ge=common.PAGE_SIZE_MIN, le=common.PAGE_SIZE_MAX,
                             description=f"Page size (default {common.PAGE_SIZE_DEFAULT}, "
                                         f"at most {common.PAGE_SIZE_MAX})")]
Cursor = Annotated[str | None, Query(description="The next_cursor of the previous page")]

IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", description="Replays the first answer for the same key and body")
]
