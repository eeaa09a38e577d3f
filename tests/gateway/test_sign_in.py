"""Signing people in (domain.md section 7, api.md "Guessing"): one-time passwords, choosing one's own,
the lockout, sessions' limits, guessing from one address (across gateway processes), the per-caller
rate on pages, and what an attacker tries: an old session of a disabled person, a locked login with
the right password, a role slipped into a self-service form, a flood of wrong keys."""

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from gateway import config
from gateway.main import create_app
from gateway.web import pages
from shared import settings as shared_settings
from shared.clock import FixedClock

from gateway_support import ADMIN, PASSWORD, make_key, make_person, sign_in, token_in
from helpers import asgi_client, assert_problem

pytestmark = pytest.mark.anyio
H = {"X-API-Key": ADMIN}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 12, 4, 2, 0, tzinfo=UTC))


@pytest.fixture
async def web(gateway_settings, fakes, clock):
    app = create_app(gateway_settings, clock=clock)
    async with asgi_client(app) as client:
        client.app = app
        yield client


async def attempt(client, login: str, password: str, **more) -> httpx.Response:
    form = await client.get("/app/login")
    return await client.post("/app/login", data={"csrf": token_in(form.text), "login": login, "password": password,
                                                 **more})


def words_of(response: httpx.Response) -> str:
    """The page without what differs on every answer (its form's token)."""
    return response.text.replace(token_in(response.text), "")


async def test_a_one_time_password_leads_straight_to_choosing_ones_own(web, fakes):
    person = await make_person(web, "station")
    first = await attempt(web, person["login"].upper(), person["one_time_password"])
    assert first.status_code == 303 and first.headers["location"] == "/app/password"
    for path in ("/app/", "/app/station", "/app/warehouse", "/"):
        held = await web.get(path)
        assert held.status_code == 303 and held.headers["location"] == "/app/password", path
    form = await web.get("/app/password")
    assert form.status_code == 200 and "设置您自己的密码" in form.text and 'name="current"' not in form.text
    csrf = token_in(form.text)
    for new, again, words in (("Sh0rt!x", "Sh0rt!x", "新密码太短"), ("woaini1314", "woaini1314", "最常用的密码"),
                              (person["login"], person["login"], "不能与登录名相同"),
                              (PASSWORD, PASSWORD + "x", "两次输入的新密码不一致"),
                              (person["one_time_password"], person["one_time_password"], "不能与当前密码相同")):
        refused = await web.post("/app/password", data={"csrf": csrf, "new_password": new, "confirm_password": again})
        assert refused.status_code == 422 and words in refused.text, new
        assert f'value="{new}"' not in refused.text  # a password is never echoed
    fakes["servicedesk"].seen.clear()
    chosen = await web.post("/app/password", data={"csrf": csrf, "new_password": PASSWORD,
                                                   "confirm_password": PASSWORD})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/app/station"
    assert (await web.get("/app/station")).status_code == 200
    shown = (await web.get(f"/admin/users/{person['id']}", headers=H)).json()
    assert shown["must_change_password"] is False and shown["last_sign_in_at"]
    web.cookies.clear()
    assert (await attempt(web, person["login"], person["one_time_password"])).status_code == 401
    again = await attempt(web, person["login"], PASSWORD)
    assert again.status_code == 303 and again.headers["location"] == "/app/station"


async def test_the_session_carries_the_person_to_the_services(web, fakes):
    fakes["servicedesk"].answers["/sites/ST-JINAN-07"] = (200, {"code": "ST-JINAN-07", "kind": "repair_station"})
    person = await make_person(web, "station", display_name="王磊", station="ST-JINAN-07")
    await sign_in(web, person)
    fakes["servicedesk"].seen.clear()
    assert (await web.get("/app/station/tickets?station=ST-JINAN-07")).status_code == 200
    seen = fakes["servicedesk"].seen[-1].headers
    assert seen["x-caller-kind"] == "user" and seen["x-caller-key-id"] == f"user:{person['id']}"
    assert seen["x-caller-station"] == "ST-JINAN-07" and seen["x-caller-role"] == "station"
    assert seen["x-caller-name"] == "%E7%8E%8B%E7%A3%8A"  # 王磊, percent-encoded UTF-8


