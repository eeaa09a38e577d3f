"""The web app for people: server-rendered pages at / on the gateway (gateway.web.paths says which)."""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.web import i18n, pages, paths
from shared import errors

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    from gateway.web import (
        admin,
        audit_pages,
        auth,
        billing,
        console,
        desk,
        desk_station,
        exports,
        manager,
        offline,
        station,
        visits,
        warehouse,
    )

    app.state.catalogs = i18n.Catalogs()
    app.mount("/app/static", StaticFiles(directory=STATIC), name="web-static")
    # The workbooks first: `/app/desk.xlsx` and the like are never taken for a page's own path.
    for module in (exports, auth, desk, desk_station, station, visits, warehouse, billing, manager, audit_pages,
                   console, admin, offline):
        app.include_router(module.router, include_in_schema=False)

    @app.exception_handler(pages.SignInRequired)
    async def _sign_in(request: Request, exc: pages.SignInRequired):
        query = f"?reason={exc.reason}" if exc.reason != "signed_out" else ""
        if exc.next_path and exc.next_path.startswith("/app/"):
            query += ("&" if query else "?") + "next=" + pages.seg(exc.next_path)
        response = pages.RedirectResponse("/app/login" + query, status_code=303)
        response.delete_cookie(pages.SESSION_COOKIE, path="/")
        return response

    @app.exception_handler(pages.NotAllowed)
    async def _not_allowed(_request: Request, exc: pages.NotAllowed):
        page = exc.page
        return pages.render(page, "error.html", status=403, trouble=pages.trouble(page, None, code="forbidden"))

    @app.exception_handler(pages.CsrfFailed)
    async def _csrf(request: Request, _exc: pages.CsrfFailed):
        lang, _remember = pages.language(request)
        page = pages.Page(request=request, t=request.app.state.catalogs.get(lang))
        return pages.render(page, "error.html", status=403, trouble=pages.trouble(page, None, code="csrf_failed"))

    @app.exception_handler(pages.PasswordChangeRequired)
    async def _choose_password(request: Request, _exc: pages.PasswordChangeRequired):
        return pages.RedirectResponse("/app/password", status_code=303, headers={"Cache-Control": "no-store"})

    @app.exception_handler(pages.RateLimited)
    async def _rate_limited(request: Request, exc: pages.RateLimited):
        page = _anonymous_page(request)
        response = pages.render(page, "error.html", status=429, trouble=pages.trouble(page, None, code="rate_limited"))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    as_problem = app.exception_handlers[StarletteHTTPException]

    @app.exception_handler(StarletteHTTPException)
    async def _no_such_page(request: Request, exc: StarletteHTTPException):
        """An address of the web app that is no page (or no such form) answers a page in the reader's
        language, not the API's JSON; every other address keeps its problem+json."""
        if not paths.serves(request.url.path) or request.url.path.startswith("/app/static/"):
            return await as_problem(request, exc)
        page = _anonymous_page(request)
        code = "not_found" if exc.status_code == 404 else errors.STATUS_CODES.get(exc.status_code, "bad_request")
        return pages.render(page, "error.html", status=exc.status_code, trouble=pages.trouble(page, None, code=code))


def _anonymous_page(request: Request) -> pages.Page:
    lang, _remember = pages.language(request)
    return pages.Page(request=request, t=request.app.state.catalogs.get(lang))
