"""The organisation as data (domain.md section 7): sites and technicians, on a real database."""

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from services.servicedesk import sites
from services.servicedesk.main import create_app
from shared import migrations
from shared.settings import normalise_url

from helpers import asgi_client, assert_problem, internal_headers
from servicedesk_support import add_site, add_technician

pytestmark = pytest.mark.anyio

HOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"
NOW = "2026-03-02 09:00:00+00:00"


def databases(tmp_path):
    yield f"sqlite:///{tmp_path / 'servicedesk.sqlite3'}", None
    if os.environ.get("TEST_DATABASE_URL"):
        yield normalise_url(os.environ["TEST_DATABASE_URL"]), f"t{uuid.uuid4().hex[:8]}_servicedesk"


async def test_a_site_code_is_compared_in_any_case_and_stored_upper_case(desk):
    centre = await add_site(desk, "sc-jinan", kind="service_center")
    assert centre["code"] == "SC-JINAN" and centre["status"] == "open" and centre["webhook"] is None
    assert (await desk.get("/sites/Sc-Jinan")).json()["code"] == "SC-JINAN"
    again = await desk.post("/sites", json={"code": "SC-JINAN ", "name": "x", "kind": "service_center",
                                            "region": "shandong", "address": "a", "phone": "0531-1"})
    assert_problem(again, 409, "site_exists")
    assert_problem(await desk.get("/sites/NOPE"), 404, "site_not_found")
    station = await add_site(desk, "st-jinan-07", parent="sc-jinan", webhook={"kind": "wecom", "url": HOOK})
    assert station["parent"] == "SC-JINAN" and station["webhook"] == {"kind": "wecom", "url": HOOK}


async def test_a_repair_station_belongs_to_a_service_centre(desk):
    await add_site(desk, "CW", kind="central", parent=None)
    await add_site(desk, "SC-1", kind="service_center", parent="CW")
    body = {"code": "ST-1", "name": "一站", "kind": "repair_station", "region": "shandong", "address": "a",
            "phone": "0531-1"}
    assert assert_problem(await desk.post("/sites", json=body), 422, "validation_error")["errors"][0]["field"] \
        == "parent"
    assert_problem(await desk.post("/sites", json={**body, "parent": "CW"}), 422, "validation_error")
    assert_problem(await desk.post("/sites", json={**body, "parent": "NOWHERE"}), 422, "validation_error")
    assert (await desk.post("/sites", json={**body, "parent": "SC-1"})).status_code == 201
    assert_problem(await desk.post("/sites", json={**body, "code": "ST-2", "kind": "depot"}), 422,
                   "validation_error")


async def test_sites_are_listed_by_region_kind_and_a_search_over_code_and_name(desk):
    await add_site(desk, "SC-JINAN", kind="service_center")
    await add_site(desk, "SC-QD", kind="service_center", region="qingdao", name="青岛服务中心")
    await add_site(desk, "ST-JINAN-07")
    await add_site(desk, "ST-QD-01", parent="SC-QD", region="qingdao", name="青岛一站")

    async def codes(**params) -> list[str]:
        answer = await desk.get("/sites", params=params)
        assert answer.status_code == 200, answer.text
        return [s["code"] for s in answer.json()["items"]]

    assert await codes() == ["SC-JINAN", "SC-QD", "ST-JINAN-07", "ST-QD-01"]
    assert await codes(region="qingdao") == ["SC-QD", "ST-QD-01"]
    assert await codes(kind="repair_station") == ["ST-JINAN-07", "ST-QD-01"]
    assert await codes(q="jinan") == ["SC-JINAN", "ST-JINAN-07"]
    assert await codes(q="青岛一") == ["ST-QD-01"]
    assert await codes(q="%") == []  # a wildcard is a plain character
    first = (await desk.get("/sites", params={"limit": 3})).json()
    rest = (await desk.get("/sites", params={"limit": 3, "cursor": first["next_cursor"]})).json()
    assert [s["code"] for s in rest["items"]] == ["ST-QD-01"] and rest["next_cursor"] is None