async def test_changing_ones_password_asks_for_the_current_one_and_signs_out_the_other_browsers(web):
    person = await make_person(web, "desk")
    other = httpx.AsyncClient(transport=web._transport, base_url="http://testserver")
    async with other:
        await sign_in(other, person)
        await sign_in(web, person)
        form = await web.get("/app/password")
        assert 'name="current"' in form.text and "修改密码" in form.text
        csrf = token_in(form.text)
        new = {"new_password": "Tai-shan 1545m", "confirm_password": "Tai-shan 1545m"}
        wrong = await web.post("/app/password", data={"csrf": csrf, "current": "not it", **new})
        assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
        done = await web.post("/app/password", data={"csrf": csrf, "current": PASSWORD, **new})
        assert done.status_code == 303
        assert (await web.get("/app/desk")).status_code != 303  # this browser goes on
        ended = await other.get("/app/")
        assert ended.status_code == 303 and ended.headers["location"].startswith("/app/login")


async def test_a_self_service_form_changes_nothing_but_the_password(web):
    person = await make_person(web, "station")
    csrf = await sign_in(web, person)
    form = await web.get("/app/password")
    sneaky = await web.post("/app/password", data={
        "csrf": token_in(form.text), "current": PASSWORD, "new_password": "Huang-he 5464km",
        "confirm_password": "Huang-he 5464km", "role": "admin", "station": "ST-OTHER", "warehouses": "CW-01",
        "active": "true", "login": "root", "must_change_password": "true", "user_id": "1"})
    assert sneaky.status_code == 303 and csrf
    shown = (await web.get(f"/admin/users/{person['id']}", headers=H)).json()
    assert (shown["role"], shown["station"], shown["warehouses"], shown["login"]) == (
        "station", None, None, person["login"])
    assert (await web.get("/app/admin/users")).status_code == 403
    assert (await web.post("/app/admin/users", data={"csrf": csrf, "login": "x", "role": "admin"})).status_code == 403


async def test_five_wrong_passwords_lock_the_login_and_the_right_one_is_refused_alike(web, clock):
    person = await make_person(web, "billing")
    await sign_in(web, person)
    web.cookies.clear()
    wrong = [await attempt(web, person["login"], f"wrong-password-{i}") for i in range(5)]
    assert [r.status_code for r in wrong] == [401] * 5
    locked = await attempt(web, person["login"], PASSWORD)  # the sixth try, with the right password
    assert locked.status_code == 401 and words_of(locked) == words_of(wrong[0])
    unknown = await attempt(web, "nobody-here", PASSWORD)
    assert unknown.status_code == 401 and words_of(unknown).replace("nobody-here", person["login"]) == words_of(
        wrong[0])
    assert (await web.get(f"/admin/users/{person['id']}", headers=H)).json()["locked"] is True
    clock.advance(minutes=14)
    assert (await attempt(web, person["login"], PASSWORD)).status_code == 401
    clock.advance(minutes=1, seconds=1)
    assert (await attempt(web, person["login"], PASSWORD)).status_code == 303


async def test_wrong_passwords_spread_over_more_than_a_quarter_of_an_hour_do_not_lock(web, clock):
    person = await make_person(web, "billing")
    await sign_in(web, person)
    web.cookies.clear()
    for _ in range(4):
        assert (await attempt(web, person["login"], "wrong-password")).status_code == 401
        clock.advance(minutes=5)
    assert (await attempt(web, person["login"], PASSWORD)).status_code == 303
    web.cookies.clear()
    for _ in range(4):  # a good sign-in starts the count again
        assert (await attempt(web, person["login"], "wrong-password")).status_code == 401
    assert (await attempt(web, person["login"], PASSWORD)).status_code == 303


async def test_an_admins_reset_lifts_the_lock_and_ends_the_sessions(web):
    person = await make_person(web, "desk")
    signed = httpx.AsyncClient(transport=web._transport, base_url="http://testserver")
    async with signed:
        await sign_in(signed, person)
        for i in range(5):
            await attempt(web, person["login"], f"wrong-{i}")
        reset = (await web.post(f"/admin/users/{person['id']}/reset-password", headers=H)).json()
        assert (await signed.get("/app/")).status_code == 303  # signed out
    answer = await attempt(web, person["login"], reset["one_time_password"])
    assert answer.status_code == 303 and answer.headers["location"] == "/app/password"


async def test_a_disabled_persons_old_session_and_password_open_nothing(web):
    person = await make_person(web, "station")
    thief = httpx.AsyncClient(transport=web._transport, base_url="http://testserver")
    async with thief:
        await sign_in(thief, person)
        cookie = thief.cookies[pages.SESSION_COOKIE]
        assert (await web.patch(f"/admin/users/{person['id']}", headers=H, json={"active": False})).status_code == 200
        thief.cookies.set(pages.SESSION_COOKIE, cookie)
        for path in ("/app/station", "/app/"):
            answer = await thief.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/app/login"), path
        assert (await thief.post("/app/logout", data={})).status_code == 303
        assert (await attempt(thief, person["login"], PASSWORD)).status_code == 401
        assert (await web.patch(f"/admin/users/{person['id']}", headers=H, json={"active": True})).status_code == 200
        thief.cookies.set(pages.SESSION_COOKIE, cookie)
        assert (await thief.get("/app/station")).status_code == 303  # enabled again: the old session stays ended


