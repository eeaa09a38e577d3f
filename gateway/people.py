"""The use cases behind the admin API and the admin pages alike: make and change people and keys,
checking their scope with the services that own the organisation (gateway/org.py). Passwords are
hashed in a worker thread before the write transaction starts."""

from datetime import datetime

from anyio import to_thread

from gateway import keys, org, passwords, users
from gateway.models import ApiKey, AuditEntry
from gateway.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead, UserCreate, UserCreated, UserRead, UserUpdate
from shared import audit, errors
from shared.context import Caller

UNSET = object()


def _refuse(field: str, message: str) -> errors.Unprocessable:
    return errors.Unprocessable(f"{field}: {message}", errors=[{"field": field, "message": message}])


async def scope(state, caller: Caller, role: str, station=UNSET, warehouses=UNSET, *,
                current_station: str = "", current_warehouses: list[str] | None = None,
                ) -> tuple[str, list[str] | None]:
    """The (station, warehouses) a person or key of `role` ends up with. UNSET keeps what it had if
    the role still has such a scope; a scope the role does not have is refused, and dropped when
    the role changes. New codes are checked with the service desk and inventory."""
    if role != "station":
        if station not in (UNSET, None, ""):
            raise _refuse("station", "only a station person or key is bound to a station")
        new_station = ""
    elif station is UNSET:
        new_station = current_station
    elif not station:
        new_station = ""
    elif station.strip().upper() == current_station:
        new_station = current_station
    else:
        new_station = await org.check_station(state.gateway, caller, station)
    if role != "warehouse":
        if warehouses not in (UNSET, None):
            raise _refuse("warehouses", "only a warehouse person is limited to warehouses")
        return new_station, None
    if warehouses is UNSET:
        return new_station, current_warehouses
    if warehouses is None:
        return new_station, None
    if not warehouses:
        raise _refuse("warehouses", "list at least one warehouse, or leave it out for all warehouses")
    wanted = sorted({c.strip().upper() for c in warehouses})
    new = [w for w in wanted if w not in set(current_warehouses or [])]  # those it had are not asked again
    if new:
        await org.check_warehouses(state.gateway, caller, new)
    return new_station, wanted


async def hashed(password: str) -> str:
    return await to_thread.run_sync(passwords.hash_password, password)


async def create_person(state, caller: Caller, person: UserCreate) -> UserCreated:
    station, warehouses = await scope(state, caller, person.role, person.station, person.warehouses)
    one_time = passwords.one_time()
    password_hash = await hashed(one_time)
    now = state.clock.now()
    user = await state.uow.write(
        users.create, login=person.login, display_name=person.display_name.strip(),
        phone=(person.phone or "").strip(), role=person.role, station=station, warehouses=warehouses,
        password_hash=password_hash, caller=caller, now=now)
    return UserCreated(**UserRead.of(user, now).model_dump(), one_time_password=one_time)


async def change_person(state, caller: Caller, user_id: int, patch: UserUpdate) -> UserRead:
    given = patch.model_fields_set
    current = await state.uow.read(users.get, user_id)
    if "active" in given and patch.active is None:
        raise _refuse("active", "true or false")
    for name in ("display_name", "role"):
        if name in given and getattr(patch, name) is None:
            raise _refuse(name, "may not be null")
    role = patch.role or current.role
    station, warehouses = await scope(
        state, caller, role, patch.station if "station" in given else UNSET,
        patch.warehouses if "warehouses" in given else UNSET,
        current_station=current.station if current.role == "station" else "",
        current_warehouses=(users.split(current.warehouses) or None) if current.role == "warehouse" else None)
    changes: dict = {"role": role, "station": station, "warehouses": warehouses}
    if "display_name" in given:
        changes["display_name"] = patch.display_name.strip()
    if "phone" in given:
        changes["phone"] = (patch.phone or "").strip()
    if "active" in given:
        changes["active"] = patch.active
    now = state.clock.now()
    user = await state.uow.write(users.update, user_id, changes, caller=caller, now=now)
    return UserRead.of(user, now)


async def reset_password(state, caller: Caller, user_id: int) -> str:
    await state.uow.read(users.get, user_id)  # 404 before the hash's work
    one_time = passwords.one_time()
    password_hash = await hashed(one_time)
    await state.uow.write(users.reset_password, user_id, password_hash=password_hash, caller=caller,
                          now=state.clock.now())
    return one_time


def _key_snapshot(key: ApiKey) -> dict:
    return {"name": key.name, "role": key.role, "station": key.station or None,
            "warehouses": users.split(key.warehouses) or None}


def _create_key(session, key_in: ApiKeyCreate, station: str, caller: Caller, now: datetime) -> ApiKeyCreated:
    key, raw = keys.create(session, name=key_in.name, role=key_in.role, warehouses=key_in.warehouses,
                           station=station, now=now)
    audit.record(session, AuditEntry, caller, action="create", object_type="api_key", object_id=key.id, at=now,
                 changes=audit.diff(None, _key_snapshot(key)))
    return ApiKeyCreated(**ApiKeyRead.of(key).model_dump(), key=raw)


async def create_key(state, caller: Caller, key_in: ApiKeyCreate) -> ApiKeyCreated:
    if key_in.role == "warehouse" and key_in.warehouses == []:
        raise _refuse("warehouses", "list at least one warehouse, or leave it out for all warehouses")
    if key_in.station and key_in.role != "station":
        raise _refuse("station", "only a station person or key is bound to a station")
    station = await org.check_station(state.gateway, caller, key_in.station) if key_in.station else ""
    return await state.uow.write(_create_key, key_in, station, caller, state.clock.now())


def _revoke_key(session, key_id: str, caller: Caller, now: datetime, origin: str) -> None:
    key = session.get(ApiKey, key_id)
    was_active = key is not None and key.revoked_at is None
    keys.revoke(session, key_id=key_id, now=now, origin=origin)
    if was_active:
        audit.record(session, AuditEntry, caller, action="revoke", object_type="api_key", object_id=key_id,
                     at=now, changes={"revoked": [False, True]})


async def revoke_key(state, caller: Caller, key_id: str) -> None:
    await state.uow.write(_revoke_key, key_id, caller, state.clock.now(), state.authenticator.origin)
    # The revocation is committed: this process forgets its cached keys before it answers;
    # the other processes learn it from the notification (gateway/keys.py).
    state.authenticator.forget()
