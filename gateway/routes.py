"""The gateway's own routes: API keys and people. Their audit trail is in `/admin/audit` (gateway/reports.py,
gateway/trail.py), merged with every service's."""

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from gateway import keys, people, users
from gateway.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPage,
    ApiKeyRead,
    OneTimePassword,
    UserCreate,
    UserCreated,
    UserPage,
    UserRead,
    UserUpdate,
)
from shared import openapi, pagination
from shared.contracts import people as people_contract
from shared.deps import CurrentCaller, CurrentClock, Limit, PathId
from shared.operations import IdCursor, Operations, TextCursor

router = APIRouter(prefix="/admin", tags=["admin"])
ops = Operations(router)
KEY_CREATE_EXAMPLE = {"role": "warehouse", "name": "Jinan service centre desk", "warehouses": ["SC-01"]}
KEY_EXAMPLE = {
    "id": "k_3f9a2c", "name": "Jinan service centre desk", "role": "warehouse", "warehouses": ["SC-01"],
    "station": None, "created_at": "2026-11-27T08:00:00Z", "last_used_at": None, "revoked": False,
    "revoked_at": None,
}
USER_CREATE_EXAMPLE = {"login": "wanglei", "display_name": "王磊", "phone": "138 0531 0007", "role": "station",
                       "station": "ST-JINAN-07"}
USER_EXAMPLE = {
    "id": 7, "login": "wanglei", "display_name": "王磊", "phone": "138 0531 0007", "role": "station",
    "station": "ST-JINAN-07", "warehouses": None, "active": True, "must_change_password": True, "locked": False,
    "created_at": "2026-12-04T08:00:00Z", "updated_at": "2026-12-04T08:00:00Z", "last_sign_in_at": None,
}


@openapi.operation("createApiKey", "Make an API key (shown this once)", body=KEY_CREATE_EXAMPLE,
                   answer={**KEY_EXAMPLE, "key": "ask_7Qm2...shown-once"},
                   errors={422: ("unknown_station", "validation_error")})
@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
async def create_api_key(key_in: ApiKeyCreate, request: Request, caller: CurrentCaller):
    return await people.create_key(request.app.state, caller, key_in)


@ops.get("/api-keys", "listApiKeys", "API keys with their scope (never the keys themselves)")
def list_api_keys(session: Session, limit: Limit = 50, after: TextCursor = None) -> ApiKeyPage:
    rows = keys.list_keys(session, after=after, limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda k: k.id)
    return ApiKeyPage(items=[ApiKeyRead.of(k) for k in rows], next_cursor=next_cursor)


@openapi.operation("revokeApiKey", "Revoke an API key at once", errors={404: "api_key_not_found"})
@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(key_id: str, request: Request, caller: CurrentCaller) -> Response:
    await people.revoke_key(request.app.state, caller, key_id)
    return Response(status_code=204)


@openapi.operation("createUser", "A person who signs in to the web app, with a one-time password",
                   body=USER_CREATE_EXAMPLE, answer={**USER_EXAMPLE, "one_time_password": "Kq7m-Pz3r-Tw9x"},
                   errors={409: "login_exists", 422: ("unknown_station", "unknown_warehouse")})
@router.post("/users", status_code=201, response_model=UserCreated)
async def create_user(person: UserCreate, request: Request, caller: CurrentCaller):
    return await people.create_person(request.app.state, caller, person)


@ops.get("/users", "listUsers", "People, by id; `q` finds a login or a name")
def list_users(session: Session, clock: CurrentClock,
               q: str | None = Query(None, max_length=people_contract.PEOPLE_SEARCH_MAX_LENGTH),
               limit: Limit = 50, after: IdCursor = None) -> UserPage:
    rows = users.list_users(session, q=q, after=after, limit=limit)
    rows, next_cursor = pagination.page(rows, limit, key=lambda u: u.id)
    now = clock.now()
    return UserPage(items=[UserRead.of(u, now) for u in rows], next_cursor=next_cursor)


@ops.get("/users/{user_id}", "getUser", "A person (never a password or its hash)", answer=USER_EXAMPLE,
         raises=[users.UserNotFound])
def get_user(session: Session, user_id: PathId, clock: CurrentClock) -> UserRead:
    return UserRead.of(users.get(session, user_id), clock.now())


@openapi.operation("updateUser", "Change a person's name, phone, role, scope, or disable them at once",
                   body={"role": "warehouse", "warehouses": ["SC-JINAN"]}, answer=USER_EXAMPLE,
                   errors={404: "user_not_found", 422: ("unknown_station", "unknown_warehouse")})
@router.patch("/users/{user_id}", response_model=UserRead)
async def update_user(user_id: PathId, patch: UserUpdate, request: Request, caller: CurrentCaller):
    return await people.change_person(request.app.state, caller, user_id, patch)


@openapi.operation("resetUserPassword", "A new one-time password (the person changes it at the next sign-in)",
                   answer={"one_time_password": "Kq7m-Pz3r-Tw9x"}, errors={404: "user_not_found"})
@router.post("/users/{user_id}/reset-password", response_model=OneTimePassword)
async def reset_user_password(user_id: PathId, request: Request, caller: CurrentCaller):
    return OneTimePassword(one_time_password=await people.reset_password(request.app.state, caller, user_id))