async def test_a_site_is_changed_and_closed_never_deleted(desk):
    await add_site(desk, "SC-JINAN", kind="service_center")
    await add_site(desk, "ST-07")
    changed = await desk.patch("/sites/st-07", json={"phone": "0531-2222", "webhook": {"kind": "dingtalk",
                                                                                       "url": HOOK}})
    assert changed.status_code == 200 and changed.json()["webhook"]["kind"] == "dingtalk"
    closed = (await desk.patch("/sites/ST-07", json={"status": "closed", "webhook": None})).json()
    assert closed["status"] == "closed" and closed["webhook"] is None and closed["phone"] == "0531-2222"
    assert (await desk.get("/sites", params={"status": "closed"})).json()["items"][0]["code"] == "ST-07"
    assert (await desk.delete("/sites/ST-07")).status_code == 405
    assert_problem(await desk.patch("/sites/ST-07", json={"parent": None}), 422, "validation_error")


@pytest.mark.parametrize("url", [
    "http://qyapi.weixin.qq.com/hook", "https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://localhost/x",
    "https://169.254.169.254/latest", "https://[::1]/x", "https://printer.local/x", "https://intranet/x",
    "https://user:pw@qyapi.weixin.qq.com/x", "ftp://qyapi.weixin.qq.com/x",
])
async def test_a_webhook_is_https_to_a_public_address(desk, url):
    await add_site(desk, "SC-JINAN", kind="service_center")
    refused = await desk.post("/sites", json={"code": "ST-1", "name": "一站", "kind": "repair_station",
                                              "parent": "SC-JINAN", "region": "shandong", "address": "a",
                                              "phone": "0531-1", "webhook": {"kind": "wecom", "url": url}})
    assert assert_problem(refused, 422, "validation_error")["errors"][0]["field"] == "webhook.url"


async def test_a_private_webhook_is_allowed_where_the_setting_says_so(desk_settings, clock):
    settings = desk_settings.model_copy(update={"webhook_allow_private": True})
    async with asgi_client(create_app(settings, clock=clock, deliver=False),
                           headers=internal_headers(role="admin")) as client:
        await add_site(client, "SC-JINAN", kind="service_center")
        made = await add_site(client, "ST-1", webhook={"kind": "wecom", "url": "http://127.0.0.1:9/hook"})
        assert made["webhook"]["url"] == "http://127.0.0.1:9/hook"


async def test_technicians_belong_to_an_open_station_and_are_listed_by_station_active_and_search(desk):
    await add_site(desk, "SC-JINAN", kind="service_center")
    await add_site(desk, "ST-07")
    await add_site(desk, "ST-08")
    wang = await add_technician(desk, "王磊", "st-07", skills=["heating", "cooling", "cooling"])
    assert wang["station"] == "ST-07" and wang["skills"] == ["cooling", "heating"] and wang["active"] is True
    li = await add_technician(desk, "李强", "ST-08")
    await add_technician(desk, "张伟", "SC-JINAN")  # a centre has its own repair staff
    assert_problem(await desk.post("/technicians", json={"name": "x", "phone": "13800000000", "station": "ST-99"}),
                   422, "unknown_station")
    assert_problem(await desk.post("/technicians", json={"name": "x", "phone": "13800000000", "station": "ST-07",
                                                         "skills": ["plumbing"]}), 422, "validation_error")
    moved = (await desk.patch(f"/technicians/{li['id']}", json={"station": "ST-07", "active": False})).json()
    assert moved["station"] == "ST-07" and moved["active"] is False

    async def names(**params) -> list[str]:
        return [t["name"] for t in (await desk.get("/technicians", params=params)).json()["items"]]

    assert await names(station="st-07") == ["王磊", "李强"]
    assert await names(station="ST-07", active="true") == ["王磊"]
    assert await names(q="王") == ["王磊"]
    assert (await desk.get(f"/technicians/{wang['id']}")).json()["name"] == "王磊"
    assert_problem(await desk.get("/technicians/424242"), 404, "technician_not_found")
    await desk.patch("/sites/ST-08", json={"status": "closed"})
    assert_problem(await desk.patch(f"/technicians/{wang['id']}", json={"station": "ST-08"}), 422,
                   "unknown_station")