async def test_a_session_ends_after_its_lifetime_however_busy(web, clock):
    person = await make_person(web, "desk")
    await sign_in(web, person)
    settings = web.app.state.gateway.settings
    assert settings.web_session_idle_seconds == 12 * 3600 and settings.web_session_max_seconds == 7 * 86400
    for _ in range(7 * 2):
        clock.advance(hours=11, minutes=59)
        assert (await web.get("/app/")).status_code == 200
    clock.advance(hours=11)
    ended = await web.get("/app/")
    assert ended.status_code == 303 and "reason=expired" in ended.headers["location"]


async def test_21_wrong_keys_from_one_address_are_refused_while_valid_keys_work(web):
    valid = (await make_key(web, "station"))["key"]
    transport = web._transport
    for wrong in range(20):
        answer = await web.get("/warranty/units/KFR72-000001", headers={"X-API-Key": f"ak_guess{wrong}"})
        assert_problem(answer, 401, "unauthorized")
    refused = await web.get("/warranty/units/KFR72-000001", headers={"X-API-Key": "ak_guess20"})
    assert_problem(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert (await web.get("/warranty/units/KFR72-000001", headers={"X-API-Key": valid})).status_code == 200
    assert (await web.get("/warranty/units/KFR72-000001", headers={"X-API-Key": ADMIN})).status_code == 200
    assert (await web.get("/warranty/units/KFR72-000001")).status_code == 401  # no key at all: a plain 401
    elsewhere = httpx.AsyncClient(transport=httpx.ASGITransport(app=transport.app, client=("10.1.2.3", 40000),
                                                                raise_app_exceptions=False),
                                  base_url="http://testserver")
    async with elsewhere:
        assert (await elsewhere.get("/warranty/units/KFR72-000001", headers={"X-API-Key": valid})).status_code == 200
        assert_problem(await elsewhere.get("/warranty/units/X", headers={"X-API-Key": "ak_guess"}), 401, "unauthorized")
    # Signing in from the guessing address is refused too, without a password being tried.
    person = await make_person(web, "desk")
    page = await attempt(web, person["login"], person["one_time_password"])
    assert page.status_code == 429 and "登录失败次数过多" in page.text and page.headers["retry-after"]


async def test_the_guessing_count_is_shared_by_gateway_processes_and_forgotten_after_a_minute(
        gateway_settings, fakes, clock):
    one, two = create_app(gateway_settings, clock=clock), create_app(gateway_settings, clock=clock)
    async with asgi_client(one) as first, asgi_client(two) as second:
        for i in range(11):
            assert (await first.get("/inventory/stock", headers={"X-API-Key": f"ak_a{i}"})).status_code == 401
        for i in range(9):
            assert (await second.get("/inventory/stock", headers={"X-API-Key": f"ak_b{i}"})).status_code == 401
        assert_problem(await second.get("/inventory/stock", headers={"X-API-Key": "ak_c"}), 429, "rate_limited")
        clock.advance(seconds=61)
        assert_problem(await first.get("/inventory/stock", headers={"X-API-Key": "ak_d"}), 401, "unauthorized")


async def test_failed_sign_ins_count_towards_the_addresss_limit(web):
    for i in range(20):
        assert (await attempt(web, f"guess{i}", "Guessing 12345")).status_code == 401
    refused = await attempt(web, "guess20", "Guessing 12345")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) <= 60
    assert_problem(await web.get("/billing/invoices", headers={"X-API-Key": "ak_x"}), 429, "rate_limited")


async def test_the_rate_per_caller_applies_to_a_signed_in_persons_pages(gateway_settings, fakes, clock):
    settings = gateway_settings.model_copy(update={"rate_limit_per_second": 0.001, "rate_limit_burst": 12})
    app = create_app(settings, clock=clock)
    async with asgi_client(app) as client:
        await sign_in(client, await make_person(client, "desk"))
        answers = [await client.get("/app/") for _ in range(12)]
        limited = [a for a in answers if a.status_code == 429]
        assert limited and "短时间内请求过多" in limited[0].text and int(limited[0].headers["retry-after"]) >= 1


