"""People and keys through the admin API (api.md "People, audit and figures"), on the real gateway
database: the answers, the scope checks with the service desk and inventory, the password's storage,
and every change in the gateway's own audit trail."""

import json
import urllib.parse

import pytest
from sqlalchemy import create_engine, text

from gateway import passwords

from gateway_support import ADMIN, make_key, make_person
from helpers import assert_problem

pytestmark = pytest.mark.anyio
H = {"X-API-Key": ADMIN}
SITE = {"code": "ST-JINAN-07", "name": "济南第七维修站", "kind": "repair_station", "parent": "SC-JINAN",
        "region": "shandong", "status": "open"}
NOT_FOUND = {"type": "about:blank", "title": "Not found", "status": 404, "code": "site_not_found", "detail": "no"}


def stored(settings, sql: str, **params) -> list:
    args = {"options": f"-c search_path={settings.database_schema}"} if settings.database_schema else {}
    engine = create_engine(settings.database_url, connect_args=args)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


async def test_a_person_is_made_with_a_one_time_password_stored_only_as_argon2id(gateway, gateway_settings, fakes):
    fakes["servicedesk"].answers["/sites/ST-JINAN-07"] = (200, SITE)
    response = await gateway.post("/admin/users", headers=H, json={
        "login": "WangLei", "display_name": "王磊", "phone": "138 0531 0007", "role": "station",
        "station": "st-jinan-07"})
    assert response.status_code == 201, response.text
    made = response.json()
    assert {"id", "login", "display_name", "role", "station", "warehouses", "active", "one_time_password"} <= set(made)
    assert made["login"] == "wanglei" and made["station"] == "ST-JINAN-07" and made["warehouses"] is None
    assert made["active"] is True and made["must_change_password"] is True and made["display_name"] == "王磊"
    assert not {"password", "password_hash"} & set(made)
    [(stored_hash,)] = stored(gateway_settings, 'SELECT password_hash FROM "user" WHERE id = :id', id=made["id"])
    assert stored_hash.startswith("$argon2id$") and made["one_time_password"] not in stored_hash
    assert passwords.verify(stored_hash, made["one_time_password"])
    # The station was asked of the service desk, as the admin.
    [asked] = [s for s in fakes["servicedesk"].seen if s.raw_path == "/sites/ST-JINAN-07"]
    assert asked.method == "GET" and asked.headers["x-caller-role"] == "admin"
    for path in (f"/admin/users/{made['id']}", "/admin/users"):
        answer = (await gateway.get(path, headers=H)).text
        assert made["one_time_password"] not in answer and "argon2" not in answer and "password_hash" not in answer


async def test_a_login_is_unique_whatever_its_case(gateway):
    await make_person(gateway, "desk", login="zhaomin")
    again = await gateway.post("/admin/users", headers=H, json={"login": "ZhaoMin", "display_name": "赵敏",
                                                                 "role": "billing"})
    assert_problem(again, 409, "login_exists")


@pytest.mark.parametrize("answer", [(404, NOT_FOUND), (200, {**SITE, "status": "closed"}),
                                    (200, {**SITE, "kind": "central"})])
async def test_a_station_the_service_desk_does_not_have_open_is_refused(gateway, fakes, answer):
    # 404: no such site, or a service desk without the sites API yet; a closed site; the central warehouse.
    fakes["servicedesk"].answers["/sites/ST-NOWHERE"] = answer
    for path, body in (("/admin/users", {"login": "li.na", "display_name": "李娜", "role": "station",
                                         "station": "ST-NOWHERE"}),
                       ("/admin/api-keys", {"role": "station", "name": "scanner", "station": "ST-NOWHERE"})):
        refused = await gateway.post(path, headers=H, json=body)
        problem = assert_problem(refused, 422, "unknown_station")
        assert problem["errors"][0]["field"] == "station"
    assert (await gateway.get("/admin/users", headers=H)).json()["items"] == []


async def test_a_service_desk_that_is_down_is_503_not_a_guess(gateway, fakes):
    fakes["servicedesk"].mode = "down"
    refused = await gateway.post("/admin/users", headers=H, json={"login": "li.na", "display_name": "李娜",
                                                                   "role": "station", "station": "ST-01"})
    assert_problem(refused, 503, "upstream_unavailable")


async def test_warehouses_are_checked_with_inventory_and_an_empty_list_is_refused(gateway, fakes):
    fakes["inventory"].answers["/warehouses/SC-NOPE"] = (404, {**NOT_FOUND, "code": "warehouse_not_found"})
    refused = await gateway.post("/admin/users", headers=H, json={
        "login": "kuguan", "display_name": "库管", "role": "warehouse", "warehouses": ["SC-JINAN", "SC-NOPE"]})
    assert_problem(refused, 422, "unknown_warehouse")
    empty = await gateway.post("/admin/users", headers=H, json={
        "login": "kuguan", "display_name": "库管", "role": "warehouse", "warehouses": []})
    assert_problem(empty, 422, "validation_error")
    made = await make_person(gateway, "warehouse", warehouses=["sc-jinan", "CW-01"])
    assert made["warehouses"] == ["CW-01", "SC-JINAN"]
    unlimited = await make_person(gateway, "warehouse")
    assert unlimited["warehouses"] is None


