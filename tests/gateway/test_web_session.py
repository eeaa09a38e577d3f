"""The web app's door: sessions, cookies, CSRF, CSP and revocation, over plain HTTP (no browser)."""
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from gateway.main import create_app
from gateway.models import WebSession
from gateway.web import pages
from shared.clock import FixedClock

from gateway_support import ADMIN, PASSWORD, make_key, make_person
from gateway_support import sign_in as sign_in_person
from helpers import asgi_client

pytestmark = pytest.mark.anyio
TEMPLATES = Path(pages.TEMPLATES)
STATIC = TEMPLATES.parent / "static"


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 11, 27, 2, 0, tzinfo=UTC))


@pytest.fixture
async def web(gateway_settings, fakes, clock):
    app = create_app(gateway_settings, clock=clock)
    async with asgi_client(app) as client:
        client.app = app
        yield client


def token_in(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def sign_in(client, who=ADMIN) -> httpx.Response:
    """A person (of the key's role, for a key) who chose their password, signed in again: that answer."""
    if isinstance(who, str) or "login" not in who:
        who = {"role": "admin"} if who == ADMIN else who
        await sign_in_person(client, who)
        who = who.get("person", who)
    client.cookies.clear()
    return await sign_in_raw(client, who["login"], who["password"])


async def sign_in_raw(client, login: str, password: str, **more) -> httpx.Response:
    form = await client.get("/app/login")
    return await client.post("/app/login", data={"csrf": token_in(form.text), "login": login, "password": password,
                                                 **more})


async def test_pages_need_no_api_key_but_the_api_still_does(web):
    front = await web.get("/")
    assert front.status_code == 303 and front.headers["location"] == "/app/login"
    assert (await web.get("/app/login")).status_code == 200
    assert (await web.get("/app/static/app.css")).status_code == 200
    assert (await web.get("/warranty/units/KFR72-000001")).status_code == 401
    assert (await web.get("/admin/api-keys")).status_code == 401


async def test_session_cookie_is_httponly_samesite_strict_and_never_the_key(web):
    response = await sign_in(web, ADMIN)
    assert response.status_code == 303 and response.headers["location"] == "/app/"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(pages.SESSION_COOKIE + "="))
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags
    assert "secure" not in flags  # plain http in this test: a Secure cookie would never come back
    value = cookie.split(";")[0].split("=", 1)[1]
    assert PASSWORD not in cookie and len(value) >= 40
    with web.app.state.db.read_engine.connect() as conn:
        stored = conn.execute(select(WebSession.id_hash, WebSession.user_id)).all()
    assert stored and all(value not in row.id_hash for row in stored)


async def test_session_cookie_is_secure_over_https(gateway_settings, fakes, clock):
    app = create_app(gateway_settings, clock=clock)
    async with asgi_client(app, base_url="https://testserver") as client:
        response = await sign_in(client, ADMIN)
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(pages.SESSION_COOKIE + "="))
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]


async def test_a_wrong_password_is_refused_in_words_keeping_the_login_typed(web):
    person = await make_person(web, "station")
    response = await sign_in_raw(web, person["login"], "not-the-password")
    assert response.status_code == 401
    assert "登录名或密码不正确" in response.text
    assert f'name="login" value="{person["login"]}"' in response.text
    assert 'name="password" type="password"' in response.text and "not-the-password" not in response.text
    assert pages.SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_an_api_key_signs_nobody_in(web):
    key = await make_key(web, "station")
    form = await web.get("/app/login")
    response = await web.post("/app/login", data={"csrf": token_in(form.text), "api_key": key["key"]})
    assert response.status_code == 401 and pages.SESSION_COOKIE not in response.headers.get("set-cookie", "")
    response = await sign_in_raw(web, key["name"], key["key"])
    assert response.status_code == 401


async def test_sign_in_without_the_forms_token_is_refused(web):
    person = await make_person(web, "station")
    response = await web.post("/app/login", data={"csrf": "made-up", "login": person["login"],
                                                  "password": person["one_time_password"]})
    assert response.status_code == 403
    assert "表单已过期" in response.text
    assert pages.SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_a_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing(web, fakes):
    await sign_in(web, ADMIN)
    seen = sum(len(f.seen) for f in fakes.values())
    for data in ({}, {"csrf": "wrong"}):
        response = await web.post("/app/billing/invoices/INV-2026-000001/pay", data=data)
        assert response.status_code == 403
    assert sum(len(f.seen) for f in fakes.values()) == seen  # nothing reached a service
    refused_logout = await web.post("/app/logout", data={})
    assert refused_logout.status_code == 403
    assert (await web.get("/app/")).status_code == 200  # still signed in


