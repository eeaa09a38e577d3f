"""The gateway's own routes: API key administration."""

from fastapi import APIRouter, Response

from gateway import keys
from gateway.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPage, ApiKeyRead
from shared import pagination
from shared.deps import CurrentClock, Cursor, DbSession, Limit

router = APIRouter(prefix="/admin", tags=["admin"])


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_api_key(key_in: ApiKeyCreate, session: DbSession, clock: CurrentClock):
    key, raw = keys.create(
        session, name=key_in.name, role=key_in.role, warehouses=key_in.warehouses, now=clock.now()
    )
    return ApiKeyCreated(**ApiKeyRead.of(key).model_dump(), key=raw)


@router.get("/api-keys", response_model=ApiKeyPage)
async def list_api_keys(session: DbSession, limit: Limit = 50, cursor: Cursor = None):
    rows = keys.list_keys(session, after=pagination.decode(cursor), limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda k: k.id)
    return ApiKeyPage(items=[ApiKeyRead.of(k) for k in rows], next_cursor=next_cursor)


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(key_id: str, session: DbSession, clock: CurrentClock) -> Response:
    keys.revoke(session, key_id=key_id, now=clock.now())
    return Response(status_code=204)
