"""The web app for people: server-rendered pages at / on the gateway (gateway.web.paths says which)."""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles

from gateway.web import i18n, pages

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    from gateway.web import audit_pages, auth, billing, console, desk, desk_station, manager, station, warehouse

    app.state.catalogs = i18n.Catalogs()
    app.mount("/app/static", StaticFiles(directory=STATIC), name="web-static")
    for module in (auth, desk, desk_station, station, warehouse, billing, manager, audit_pages, console):
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
