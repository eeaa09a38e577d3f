"""The admin console (Chinese first): people (find, make with a one-time password shown once, change
role and scope picked from the service desk's and inventory's lists, reset the password, disable) and
API keys (make with a scope, list with their scope in words, revoke). The pages run the same use
cases as the admin API (gateway/people.py), as the signed-in admin."""

import functools
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ValidationError

from gateway import keys, org, people, users
from gateway.models import PERSON_ROLES, ROLES
from gateway.schemas import ApiKeyCreate, UserCreate, UserRead, UserUpdate
from gateway.web import i18n, pages
from gateway.web.notices import done_text
from gateway.web.pages import Page
from shared import errors
from shared.contracts import common
from shared.types import MAX_ID

router = APIRouter(prefix="/app/admin")
AdminPage = Annotated[Page, Depends(pages.for_roles())]
LIST_LIMIT = 500
# An empty form: every field a template reads.
BLANK = {"login": "", "display_name": "", "phone": "", "role": "station", "station": "", "name": "",
         "warehouses": []}
DONE = {
    "saved": i18n.N_("The changes are saved."),
    "disabled": i18n.N_("The person is disabled and signed out everywhere."),
    "enabled": i18n.N_("The person may sign in again."),
    "revoked": i18n.N_("The key is revoked: it stops working at once."),
}


def _problem(exc: errors.ServiceError) -> dict:
    return {"code": exc.code, "detail": exc.detail, "status": exc.status, "errors": exc.extra.get("errors", [])}


def _error_page(handler):
    """A handler whose refusal (no such person, a key already revoked) is shown on the error page, in words."""
    @functools.wraps(handler)
    async def handle(page: Page, *args, **kwargs):
        try:
            return await handler(page, *args, **kwargs)
        except errors.ServiceError as exc:
            return pages.render(page, "error.html", status=exc.status, trouble=pages.trouble(page, _problem(exc)))

    return handle


def _valid(model: type[BaseModel], data: dict):
    try:
        return model(**data)
    except ValidationError as exc:
        fields = [{"field": ".".join(str(p) for p in e["loc"]) or "form", "message": e["msg"]} for e in exc.errors()]
        raise errors.Unprocessable("The form is not valid", errors=fields) from None


async def _lists(page: Page) -> dict:
    """What a person's or key's scope is picked from; None where a service cannot list it."""
    return {"stations": await org.stations(page.state.gateway, page.caller),
            "warehouse_list": await org.warehouses(page.state.gateway, page.caller)}


def _typed(page: Page) -> dict:
    """The form as typed, to show it again when it is refused."""
    return {"login": page.value("login"), "display_name": page.value("display_name"), "phone": page.value("phone"),
            "role": page.value("role"), "station": page.value("station"), "name": page.value("name"),
            "warehouses": page.values("warehouses")}


def _scope_fields(page: Page) -> dict:
    role = page.value("role")
    return {"station": (page.value("station") or None) if role == "station" else None,
            # No warehouse ticked: not limited.
            "warehouses": (page.values("warehouses") or None) if role == "warehouse" else None}


@router.get("/users")
async def people_list(page: AdminPage):
    q = page.request.query_params.get("q", "").strip()[:common.SEARCH_MAX_LENGTH]
    rows = await page.state.uow.read(users.list_users, q=q or None, after=None, limit=LIST_LIMIT)
    now = page.state.clock.now()
    return pages.render(page, "admin/users.html", q=q, rows=[UserRead.of(u, now) for u in rows],
                        done=done_text(page, DONE))


def _person_form(page: Page, lists: dict, *, v: dict, status: int = 200, trouble=None, person=None):
    return pages.render(page, "admin/user.html", status=status, v={**BLANK, **v}, person=person, trouble=trouble,
                        roles=PERSON_ROLES, done=done_text(page, DONE), **lists)


@router.get("/users/new")
async def person_new(page: AdminPage):
    return _person_form(page, await _lists(page), v={"role": "station", "warehouses": []})


