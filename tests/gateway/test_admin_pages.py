"""The admin console's pages over plain HTTP: people (find, make showing the one-time password once,
change role and scope from the lists, reset, disable) and keys (make with a scope, list, revoke)."""

import re

import pytest

from gateway_support import ADMIN, make_person, sign_in, token_in

pytestmark = pytest.mark.anyio
H = {"X-API-Key": ADMIN}
SITES = {"items": [{"code": "ST-JINAN-07", "name": "济南第七维修站", "kind": "repair_station", "status": "open"},
                   {"code": "SC-JINAN", "name": "济南服务中心", "kind": "service_center", "status": "open"},
                   {"code": "CW-01", "name": "中心仓库", "kind": "central", "status": "open"}],
         "next_cursor": None}
WAREHOUSES = {"items": [{"code": "CW-01", "name": "中心仓库"}, {"code": "SC-JINAN", "name": "济南服务中心"}],
              "next_cursor": None}


@pytest.fixture
def org(fakes):
    fakes["servicedesk"].answers["/sites"] = (200, SITES)
    fakes["servicedesk"].answers["/sites/ST-JINAN-07"] = (200, SITES["items"][0])
    fakes["inventory"].answers["/warehouses"] = (200, WAREHOUSES)
    return fakes


async def test_an_admin_makes_a_station_person_and_sees_the_one_time_password_once(gateway, org):
    csrf = await sign_in(gateway, ADMIN)
    form = await gateway.get("/app/admin/users/new")
    assert form.status_code == 200
    assert '<option value="ST-JINAN-07"' in form.text and '<option value="SC-JINAN"' in form.text
    assert '<option value="CW-01"' not in form.text  # the central warehouse is no station
    assert 'name="warehouses" value="SC-JINAN"' in form.text
    made = await gateway.post("/app/admin/users", data={"csrf": csrf, "login": "WangLei", "display_name": "王磊",
                                                        "phone": "138 0531 0007", "role": "station",
                                                        "station": "ST-JINAN-07", "warehouses": "CW-01"})
    assert made.status_code == 201 and "王磊 现在可以登录了" in made.text
    one_time = re.search(r'id="one-time-password">([^<]+)<', made.text).group(1)
    [person] = (await gateway.get("/admin/users", params={"q": "wanglei"}, headers=H)).json()["items"]
    assert (person["login"], person["station"], person["warehouses"]) == ("wanglei", "ST-JINAN-07", None)
    listing = await gateway.get("/app/admin/users?q=王")
    assert "wanglei" in listing.text and "ST-JINAN-07" in listing.text and one_time not in listing.text
    page = await gateway.get(f"/app/admin/users/{person['id']}")
    assert one_time not in page.text and '<option value="ST-JINAN-07" selected' in page.text
    taken = await gateway.post("/app/admin/users", data={"csrf": csrf, "login": "wanglei", "display_name": "王磊二",
                                                         "role": "desk"})
    assert taken.status_code == 409 and "该登录名已被使用" in taken.text and 'value="王磊二"' in taken.text


async def test_an_admin_changes_the_role_and_scope_resets_and_disables(gateway, org):
    person = await make_person(gateway, "station", display_name="李娜")
    csrf = await sign_in(gateway, ADMIN)
    moved = await gateway.post(f"/app/admin/users/{person['id']}", data={
        "csrf": csrf, "display_name": "李娜", "phone": "", "role": "warehouse", "station": "ST-JINAN-07",
        "warehouses": ["SC-JINAN", "CW-01"]})
    assert moved.status_code == 303 and moved.headers["location"].endswith("?done=saved")
    shown = (await gateway.get(f"/admin/users/{person['id']}", headers=H)).json()
    assert (shown["role"], shown["station"], shown["warehouses"]) == ("warehouse", None, ["CW-01", "SC-JINAN"])
    reset = await gateway.post(f"/app/admin/users/{person['id']}/reset-password", data={"csrf": csrf})
    assert reset.status_code == 200 and "李娜 的新一次性密码" in reset.text
    disabled = await gateway.post(f"/app/admin/users/{person['id']}/disable", data={"csrf": csrf})
    assert disabled.status_code == 303
    page = await gateway.get(disabled.headers["location"])
    assert "该人员已停用" in page.text and "重新启用" in page.text
    assert (await gateway.get(f"/admin/users/{person['id']}", headers=H)).json()["active"] is False
    trail = (await gateway.get("/admin/audit", headers=H)).json()["items"]
    me = trail[0]["actor"]
    assert me["kind"] == "user" and me["id"].startswith("user:") and [e["action"] for e in trail[:3]] == [
        "disable", "reset_password", "update"]
    bad = await gateway.post(f"/app/admin/users/{person['id']}", data={"csrf": csrf, "display_name": "",
                                                                       "role": "desk"})
    assert bad.status_code == 422 and "display_name" in bad.text
    assert (await gateway.get("/app/admin/users/999999")).status_code == 404
    assert (await gateway.get("/app/admin/users/abc")).status_code == 404


async def test_an_admin_makes_a_station_key_lists_its_scope_and_revokes_it(gateway, org):
    csrf = await sign_in(gateway, ADMIN)
    made = await gateway.post("/app/admin/keys", data={"csrf": csrf, "name": "七站扫码枪", "role": "station",
                                                       "station": "ST-JINAN-07"})
    assert made.status_code == 201
    key = re.search(r'id="key-once">([^<]+)<', made.text).group(1)
    assert (await gateway.get("/servicedesk/tickets", headers={"X-API-Key": key})).status_code == 200
    row = re.search(r'<tr data-key="(\w+)">(.*?)</tr>', made.text, re.S)
    assert "ST-JINAN-07" in row.group(2) and "维修站" in row.group(2)
    listing = await gateway.get("/app/admin/keys")
    assert key not in listing.text and "七站扫码枪" in listing.text
    revoked = await gateway.post(f"/app/admin/keys/{row.group(1)}/revoke", data={"csrf": token_in(listing.text)})
    assert revoked.status_code == 303
    assert (await gateway.get("/servicedesk/tickets", headers={"X-API-Key": key})).status_code == 401
    assert "已吊销" in (await gateway.get("/app/admin/keys")).text


async def test_without_the_service_desks_sites_no_station_is_offered_and_a_typed_one_is_refused(gateway, fakes):
    fakes["servicedesk"].answers["/sites"] = (404, {"code": "not_found", "status": 404})
    fakes["servicedesk"].answers["/sites/ST-9"] = (404, {"code": "not_found", "status": 404})
    csrf = await sign_in(gateway, ADMIN)
    form = await gateway.get("/app/admin/users/new")
    assert 'id="no-stations"' in form.text
    refused = await gateway.post("/app/admin/users", data={"csrf": csrf, "login": "x.y", "display_name": "某人",
                                                           "role": "station", "station": "ST-9"})
    assert refused.status_code == 422 and "没有这个维修站，或该站已停用" in refused.text
    assert 'value="x.y"' in refused.text


async def test_the_console_is_for_admins_only(gateway, org):
    for role in ("desk", "station", "warehouse", "billing", "manager"):
        await sign_in(gateway, {"role": role})
        for path in ("/app/admin/users", "/app/admin/keys", "/app/admin/users/new"):
            assert (await gateway.get(path)).status_code == 403, (role, path)