async def test_disabling_a_person_ends_their_session_at_once(web):
    person = await make_person(web, "station")
    signed = httpx.AsyncClient(transport=web._transport, base_url="http://testserver")
    async with signed:
        await sign_in_person(signed, person)
        assert (await signed.get("/app/station")).status_code == 200
        disabled = await web.patch(f"/admin/users/{person['id']}", json={"active": False},
                                   headers={"X-API-Key": ADMIN})
        assert disabled.status_code == 200 and disabled.json()["active"] is False
        response = await signed.get("/app/station")
        # Ended, not only hidden: enabling the person again later does not bring this session back.
        assert response.status_code == 303 and response.headers["location"].startswith("/app/login")
        again = await sign_in_raw(signed, person["login"], PASSWORD)
    assert again.status_code == 401 and "登录名或密码不正确" in again.text  # as a wrong password
    with web.app.state.db.read_engine.connect() as conn:
        assert conn.execute(select(WebSession.id_hash)).all() == []


async def test_a_session_ends_after_the_idle_limit(web, clock):
    await sign_in(web, ADMIN)
    clock.advance(seconds=web.app.state.gateway.settings.web_session_idle_seconds - 60)
    assert (await web.get("/app/")).status_code == 200  # use keeps it alive
    clock.advance(seconds=web.app.state.gateway.settings.web_session_idle_seconds - 60)
    assert (await web.get("/app/")).status_code == 200
    clock.advance(seconds=web.app.state.gateway.settings.web_session_idle_seconds + 1)
    response = await web.get("/app/")
    assert response.status_code == 303 and "reason=expired" in response.headers["location"]


