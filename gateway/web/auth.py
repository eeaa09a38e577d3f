"""Signing in with a login name and password, choosing one's own password, signing out, and the
front page. Keys are for programs: the web app never takes one."""

import re
from datetime import timedelta
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Request

from gateway import passwords, users
from gateway.ratelimit import client_address
from gateway.web import pages, sections, sessions
from gateway.web.pages import Page
from shared.contracts.people import LOGIN_MAX_CHARS

router = APIRouter()
Public = Annotated[Page, Depends(pages.public_page)]
Signed = Annotated[Page, Depends(pages.signed_page)]
# The sign-in form's token lives this long in its own cookie (double submit: no session yet).
LOGIN_FORM_SECONDS = 3600
SIGN_IN_NOTES = {"expired", "disabled", "signed_out"}
SAFE_NEXT = re.compile(r"^/app/[A-Za-z0-9_.%/-]*$")
# Longer than any password may be (passwords.MAX_LENGTH): refused without the hash's work.
LONGEST_TRIED = 1000


async def _signed_in(request: Request):
    try:
        return await pages.resume(request)
    except sessions.Ended:
        return None


def _safe_next(value: str) -> str:
    # Only a path of our own pages: never another site, a scheme-relative URL or a way out of /app/.
    if SAFE_NEXT.match(value) and ".." not in value and "%2e" not in value.lower():
        return value
    return ""


def _login_form(page: Page, *, status: int = 200, trouble=None, note: str = "", retry_after: int = 0):
    token = pages.new_login_token()
    settings = page.state.gateway.settings
    response = pages.render(page, "login.html", status=status, login_csrf=token, trouble=trouble, note=note,
                            idle_hours=settings.web_session_idle_seconds // 3600,
                            next_path=_safe_next(page.request.query_params.get("next", "") or page.value("next")))
    response.set_cookie(pages.LOGIN_CSRF_COOKIE, token, max_age=LOGIN_FORM_SECONDS, httponly=True,
                        samesite="strict", secure=pages.is_https(page.request), path="/app/login")
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _home(signed) -> str:
    return "/app/password" if signed.must_change_password else sections.home_for(signed.caller)


@router.get("/")
async def front(page: Public):
    signed = await _signed_in(page.request)
    return pages.redirect(page, _home(signed) if signed else "/app/login")


@router.get("/app")
@router.get("/app/")
async def menu(page: Signed):
    return pages.render(page, "home.html")


@router.get("/app/login")
async def login_form(page: Public):
    signed = await _signed_in(page.request)
    if signed is not None:
        return pages.redirect(page, _home(signed))
    reason = page.request.query_params.get("reason", "")
    return _login_form(page, note=reason if reason in SIGN_IN_NOTES else "")


def _secret(page: Page, name: str) -> str:
    """A password field as typed: never stripped (a space may be part of it)."""
    values = page.form.get(name)
    return values[0] if values else ""


@router.post("/app/login")
async def login(page: Public):
    """The same answer for an unknown login, a wrong password, a locked or a disabled login: which
    one it was is never told (domain.md section 7), and each takes one password hash's time."""
    state = page.state
    address = client_address(page.request.scope)
    wait = state.guard.wait(address)
    if wait:
        return _login_form(page, status=429, note="rate_limited", retry_after=wait)
    login, password = page.value("login").lower(), _secret(page, "password")
    user = await state.uow.read(users.by_login, login) if 0 < len(login) <= LOGIN_MAX_CHARS else None
    right = len(password) <= LONGEST_TRIED and await to_thread.run_sync(
        passwords.verify, user.password_hash if user else None, password)
    now = state.clock.now()
    if user is None or not right or not user.active or users.locked(user, now):
        wait = await state.guard.failed(
            address, lambda session, at: users.failed_sign_in(session, login, address, now=at))
        if wait:
            return _login_form(page, status=429, note="rate_limited", retry_after=wait)
        return _login_form(page, status=401, note="bad_password")
    await state.uow.write(users.signed_in, user.id, now=now)
    await sessions.close_session(state.uow, page.request.cookies.get(pages.SESSION_COOKIE))
    settings = state.gateway.settings
    token, _csrf = await sessions.open_session(
        state.uow, user_id=user.id, now=now, idle=timedelta(seconds=settings.web_session_idle_seconds),
        lifetime=timedelta(seconds=settings.web_session_max_seconds),
    )
    caller = users.caller_of(user)
    target = "/app/password" if user.must_change_password else (
        _safe_next(page.value("next")) or sections.home_for(caller))
    response = pages.redirect(page, target)
    response.set_cookie(pages.SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=pages.is_https(page.request), path="/")
    response.delete_cookie(pages.LOGIN_CSRF_COOKIE, path="/app/login")
    return response


def _password_form(page: Page, *, status: int = 200, refused: str = "", field: str = ""):
    return pages.render(page, "password.html", status=status, must_change=page.signed.must_change_password,
                        refused=refused, refused_field=field, min_length=passwords.MIN_LENGTH)


@router.get("/app/password")
async def password_form(page: Signed):
    return _password_form(page)


async def _wrong_current(page: Page, signed) -> bool:
    """Whether the current password typed is wrong (counted as a failed sign-in when it is)."""
    state = page.state
    stored = (await state.uow.read(users.get, signed.user_id)).password_hash
    if await to_thread.run_sync(passwords.verify, stored, _secret(page, "current")[:LONGEST_TRIED]):
        return False
    address = client_address(page.request.scope)
    await state.guard.failed(address, lambda session, at: users.failed_sign_in(session, signed.login, address,
                                                                                  now=at))
    return True


@router.post("/app/password")
async def change_password(page: Signed):
    """Only the password changes here: whatever else a form sends (a role, a station) is ignored."""
    signed = page.signed
    new, again = _secret(page, "new_password"), _secret(page, "confirm_password")
    if not signed.must_change_password and await _wrong_current(page, signed):
        return _password_form(page, status=422, refused="wrong_current", field="current")
    if new != again:
        return _password_form(page, status=422, refused="mismatch", field="confirm_password")
    try:
        passwords.check(new, signed.login)
    except passwords.PasswordRefused as refused:
        return _password_form(page, status=422, refused=refused.reason, field="new_password")
    stored = (await page.state.uow.read(users.get, signed.user_id)).password_hash
    if await to_thread.run_sync(passwords.verify, stored, new):
        return _password_form(page, status=422, refused="same_as_before", field="new_password")
    password_hash = await to_thread.run_sync(passwords.hash_password, new)
    await page.state.uow.write(users.set_own_password, signed.user_id, password_hash=password_hash,
                               keep_session=signed.id_hash, now=page.state.clock.now())
    return pages.redirect(page, sections.home_for(signed.caller))


@router.post("/app/logout")
async def logout(page: Signed):
    await sessions.close_session(page.state.uow, page.request.cookies.get(pages.SESSION_COOKIE))
    response = pages.redirect(page, "/app/login?reason=signed_out")
    response.delete_cookie(pages.SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=pages.is_https(page.request))
    return response