async def test_changes_to_sites_and_technicians_are_in_the_audit_trail(desk_settings, clock):
    from servicedesk_support import caller_headers

    app = create_app(desk_settings, clock=clock, deliver=False)
    async with asgi_client(app, headers=caller_headers("admin", kind="user", name="管理员甲")) as admin:
        await add_site(admin, "SC-JINAN", kind="service_center")
        await admin.patch("/sites/SC-JINAN", json={"phone": "0531-9999"})
        wang = await add_technician(admin, "王磊", "SC-JINAN")
        trail = (await admin.get("/audit", params={"object_type": "site"})).json()["items"]
        assert [e["action"] for e in trail] == ["update", "create"]
        assert trail[0]["changes"] == {"phone": ["0531-8888 0000", "0531-9999"]}
        assert trail[0]["actor"]["name"] == "管理员甲" and trail[0]["service"] == "servicedesk"
        [made] = (await admin.get("/audit", params={"object_type": "technician"})).json()["items"]
        assert made["object_id"] == str(wang["id"]) and made["changes"]["name"] == [None, "王磊"]
    async with asgi_client(app, headers=caller_headers("desk")) as desk:
        assert_problem(await desk.get("/audit"), 403, "forbidden")


async def test_a_database_race_on_a_unique_code_is_a_409_conflict_not_a_500(desk, monkeypatch):
    await add_site(desk, "SC-JINAN", kind="service_center")
    # Another request created the same code between the check and the insert.
    monkeypatch.setattr(sites, "exists", lambda session, code: False)
    raced = await desk.post("/sites", json={"code": "SC-JINAN", "name": "x", "kind": "service_center",
                                            "region": "shandong", "address": "a", "phone": "0531-1"})
    assert_problem(raced, 409, "conflict")


async def test_a_site_resent_with_the_same_idempotency_key_is_made_once(desk, desk_app):
    body = {"code": "SC-JINAN", "name": "济南服务中心", "kind": "service_center", "region": "shandong",
            "address": "a", "phone": "0531-1"}
    first = await desk.post("/sites", json=body, headers={"Idempotency-Key": "site-1"})
    again = await desk.post("/sites", json=body, headers={"Idempotency-Key": "site-1"})
    assert first.status_code == again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert_problem(await desk.post("/sites", json={**body, "name": "other"}, headers={"Idempotency-Key": "site-1"}),
                   422, "idempotency_key_reused")


def test_the_migration_names_earlier_timeline_entries_by_role_never_by_key_id(tmp_path):
    for url, schema in databases(tmp_path):
        migrations.upgrade("servicedesk", url, schema, revision="0001")
        engine = create_engine(url, connect_args={"options": f"-c search_path={schema}"} if schema else {})
        try:
            with engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO ticket (id, number, status, channel, arrived, reported_at, coverage_pending, pauses, "
                    "next_due_at, loaner_status, created_at, updated_at) VALUES (1, 'SR-2026-000001', 'resolved', "
                    "'phone', '{}', :now, false, '[]', :now, 'provided', :now, :now)"), {"now": NOW})
                for n, by in enumerate(("desk:key-123", "system", "station")):
                    conn.execute(text('INSERT INTO ticket_event (ticket_id, at, recorded_at, event, "by", step, data) '
                                      "VALUES (1, :now, :now, :event, :by, true, '{}')"),
                                 {"now": NOW, "event": f"e{n}", "by": by})
                conn.execute(text('INSERT INTO follow_up_attempt (ticket_id, at, reached, "by") '
                                  "VALUES (1, :now, false, 'desk:key-123')"), {"now": NOW})
            migrations.upgrade("servicedesk", url, schema)
            with engine.begin() as conn:
                rows = conn.execute(text("SELECT by_kind, by_name FROM ticket_event ORDER BY id")).all()
                assert rows == [("key", "desk"), ("system", "system"), ("key", "station")]
                assert conn.execute(text('SELECT "by" FROM follow_up_attempt')).scalar_one() == "desk"
                conn.execute(text("UPDATE ticket SET technician_id = NULL, follow_on_of = 1"))
        finally:
            if schema:
                with engine.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()