async def test_signing_out_forgets_the_session_even_if_the_cookie_is_replayed(web):
    response = await sign_in(web, ADMIN)
    old = response.cookies[pages.SESSION_COOKIE]
    page = await web.get("/app/")
    out = await web.post("/app/logout", data={"csrf": token_in(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/app/login?reason=signed_out"
    assert 'max-age=0' in out.headers["set-cookie"].lower() or "expires=" in out.headers["set-cookie"].lower()
    web.cookies.set(pages.SESSION_COOKIE, old)
    again = await web.get("/app/")
    assert again.status_code == 303 and again.headers["location"].startswith("/app/login")


async def test_every_page_carries_a_csp_without_inline_code(web):
    login = await web.get("/app/login")
    await sign_in(web, ADMIN)
    for response in (login, await web.get("/app/"), await web.get("/app/station")):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"


def test_no_template_has_inline_script_style_or_handlers():
    offending = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"<style\b", r"\sstyle\s*=", r"\son[a-z]+\s*=",
                        r"javascript:", r"https?://"):
            if re.search(pattern, text, re.IGNORECASE):
                offending.append(f"{path.relative_to(TEMPLATES)}: {pattern}")
    assert offending == []


def test_every_script_and_style_is_served_from_our_own_static_folder():
    for path in TEMPLATES.rglob("*.html"):
        for src in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', path.read_text()):
            assert src.startswith("/app/static/"), (path.name, src)
            assert (STATIC / src.removeprefix("/app/static/")).exists(), src


async def test_a_role_sees_only_its_own_pages(web):
    key = await make_key(web, "warehouse")
    await sign_in(web, key)
    assert (await web.get("/app/warehouse/reserve")).status_code == 200
    refused = await web.get("/app/billing")
    assert refused.status_code == 403 and "您的角色无权执行此操作" in refused.text


async def test_a_service_that_is_down_is_explained_not_a_crash(web, fakes):
    await sign_in(web, ADMIN)
    fakes["warranty"].mode = "down"
    response = await web.get("/app/station/units/KFR72-000001?lang=en")
    assert response.status_code == 503
    assert "A service this page needs is not available right now." in response.text
    assert "Traceback" not in response.text


async def test_english_is_remembered_in_a_cookie(web):
    english = await web.get("/app/login?lang=en")
    assert '<html lang="en">' in english.text and "Sign in" in english.text
    assert "aftersales_lang=en" in english.headers["set-cookie"]
    again = await web.get("/app/login")
    assert '<html lang="en">' in again.text
    chinese = await web.get("/app/login?lang=zh")
    assert '<html lang="zh-CN">' in chinese.text and "登录" in chinese.text


async def test_the_session_cookie_opens_pages_not_the_api(web):
    await sign_in(web, ADMIN)
    assert (await web.get("/app/")).status_code == 200
    assert (await web.get("/warranty/units/KFR72-000001")).status_code == 401
    assert (await web.get("/admin/api-keys")).status_code == 401


@pytest.mark.parametrize("target", ["//evil.example/app/", "https://evil.example/", "/app/../admin/api-keys",
                                    "/app/%2e%2e/admin/api-keys"])
async def test_sign_in_never_sends_the_browser_elsewhere(web, target):
    person = {"role": "admin"}
    await sign_in_person(web, person)
    web.cookies.clear()
    response = await sign_in_raw(web, person["person"]["login"], PASSWORD, next=target)
    assert response.status_code == 303 and response.headers["location"] == "/app/"


async def test_sign_in_returns_to_the_page_that_asked_for_it(web):
    person = {"role": "admin"}
    await sign_in_person(web, person)
    web.cookies.clear()
    first = await web.get("/app/warehouse/reserve")
    assert first.status_code == 303 and first.headers["location"] == "/app/login?next=%2Fapp%2Fwarehouse%2Freserve"
    form = await web.get(first.headers["location"])
    assert 'name="next" value="/app/warehouse/reserve"' in form.text
    response = await web.post("/app/login", data={"csrf": token_in(form.text), "login": person["person"]["login"],
                                                  "password": PASSWORD, "next": "/app/warehouse/reserve"})
    assert response.headers["location"] == "/app/warehouse/reserve"


async def test_the_language_link_on_a_forms_answer_leads_back_to_the_form(web, fakes):
    await sign_in(web, ADMIN)
    page = await web.get("/app/warehouse/reserve")
    fakes["inventory"].mode = "down"
    answer = await web.post("/app/warehouse/reserve", headers={"referer": "http://testserver/app/warehouse/reserve"},
                            data={"csrf": token_in(page.text), "warehouse": "SC-01", "reference": "R-1",
                                  "part_number": "CMP-72", "qty": "1"})
    assert answer.status_code == 503 and "本页面所需的服务暂时不可用" in answer.text
    assert 'href="/app/warehouse/reserve?lang=en"' in answer.text


async def test_sessions_left_without_signing_out_are_swept_at_the_next_sign_in(web, clock):
    person = {"role": "admin"}
    await sign_in_person(web, person)
    clock.advance(seconds=web.app.state.gateway.settings.web_session_idle_seconds + 1)
    web.cookies.clear()
    await sign_in_raw(web, person["person"]["login"], PASSWORD)
    with web.app.state.db.read_engine.connect() as conn:
        assert len(conn.execute(select(WebSession.id_hash)).all()) == 1


async def test_receipts_and_transfers_are_sent_once_and_refused_in_words_when_incomplete(web, fakes):
    await sign_in(web, ADMIN)
    form = await web.get("/app/warehouse/receipts")
    assert form.status_code == 200
    csrf = token_in(form.text)
    fakes["inventory"].seen.clear()
    receipt = {"csrf": csrf, "warehouse": "SC-JINAN", "part_number": "cmp-72", "qty": "6", "reference": "PO-4711",
               "idempotency_key": "form-1"}
    done = await web.post("/app/warehouse/receipts", data=receipt)
    assert done.status_code == 303
    assert done.headers["location"].endswith("/app/warehouse?part_number=CMP-72&done=receipt")
    sent = [s for s in fakes["inventory"].seen if s.method == "POST"]
    assert [s.raw_path for s in sent] == ["/receipts"]
    assert json.loads(sent[0].content) == {"warehouse": "SC-JINAN", "part_number": "CMP-72", "qty": 6,
                                           "reference": "PO-4711"}
    assert sent[0].headers["idempotency-key"] == "form-1"

    fakes["inventory"].seen.clear()
    same_place = {"csrf": csrf, "from_warehouse": "SC-JINAN", "to_warehouse": "SC-JINAN", "part_number": "CMP-72",
                  "qty": "1", "reference": "T-1"}
    refused = await web.post("/app/warehouse/transfers", data=same_place)
    assert refused.status_code == 422
    no_qty = await web.post("/app/warehouse/receipts", data={**receipt, "qty": "0"})
    assert no_qty.status_code == 422
    assert [s for s in fakes["inventory"].seen if s.method == "POST"] == []  # nothing sent

    moved = await web.post("/app/warehouse/transfers", data={**same_place, "to_warehouse": "RS-07"})
    assert moved.status_code == 303 and moved.headers["location"].endswith("&done=transfer")
    assert [s.raw_path for s in fakes["inventory"].seen if s.method == "POST"] == ["/transfers"]
