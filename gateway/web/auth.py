"""Signing in with an API key, signing out, and the front page."""

import re
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from gateway import keys
from gateway.web import pages, sections, sessions
from gateway.web.pages import Page

router = APIRouter()
Public = Annotated[Page, Depends(pages.public_page)]
Signed = Annotated[Page, Depends(pages.signed_page)]
# The sign-in form's token lives this long in its own cookie (double submit: no session yet).
LOGIN_FORM_SECONDS = 3600
SIGN_IN_NOTES = {"expired", "revoked", "signed_out"}
SAFE_NEXT = re.compile(r"^/app/[A-Za-z0-9_.%/-]*$")


async def _signed_in(request: Request):
    state = request.app.state
    try:
        return await sessions.resume(state.uow, request.cookies.get(pages.SESSION_COOKIE),
                               admin_hash=state.authenticator.admin_hash, now=state.clock.now(),
                               idle=timedelta(seconds=state.gateway.settings.web_session_idle_seconds))
    except sessions.Ended:
        return None


def _safe_next(value: str) -> str:
    # Only a path of our own pages: never another site, a scheme-relative URL or a way out of /app/.
    if SAFE_NEXT.match(value) and ".." not in value and "%2e" not in value.lower():
        return value
    return ""


def _login_form(page: Page, *, status: int = 200, trouble=None, note: str = ""):
    token = pages.new_login_token()
    response = pages.render(page, "login.html", status=status, login_csrf=token, trouble=trouble, note=note,
                            idle_minutes=page.state.gateway.settings.web_session_idle_seconds // 60,
                            next_path=_safe_next(page.request.query_params.get("next", "") or page.value("next")))
    response.set_cookie(pages.LOGIN_CSRF_COOKIE, token, max_age=LOGIN_FORM_SECONDS, httponly=True,
                        samesite="strict", secure=pages.is_https(page.request), path="/app/login")
    return response


@router.get("/")
async def front(page: Public):
    signed = await _signed_in(page.request)
    return pages.redirect(page, sections.home_for(signed.caller) if signed else "/app/login")


@router.get("/app")
@router.get("/app/")
async def menu(page: Signed):
    return pages.render(page, "home.html")


@router.get("/app/login")
async def login_form(page: Public):
    signed = await _signed_in(page.request)
    if signed is not None:
        return pages.redirect(page, sections.home_for(signed.caller))
    reason = page.request.query_params.get("reason", "")
    return _login_form(page, note=reason if reason in SIGN_IN_NOTES else "")


@router.post("/app/login")
async def login(page: Public):
    state = page.request.app.state
    raw = page.value("api_key")
    caller = await state.authenticator.authenticate(raw) if raw else None
    if caller is None:
        return _login_form(page, status=401, note="bad_key")
    if not sections.visible(caller):
        return _login_form(page, status=403, note="no_pages")
    await sessions.close_session(state.uow, page.request.cookies.get(pages.SESSION_COOKIE))
    token, _csrf = await sessions.open_session(
        state.uow, key_hash=keys.hash_key(raw), now=state.clock.now(),
        idle=timedelta(seconds=state.gateway.settings.web_session_idle_seconds),
    )
    response = pages.redirect(page, _safe_next(page.value("next")) or sections.home_for(caller))
    response.set_cookie(pages.SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=pages.is_https(page.request), path="/")
    response.delete_cookie(pages.LOGIN_CSRF_COOKIE, path="/app/login")
    return response


@router.post("/app/logout")
async def logout(page: Signed):
    await sessions.close_session(page.state.uow, page.request.cookies.get(pages.SESSION_COOKIE))
    response = pages.redirect(page, "/app/login?reason=signed_out")
    response.delete_cookie(pages.SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=pages.is_https(page.request))
    return response