@pytest.mark.parametrize(("role", "scope"), [("desk", {"station": "ST-01"}), ("billing", {"warehouses": ["CW-01"]}),
                                             ("station", {"warehouses": ["CW-01"]})])
async def test_a_scope_the_role_does_not_have_is_refused(gateway, role, scope):
    refused = await gateway.post("/admin/users", headers=H, json={"login": "x.y", "display_name": "某人",
                                                                   "role": role, **scope})
    assert_problem(refused, 422, "validation_error")


async def test_people_are_listed_in_pages_and_found_by_login_or_name(gateway):
    for login, name in (("zhangwei", "张伟"), ("wangfang", "王芳"), ("zhangli", "张丽")):
        await make_person(gateway, "desk", login=login, display_name=name)
    first = (await gateway.get("/admin/users?limit=2", headers=H)).json()
    rest = (await gateway.get(f"/admin/users?limit=2&cursor={first['next_cursor']}", headers=H)).json()
    assert [p["login"] for p in first["items"] + rest["items"]] == ["zhangwei", "wangfang", "zhangli"]
    assert rest["next_cursor"] is None
    by_name = (await gateway.get("/admin/users", params={"q": "张"}, headers=H)).json()["items"]
    assert [p["login"] for p in by_name] == ["zhangwei", "zhangli"]
    by_login = (await gateway.get("/admin/users", params={"q": "FANG"}, headers=H)).json()["items"]
    assert [p["display_name"] for p in by_login] == ["王芳"]
    assert (await gateway.get("/admin/users", params={"q": "%"}, headers=H)).json()["items"] == []


async def test_a_person_that_does_not_exist(gateway):
    assert_problem(await gateway.get("/admin/users/2000000000", headers=H), 404, "user_not_found")
    assert_problem(await gateway.patch("/admin/users/77", headers=H, json={"phone": "1"}), 404, "user_not_found")
    assert_problem(await gateway.post("/admin/users/77/reset-password", headers=H), 404, "user_not_found")
    assert (await gateway.get("/admin/users/0", headers=H)).status_code == 422
    assert (await gateway.get("/admin/users/99999999999", headers=H)).status_code == 422


@pytest.mark.parametrize("field", [{"password": "Chang-cheng 2026!"}, {"password_hash": "$argon2id$x"},
                                   {"login": "root"}, {"must_change_password": False}, {"locked": False},
                                   {"active": None}, {"role": None}, {"role": "metrics"}])
async def test_a_patch_takes_only_the_fields_of_the_contract(gateway, field):
    person = await make_person(gateway, "desk")
    assert_problem(await gateway.patch(f"/admin/users/{person['id']}", headers=H, json=field), 422,
                   "validation_error")
    assert (await gateway.get(f"/admin/users/{person['id']}", headers=H)).json()["role"] == "desk"


async def test_a_change_of_role_and_scope_is_recorded_with_before_and_after(gateway, fakes):
    fakes["servicedesk"].answers["/sites/ST-JINAN-07"] = (200, SITE)
    person = await make_person(gateway, "station", station="ST-JINAN-07", display_name="王磊")
    moved = await gateway.patch(f"/admin/users/{person['id']}", headers=H,
                                json={"role": "warehouse", "warehouses": ["SC-JINAN"], "phone": "139 0000 0001"})
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["role"], body["station"], body["warehouses"], body["phone"]) == (
        "warehouse", None, ["SC-JINAN"], "139 0000 0001")
    trail = (await gateway.get("/admin/audit", params={"object_id": str(person["id"])}, headers=H)).json()
    update, create = trail["items"]
    assert update["action"] == "update" and update["object_type"] == "user" and update["service"] == "gateway"
    assert update["changes"] == {"role": ["station", "warehouse"], "station": ["ST-JINAN-07", None],
                                 "warehouses": [None, ["SC-JINAN"]], "phone": [None, "139 0000 0001"]}
    assert update["actor"] == {"kind": "key", "id": "bootstrap", "name": "bootstrap admin key"}
    assert create["action"] == "create" and create["changes"]["display_name"] == [None, "王磊"]
    assert update["request_id"] and moved.headers["x-request-id"] == update["request_id"]
    nothing = await gateway.patch(f"/admin/users/{person['id']}", headers=H, json={"phone": "139 0000 0001"})
    assert nothing.status_code == 200
    again = (await gateway.get("/admin/audit", params={"object_id": str(person["id"])}, headers=H)).json()
    assert len(again["items"]) == 2  # no change, no entry


