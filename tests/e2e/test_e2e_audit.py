"""The platform's audit trail end to end, against the real processes: an admin person changes a
person's role in the console, and the change is in `GET /admin/audit` (merged from the gateway's own
trail and every service's) exactly once, with the role before and after and the admin's name."""

import re
import uuid

import httpx
import pytest
from web_support import person

pytestmark = pytest.mark.e2e


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def user_id(admin: httpx.Client, login: str) -> int:
    [found] = admin.get("/admin/users", params={"q": login}).json()["items"]
    return found["id"]


def whole_trail(admin: httpx.Client, **params) -> list[dict]:
    items, cursor = [], None
    for _page in range(1000):
        answer = admin.get("/admin/audit", params={**params, "limit": 7, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the trail does not end")


def test_an_admin_s_change_of_a_person_s_role_is_in_the_trail_once_with_before_after_and_the_admin(platform):
    with platform.client() as admin:
        part = f"AUD-{uuid.uuid4().hex[:6].upper()}"
        made = admin.post("/inventory/parts", json={"part_number": part, "name": "审计用配件", "uom": "件",
                                                    "list_price": "10.00", "out_of_warranty_price": "8.00"})
        assert made.status_code == 201, made.text
        boss = person(admin, "admin", name="管理员张伟")
        clerk = person(admin, "desk", name="李娜")
        boss_id, clerk_id = user_id(admin, boss.login), user_id(admin, clerk.login)
        with httpx.Client(base_url=platform.url, timeout=30.0) as web:
            signed = web.post("/app/login", data={"csrf": csrf_of(web.get("/app/login").text),
                                                  "login": boss.login, "password": boss.password})
            assert signed.status_code == 303, signed.text
            page = web.get(f"/app/admin/users/{clerk_id}")
            assert page.status_code == 200
            moved = web.post(f"/app/admin/users/{clerk_id}", data={
                "csrf": csrf_of(page.text), "display_name": "李娜", "phone": "", "role": "billing"})
            assert moved.status_code == 303, moved.text
        assert admin.get(f"/admin/users/{clerk_id}").json()["role"] == "billing"

        mine = admin.get("/admin/audit", params={"object_type": "user", "object_id": str(clerk_id)})
        assert mine.status_code == 200, mine.text
        entries = mine.json()["items"]
        assert [e["action"] for e in entries] == ["update", "change_password", "create"]
        update = entries[0]
        assert update["service"] == "gateway" and update["object_id"] == str(clerk_id)
        assert update["changes"] == {"role": ["desk", "billing"]}
        assert update["actor"] == {"kind": "user", "id": f"user:{boss_id}", "name": "管理员张伟"}
        assert update["request_id"]
        assert entries[2]["actor"]["kind"] == "key"  # made with the bootstrap key

        # Once in the whole trail, page after page, among every service's entries.
        everything = whole_trail(admin)
        assert len({(e["service"], e["id"]) for e in everything}) == len(everything)
        assert [e for e in everything if e["service"] == "gateway" and e["object_type"] == "user"
                and e["object_id"] == str(clerk_id) and e["action"] == "update"] == [update]
        assert [e["action"] for e in everything if e["service"] == "inventory" and e["object_id"] == part] == [
            "create"]
        by_boss = admin.get("/admin/audit", params={"actor": "管理员张伟"}).json()["items"]
        assert [(e["object_id"], e["action"]) for e in by_boss] == [(str(clerk_id), "update"),
                                                                    (str(boss_id), "change_password")]
