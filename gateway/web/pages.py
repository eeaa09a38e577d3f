"""What every page shares: the signed-in caller, the language, the CSRF check, rendering with the
security headers, and calls to the services through the gateway's own rules (Gateway.call)."""

import hmac
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, urlencode, urlsplit

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from gateway.web import field_labels, i18n, sections, sessions, words
from shared import errors
from shared.context import Caller
from shared.contracts import billing as billing_contract
from shared.contracts import common as common_contract
from shared.contracts import inventory as inventory_contract
from shared.contracts import people as people_contract
from shared.contracts import servicedesk as desk_contract
from shared.contracts import warranty as warranty_contract

SESSION_COOKIE = "aftersales_session"
LANG_COOKIE = "aftersales_lang"
LOGIN_CSRF_COOKIE = "aftersales_login_csrf"
TEMPLATES = Path(__file__).parent / "templates"
# The most rows a page asks a service for at once (a list's longest page).
LONGEST_PAGE = common_contract.PAGE_SIZE_MAX
MAX_FORM_BYTES = 256 * 1024

# No inline script or style anywhere: every script and style is a file under /app/static.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    "Cache-Control": "no-store",
}

environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)
# The services' contracts: a form's maxlength, min, max and pattern come from here, never a literal.
environment.globals.update(desk_contract=desk_contract, warranty_contract=warranty_contract,
                           inventory_contract=inventory_contract, billing_contract=billing_contract,
                           people_contract=people_contract, common_contract=common_contract)


class SignInRequired(Exception):
    def __init__(self, reason: str, next_path: str = "") -> None:
        super().__init__(reason)
        self.reason, self.next_path = reason, next_path


class NotAllowed(Exception):
    """The caller's role has no business on this page."""

    def __init__(self, page: "Page") -> None:
        super().__init__("not allowed")
        self.page = page


class CsrfFailed(Exception):
    pass


class PasswordChangeRequired(Exception):
    """A person signed in with a one-time password chooses their own before anything else."""


class RateLimited(Exception):
    """A signed-in person over the per-caller rate (gateway/ratelimit.py), as a key would be."""

    def __init__(self, wait: float) -> None:
        super().__init__("rate limited")
        self.retry_after = max(1, round(wait + 0.5))


# The pages a person who must choose a new password may open.
WHILE_CHANGING_PASSWORD = frozenset({"/app/password", "/app/logout"})


@dataclass
class Page:
    request: Request
    t: i18n.Translator
    caller: Caller | None = None
    csrf: str = ""
    form: dict[str, list[str]] = field(default_factory=dict)
    remember_lang: bool = False
    signed: sessions.Signed | None = None

    def value(self, name: str, default: str = "") -> str:
        values = self.form.get(name)
        return values[0].strip() if values else default

    def values(self, name: str) -> list[str]:
        return [v.strip() for v in self.form.get(name, []) if v.strip()]

    @property
    def state(self):
        return self.request.app.state


def language(request: Request) -> tuple[str, bool]:
    asked = i18n.pick(request.query_params.get("lang"))
    if asked:
        return asked, True
    return i18n.pick(request.cookies.get(LANG_COOKIE)) or i18n.DEFAULT, False


async def read_form(request: Request) -> dict[str, list[str]]:
    if request.method != "POST":
        return {}
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise CsrfFailed()
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=500)
    except (UnicodeDecodeError, ValueError):
        raise CsrfFailed() from None


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