@router.post("/users")
async def person_create(page: AdminPage):
    try:
        person = _valid(UserCreate, {"login": page.value("login"), "display_name": page.value("display_name"),
                                     "phone": page.value("phone") or None, "role": page.value("role"),
                                     **_scope_fields(page)})
        made = await people.create_person(page.state, page.caller, person)
    except errors.ServiceError as exc:
        return _person_form(page, await _lists(page), v=_typed(page), status=exc.status,
                            trouble=pages.trouble(page, _problem(exc)))
    return pages.render(page, "admin/password_once.html", status=201, person=made,
                        one_time_password=made.one_time_password, made=True)


async def _person(page: Page, user_id: str):
    if not user_id.isdigit() or not 0 < int(user_id) <= MAX_ID:
        raise users.UserNotFound("No such person")
    return UserRead.of(await page.state.uow.read(users.get, int(user_id)), page.state.clock.now())


def _as_typed(person: UserRead) -> dict:
    return {"login": person.login, "display_name": person.display_name, "phone": person.phone or "",
            "role": person.role, "station": person.station or "", "warehouses": person.warehouses or []}


@router.get("/users/{user_id}")
@_error_page
async def person_page(page: AdminPage, user_id: str):
    person = await _person(page, user_id)
    return _person_form(page, await _lists(page), v=_as_typed(person), person=person)


@router.post("/users/{user_id}")
@_error_page
async def person_change(page: AdminPage, user_id: str):
    person = await _person(page, user_id)
    try:
        patch = _valid(UserUpdate, {"display_name": page.value("display_name"), "phone": page.value("phone"),
                                    "role": page.value("role"), **_scope_fields(page)})
        await people.change_person(page.state, page.caller, person.id, patch)
    except errors.ServiceError as exc:
        return _person_form(page, await _lists(page), v={**_typed(page), "login": person.login}, person=person,
                            status=exc.status, trouble=pages.trouble(page, _problem(exc)))
    return pages.redirect(page, f"/app/admin/users/{person.id}?done=saved")


@router.post("/users/{user_id}/reset-password")
@_error_page
async def person_reset(page: AdminPage, user_id: str):
    person = await _person(page, user_id)
    one_time = await people.reset_password(page.state, page.caller, person.id)
    return pages.render(page, "admin/password_once.html", person=person, one_time_password=one_time, made=False)


@_error_page
async def _set_active(page: Page, user_id: str, active: bool):
    person = await _person(page, user_id)
    await people.change_person(page.state, page.caller, person.id, UserUpdate(active=active))
    return pages.redirect(page, f"/app/admin/users/{person.id}?done={'enabled' if active else 'disabled'}")


@router.post("/users/{user_id}/disable")
async def person_disable(page: AdminPage, user_id: str):
    return await _set_active(page, user_id, False)


@router.post("/users/{user_id}/enable")
async def person_enable(page: AdminPage, user_id: str):
    return await _set_active(page, user_id, True)


async def _keys_page(page: Page, *, status: int = 200, trouble=None, v: dict | None = None, made=None):
    rows = await page.state.uow.read(keys.list_keys, after=None, limit=LIST_LIMIT)
    return pages.render(page, "admin/keys.html", status=status, rows=rows[:LIST_LIMIT], trouble=trouble, made=made,
                        v={**BLANK, **(v or {})}, roles=ROLES, done=done_text(page, DONE),
                        **await _lists(page))


@router.get("/keys")
async def keys_list(page: AdminPage):
    return await _keys_page(page)


@router.post("/keys")
async def key_create(page: AdminPage):
    try:
        key_in = _valid(ApiKeyCreate, {"name": page.value("name"), "role": page.value("role"),
                                       **_scope_fields(page)})
        made = await people.create_key(page.state, page.caller, key_in)
    except errors.ServiceError as exc:
        return await _keys_page(page, status=exc.status, trouble=pages.trouble(page, _problem(exc)), v=_typed(page))
    return await _keys_page(page, status=201, made=made)


@router.post("/keys/{key_id}/revoke")
@_error_page
async def key_revoke(page: AdminPage, key_id: str):
    await people.revoke_key(page.state, page.caller, key_id)
    return pages.redirect(page, "/app/admin/keys?done=revoked")