async def test_disable_reset_and_keys_are_in_the_trail_and_never_a_password(gateway, fakes):
    fakes["servicedesk"].answers["/sites/ST-JINAN-07"] = (200, SITE)
    person = await make_person(gateway, "desk")
    assert (await gateway.patch(f"/admin/users/{person['id']}", headers=H, json={"active": False})).status_code == 200
    reset = await gateway.post(f"/admin/users/{person['id']}/reset-password", headers=H)
    assert reset.status_code == 200 and set(reset.json()) == {"one_time_password"}
    new = reset.json()["one_time_password"]
    assert new != person["one_time_password"]
    key = (await gateway.post("/admin/api-keys", headers=H, json={"role": "station", "name": "七站扫码枪",
                                                                  "station": "ST-JINAN-07"})).json()
    assert (await gateway.delete(f"/admin/api-keys/{key['id']}", headers=H)).status_code == 204
    trail = (await gateway.get("/admin/audit", headers=H)).json()["items"]
    assert [(e["action"], e["object_type"]) for e in trail] == [
        ("revoke", "api_key"), ("create", "api_key"), ("reset_password", "user"), ("disable", "user"),
        ("create", "user")]
    assert trail[1]["changes"] == {"name": [None, "七站扫码枪"], "role": [None, "station"],
                                   "station": [None, "ST-JINAN-07"]}
    text_of_trail = json.dumps(trail, ensure_ascii=False)
    assert new not in text_of_trail and person["one_time_password"] not in text_of_trail
    assert "argon2" not in text_of_trail and key["key"] not in text_of_trail
    by_type = (await gateway.get("/admin/audit", params={"object_type": "api_key"}, headers=H)).json()
    assert len(by_type["items"]) == 2


async def test_a_key_bound_to_a_station_is_listed_with_its_scope_and_forwards_it(gateway, fakes):
    fakes["servicedesk"].answers["/sites/ST-JINAN-07"] = (200, SITE)
    made = (await gateway.post("/admin/api-keys", headers=H, json={"role": "station", "name": "七站扫码枪",
                                                                   "station": "st-jinan-07"}))
    assert made.status_code == 201 and made.json()["station"] == "ST-JINAN-07"
    warehouse = await make_key(gateway, "warehouse", ["SC-JINAN"])
    plain = await make_key(gateway, "billing")
    listing = {k["id"]: k for k in (await gateway.get("/admin/api-keys", headers=H)).json()["items"]}
    assert (listing[made.json()["id"]]["station"], listing[made.json()["id"]]["warehouses"]) == ("ST-JINAN-07", [])
    assert (listing[warehouse["id"]]["station"], listing[warehouse["id"]]["warehouses"]) == (None, ["SC-JINAN"])
    assert (listing[plain["id"]]["station"], listing[plain["id"]]["warehouses"]) == (None, [])
    fakes["servicedesk"].seen.clear()
    response = await gateway.get("/servicedesk/tickets", headers={"X-API-Key": made.json()["key"]})
    assert response.status_code == 200
    seen = fakes["servicedesk"].seen[-1].headers
    assert seen["x-caller-station"] == "ST-JINAN-07" and seen["x-caller-kind"] == "key"
    assert urllib.parse.unquote(seen["x-caller-name"]) == "七站扫码枪"


async def test_key_scopes_that_make_no_sense_are_refused(gateway):
    empty = await gateway.post("/admin/api-keys", headers=H, json={"role": "warehouse", "name": "x", "warehouses": []})
    assert_problem(empty, 422, "validation_error")
    station = await gateway.post("/admin/api-keys", headers=H, json={"role": "desk", "name": "x", "station": "ST-1"})
    assert_problem(station, 422, "validation_error")
    unlimited = await gateway.post("/admin/api-keys", headers=H, json={"role": "warehouse", "name": "x"})
    assert unlimited.status_code == 201 and unlimited.json()["warehouses"] == []


async def test_only_an_admin_manages_people(gateway):
    for role in ("station", "desk", "warehouse", "billing"):
        key = (await make_key(gateway, role))["key"]
        for method, path in (("GET", "/admin/users"), ("POST", "/admin/users"), ("GET", "/admin/audit"),
                             ("POST", "/admin/users/1/reset-password"), ("PATCH", "/admin/users/1")):
            response = await gateway.request(method, path, headers={"X-API-Key": key}, json={})
            assert_problem(response, 403, "forbidden")


def test_password_rules():
    for password, reason in (("short-1A", "too_short"), ("x" * 201, "too_long"), ("WangLei2024", "same_as_login"),
                             ("woaini1314", "common"), ("QWERTYUIOP", "common"), ("1234567890", "common"),
                             ("1qaz2wsx3edc", "common"), ("aaaaaaaaaaaa", "common"), ("ababababab", "common")):
        with pytest.raises(passwords.PasswordRefused) as refused:
            passwords.check(password, "wanglei2024")
        assert refused.value.reason == reason, password
    passwords.check("Chang-cheng 2026!", "wanglei2024")
    assert {"1qaz2wsx", "woaini1314", "qwertyuiop", "1234567890"} <= passwords.COMMON
    one_time = passwords.one_time()
    assert len(one_time) == 14 and not set(one_time) & set("0O1lI")
    passwords.check(one_time.replace("-", ""), "anyone")