async def public_page(request: Request) -> Page:
    """A page anyone may open (sign-in); a POST must carry the sign-in form's token."""
    lang, remember = language(request)
    page = Page(request=request, t=request.app.state.catalogs.get(lang), remember_lang=remember)
    page.form = await read_form(request)
    if request.method == "POST" and not _same(page.value("csrf"), request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        raise CsrfFailed()
    return page


async def resume(request: Request) -> sessions.Signed:
    """The signed-in person of this request's session cookie; raises sessions.Ended."""
    state = request.app.state
    settings = state.gateway.settings
    return await sessions.resume(
        state.uow, request.cookies.get(SESSION_COOKIE), now=state.clock.now(),
        idle=timedelta(seconds=settings.web_session_idle_seconds),
        lifetime=timedelta(seconds=settings.web_session_max_seconds),
    )


async def signed_page(request: Request) -> Page:
    lang, remember = language(request)
    state = request.app.state
    page = Page(request=request, t=state.catalogs.get(lang), remember_lang=remember)
    try:
        signed = await resume(request)
    except sessions.Ended as ended:
        next_path = request.url.path if request.method == "GET" else ""
        raise SignInRequired(ended.reason, next_path) from None
    page.caller, page.csrf, page.signed = signed.caller, signed.csrf_token, signed
    wait = state.limiter.take(signed.caller.key_id)
    if wait > 0:
        raise RateLimited(wait)
    if signed.must_change_password and request.url.path not in WHILE_CHANGING_PASSWORD:
        raise PasswordChangeRequired()
    page.form = await read_form(request)
    if request.method == "POST" and not _same(page.value("csrf"), page.csrf):
        raise CsrfFailed()
    return page


def for_roles(*roles: str) -> Callable:
    """A dependency: a signed-in page whose caller has one of `roles` (admin always may)."""
    allowed = frozenset({*roles, "admin"})

    async def dependency(request: Request) -> Page:
        page = await signed_page(request)
        if page.caller.role not in allowed:
            raise NotAllowed(page)
        return page

    return dependency


def seg(value: str | int) -> str:
    """One path segment, whatever it holds."""
    return quote(str(value), safe="")


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def finish(page: Page, response):
    if page.remember_lang:
        response.set_cookie(LANG_COOKIE, page.t.lang, max_age=365 * 86400, httponly=True, samesite="strict",
                            secure=is_https(page.request), path="/")
    return response


def url_with_lang(request: Request, lang: str) -> str:
    code = "en" if lang == "en" else "zh"
    if request.method != "GET":
        # The answer to a form has no address of its own: switch on the page the form was on.
        came_from = urlsplit(request.headers.get("referer", ""))
        path = came_from.path if came_from.path.startswith("/app/") and ".." not in came_from.path else "/app/"
        query = [(k, v) for k, v in parse_qsl(came_from.query) if k != "lang"]
        return path + "?" + urlencode([*query, ("lang", code)])
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return request.url.path + "?" + urlencode([*query, ("lang", code)])


def render(page: Page, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    other = "en" if page.t.lang == "zh_CN" else "zh_CN"
    context = {
        "t": page.t,
        "_": page.t.gettext,
        "caller": page.caller,
        "csrf": page.csrf,
        "words": words,
        "sections": sections.visible(page.caller),
        "path": page.request.url.path,
        "switch_lang_url": url_with_lang(page.request, other),
        "switch_lang_label": "English" if other == "en" else "中文",
        "new_key": uuid.uuid4().hex,
        "form": page.value,
        **values,
    }
    html = environment.get_template(template).render(context)
    return finish(page, HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS))


def redirect(page: Page, url: str) -> RedirectResponse:
    return finish(page, RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"}))


@dataclass
class Answer:
    status: int
    data: Any = None
    problem: dict | None = None
    body: bytes = b""
    content_type: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


async def call(page: Page, method: str, path: str, *, query: dict | None = None, json_body: Any = None,
               idempotency_key: str | None = None) -> Answer:
    """One request to a service as the signed-in caller, under the public rules; never raises for a
    refusal or an outage: the answer carries the problem for the page to explain."""
    headers = [(b"accept", b"application/json")]
    body = b""
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers.append((b"content-type", b"application/json"))
    if idempotency_key:
        headers.append((b"idempotency-key", idempotency_key.encode()))
    query_text = urlencode({k: v for k, v in (query or {}).items() if v not in (None, "")}, doseq=True)
    try:
        upstream = await page.state.gateway.call(page.caller, method, path, query=query_text, body=body,
                                                 headers=headers)
    except errors.ServiceError as exc:
        return Answer(exc.status, problem={"code": exc.code, "detail": exc.detail, "status": exc.status})
    content_type = ""
    for name, value in upstream.headers:
        if name.lower() == b"content-type":
            content_type = value.decode("latin-1")
    answer = Answer(upstream.status, body=upstream.body, content_type=content_type)
    if "json" in content_type:
        try:
            answer.data = json.loads(upstream.body)
        except ValueError:
            answer.data = None
    if not answer.ok:
        problem = answer.data if isinstance(answer.data, dict) else {}
        problem.setdefault("code", errors.STATUS_CODES.get(upstream.status, "internal_error"))
        problem.setdefault("status", upstream.status)
        answer.problem = problem
    return answer


def trouble(page: Page, problem: dict | None, *, code: str | None = None) -> dict | None:
    """A problem in the reader's words: what happened, what to do, and the details that help support."""
    if problem is None and code is None:
        return None
    problem = dict(problem or {})
    code = code or problem.get("code") or "internal_error"
    happened, advice = words.PROBLEMS.get(code, words.GENERIC_PROBLEM)
    return {
        "code": code,
        "title": page.t.gettext(happened),
        "advice": page.t.gettext(advice),
        "request_id": problem.get("request_id"),
        # each refused field by its label in the reader's language, never its wire path (`lines.0.qty`)
        "fields": [field_labels.field_label(page.t, e.get("field", "")) for e in problem.get("errors", [])
                   if isinstance(e, dict)],
        "shortages": problem.get("shortages") or [],
    }


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


def items(answer: Answer) -> list:
    if not answer.ok:
        return []
    if isinstance(answer.data, dict):
        return answer.data.get("items", [])
    return answer.data if isinstance(answer.data, list) else []
