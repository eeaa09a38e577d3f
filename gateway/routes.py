"""The gateway's own routes: API key administration."""

from datetime import datetime

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from gateway import keys
from gateway.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPage, ApiKeyRead
from shared import openapi, pagination
from shared.deps import CurrentClock, Cursor, Limit, Uow

router = APIRouter(prefix="/admin", tags=["admin"])
KEY_CREATE_EXAMPLE = {"role": "warehouse", "name": "Jinan service centre desk", "warehouses": ["SC-01"]}
KEY_EXAMPLE = {
    "id": "k_3f9a2c", "name": "Jinan service centre desk", "role": "warehouse", "warehouses": ["SC-01"],
    "created_at": "2026-11-27T08:00:00Z", "last_used_at": None, "revoked": False, "revoked_at": None,
}


def _create(session: Session, key_in: ApiKeyCreate, now: datetime) -> ApiKeyCreated:
    key, raw = keys.create(session, name=key_in.name, role=key_in.role, warehouses=key_in.warehouses, now=now)
    return ApiKeyCreated(**ApiKeyRead.of(key).model_dump(), key=raw)


def _page(session: Session, after: str | None, limit: int) -> ApiKeyPage:
    rows = keys.list_keys(session, after=after, limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda k: k.id)
    return ApiKeyPage(items=[ApiKeyRead.of(k) for k in rows], next_cursor=next_cursor)


@openapi.operation("createApiKey", "Make an API key (shown this once)", body=KEY_CREATE_EXAMPLE,
                   answer={**KEY_EXAMPLE, "key": "ask_7Qm2...shown-once"})
@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_api_key(key_in: ApiKeyCreate, uow: Uow, clock: CurrentClock):
    return await uow.write(_create, key_in, clock.now())


@openapi.operation("listApiKeys", "API keys (never the keys themselves)")
@router.get("/api-keys", response_model=ApiKeyPage)
async def list_api_keys(uow: Uow, limit: Limit = 50, cursor: Cursor = None):
    return await uow.read(_page, pagination.decode_as(cursor, pagination.is_text), limit)


@openapi.operation("revokeApiKey", "Revoke an API key at once", errors={404: "api_key_not_found"})
@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(key_id: str, request: Request, uow: Uow, clock: CurrentClock) -> Response:
    await uow.write(keys.revoke, key_id=key_id, now=clock.now())
    # The revocation is committed: this process forgets its cached keys before it answers;
    # the other processes learn it from the notification (gateway/keys.py).
    request.app.state.authenticator.forget()
    return Response(status_code=204)