async def test_an_unknown_web_address_is_a_page_in_words_not_json(web):
    for path in ("/app/nowhere", "/app/admin/nothing/here", "/app/station/units/X/nope"):
        answer = await web.get(path)
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html"), path
        assert "该页面或记录不存在" in answer.text
    english = await web.get("/app/nowhere?lang=en")
    assert "This page or record does not exist." in english.text
    assert (await web.post("/app/password", data={})).status_code in (303, 403)
    assert_problem(await web.get("/admin/nothing", headers=H), 404, "not_found")  # the API keeps its JSON


def test_no_password_or_hash_ever_reaches_a_log_line(tmp_path):
    """A real gateway process, its whole output read: made, wrong, signed in, changed, reset, signed in."""
    from shared import migrations

    from helpers import TOKEN, free_port

    port = free_port()
    env = {**os.environ, "DATA_DIR": str(tmp_path), "ADMIN_API_KEY": ADMIN, "INTERNAL_TOKEN": TOKEN,
           "AFTERSALES_ENV": "production", "LOG_LEVEL": "DEBUG", "GATEWAY_PORT": str(port)}
    env = {k: v for k, v in env.items() if not k.endswith("DATABASE_URL")}
    migrations.upgrade("gateway", f"sqlite:///{tmp_path / 'gateway.sqlite3'}")
    log_file = tmp_path / "gateway.log"
    with log_file.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "gateway.main:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(port)], env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=url, timeout=30) as client:
                for _ in range(200):
                    try:
                        if client.get("/healthz").status_code == 200:
                            break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                made = client.post("/admin/users", headers=H, json={"login": "zhangwei", "display_name": "张伟",
                                                                    "role": "desk"}).json()

                def sign_in_sync(password: str) -> httpx.Response:
                    form = client.get("/app/login")
                    return client.post("/app/login", data={"csrf": token_in(form.text), "login": "zhangwei",
                                                           "password": password})

                assert sign_in_sync("Wrong-guess 987").status_code == 401
                assert sign_in_sync(made["one_time_password"]).headers["location"] == "/app/password"
                page = client.get("/app/password")
                chosen = client.post("/app/password", data={"csrf": token_in(page.text), "new_password": PASSWORD,
                                                            "confirm_password": PASSWORD})
                assert chosen.status_code == 303
                reset = client.post(f"/admin/users/{made['id']}/reset-password", headers=H).json()
                client.cookies.clear()
                assert sign_in_sync(reset["one_time_password"]).status_code == 303
        finally:
            process.terminate()
            process.wait(timeout=20)
    logged = log_file.read_text()
    assert '"path":"/app/login"' in logged and '"path":"/admin/users"' in logged  # the log was read
    for secret in (made["one_time_password"], reset["one_time_password"], PASSWORD, "Wrong-guess 987", "$argon2"):
        assert secret not in logged


def test_outside_development_the_platform_refuses_development_secrets(monkeypatch):
    monkeypatch.delenv("AFTERSALES_ENV", raising=False)
    monkeypatch.delenv("ADMIN_API_KEY", raising=False)
    monkeypatch.delenv("INTERNAL_TOKEN", raising=False)
    with pytest.raises(shared_settings.InsecureSecrets, match="INTERNAL_TOKEN and ADMIN_API_KEY"):
        config.load()
    monkeypatch.setenv("INTERNAL_TOKEN", "a-real-secret-token")
    with pytest.raises(shared_settings.InsecureSecrets, match="ADMIN_API_KEY"):
        config.load()
    monkeypatch.setenv("ADMIN_API_KEY", config.DEV_ADMIN_API_KEY)
    with pytest.raises(shared_settings.InsecureSecrets, match="ADMIN_API_KEY"):
        config.load()
    monkeypatch.setenv("ADMIN_API_KEY", "a-real-admin-key")
    assert config.load().admin_api_key == "a-real-admin-key"
    monkeypatch.setenv("INTERNAL_TOKEN", shared_settings.DEV_INTERNAL_TOKEN)
    with pytest.raises(shared_settings.InsecureSecrets, match="INTERNAL_TOKEN"):
        config.load()
    with pytest.raises(shared_settings.InsecureSecrets, match="INTERNAL_TOKEN"):
        shared_settings.load("warranty")
    monkeypatch.setenv("AFTERSALES_ENV", "development")
    monkeypatch.delenv("ADMIN_API_KEY")
    assert config.load().admin_api_key == config.DEV_ADMIN_API_KEY
    assert shared_settings.load("warranty").internal_token == shared_settings.DEV_INTERNAL_TOKEN


def test_make_run_says_it_is_development(monkeypatch):
    from scripts import run

    monkeypatch.delenv("AFTERSALES_ENV", raising=False)
    assert run.environment()["AFTERSALES_ENV"] == "development"
    monkeypatch.setenv("AFTERSALES_ENV", "production")
    assert run.environment()["AFTERSALES_ENV"] == "production"
