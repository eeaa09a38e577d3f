"""GET /admin/audit: every service's trail and the gateway's own, merged newest first, paged with one
cursor that remembers where each source was left; read by admin and manager, changed by nobody."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from gateway.models import AuditEntry
from shared import audit, context
from shared.clock import FixedClock

from gateway_support import ADMIN, make_key
from helpers import assert_problem
from reports_support import MANAGER, FakePlatform, as_workbook, gateway_client, headers, settings_for

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
START = datetime(2026, 11, 1, tzinfo=UTC)


def at(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def platform():
    with FakePlatform() as fakes:
        yield fakes


@pytest.fixture
def gateway_db(database_factory):
    return database_factory("gateway")


@pytest.fixture
async def gateway(gateway_db, platform):
    platform.reset()
    async for client in gateway_client(settings_for(gateway_db, platform.urls()), FixedClock(NOW)):
        yield client


async def read_all(client, limit: int, **params) -> list[dict]:
    items, cursor, pages = [], None, 0
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/admin/audit", params=query, headers=headers(MANAGER))
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        cursor, pages = body["next_cursor"], pages + 1
        assert pages < 100
        if cursor is None:
            return items


async def test_two_services_trails_come_as_one_newest_first(gateway, platform):
    warranty, inventory = platform.services["warranty"], platform.services["inventory"]
    for minute in (1, 3, 5):
        warranty.add_entry(at(minute), object_type="unit", object_id=f"U{minute}")
    for minute in (2, 4, 6):
        inventory.add_entry(at(minute), object_id=f"P{minute}")
    first = await gateway.get("/admin/audit", params={"limit": 2}, headers=headers(MANAGER))
    assert first.status_code == 200
    body = first.json()
    assert [(i["service"], i["at"]) for i in body["items"]] == [("inventory", at(6)), ("warranty", at(5))]
    assert body["next_cursor"]
    items = await read_all(gateway, 2)
    assert [i["at"] for i in items] == [at(m) for m in (6, 5, 4, 3, 2, 1)]
    assert items[1]["actor"] == {"kind": "user", "id": "user:1", "name": "王磊"}
    assert {a.caller.role for s in platform.services.values() for a in s.asked} == {"manager"}


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 50])
async def test_paging_shows_every_entry_once_in_order_whatever_the_page_size(gateway, platform, limit):
    rng = random.Random(limit)
    minutes = rng.sample(range(10_000), 40)
    for index, minute in enumerate(sorted(minutes)):
        # Each service's ids grow with time, as entries are appended; the services interleave at random.
        platform.services[rng.choice(["warranty", "inventory", "billing", "servicedesk"])].add_entry(
            at(minute), object_id=str(index))
    items = await read_all(gateway, limit)
    assert [i["at"] for i in items] == [at(m) for m in sorted(minutes, reverse=True)]
    assert len({(i["service"], i["id"]) for i in items}) == 40


async def test_the_filters_go_to_every_service_and_dates_are_whole_days_in_china(gateway, platform):
    response = await gateway.get("/admin/audit", params={
        "object_type": "part", "object_id": "P-1", "actor": "王磊", "since": "2026-11-01", "until": "2026-11-02"},
        headers=headers(MANAGER))
    assert response.status_code == 200, response.text
    for service in platform.services.values():
        (asked,) = service.asked
        assert asked.path == "/audit"
        assert asked.query == {"object_type": "part", "object_id": "P-1", "actor": "王磊",
                               "since": "2026-10-31T16:00:00Z", "until": "2026-11-02T15:59:59.999999Z",
                               "limit": "50"}


async def test_the_gateway_s_own_entries_are_in_the_trail(gateway, gateway_db, platform):
    platform.services["billing"].add_entry(at(10), object_type="invoice", object_id="INV-1", action="pay")
    admin = context.Caller(role="admin", key_id="user:1", kind="user", name="管理员甲")
    with Session(gateway_db.engine) as session, session.begin():
        audit.record(session, AuditEntry, admin, action="revoke", object_type="api_key",
                     object_id="k_1", at=START + timedelta(minutes=5))
        audit.record(session, AuditEntry, admin, action="create", object_type="user",
                     object_id="12", at=START + timedelta(minutes=20), changes={"role": [None, "manager"]})
    items = await read_all(gateway, 1)
    assert [(i["service"], i["object_id"]) for i in items] == [
        ("gateway", "12"), ("billing", "INV-1"), ("gateway", "k_1")]
    assert items[0]["changes"] == {"role": [None, "manager"]}
    assert items[0]["actor"]["name"] == "管理员甲"
    only = await gateway.get("/admin/audit", params={"object_type": "api_key"}, headers=headers(MANAGER))
    assert [i["object_id"] for i in only.json()["items"] if i["service"] == "gateway"] == ["k_1"]


async def test_admin_and_manager_read_it_and_other_roles_do_not(gateway):
    assert (await gateway.get("/admin/audit", headers=headers(ADMIN))).status_code == 200
    assert (await gateway.get("/admin/audit", headers=headers(MANAGER))).status_code == 200
    for role in ("desk", "warehouse", "billing", "station", "metrics"):
        key = (await make_key(gateway, role))["key"]
        assert_problem(await gateway.get("/admin/audit", headers=headers(key)), 403, "forbidden")


@pytest.mark.parametrize("key", [ADMIN, MANAGER])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_nobody_can_change_or_delete_the_trail(gateway, key, method):
    response = await gateway.request(method, "/admin/audit", headers=headers(key))
    assert_problem(response, 405, "method_not_allowed")


@pytest.mark.parametrize(("params", "status", "code"), [
    ({"cursor": "not-a-cursor"}, 422, "invalid_cursor"),
    ({"cursor": "eyJ3YXJyYW50eSI6LTF9"}, 422, "invalid_cursor"),  # {"warranty": -1}
    ({"since": "yesterday"}, 422, "validation_error"),
    ({"since": "2026-11-02", "until": "2026-11-01"}, 422, "validation_error"),
    ({"limit": "0"}, 422, "validation_error"),
    ({"limit": "501"}, 422, "validation_error"),
    ({"object_type": "x" * 61}, 422, "validation_error"),
    ({"format": "pdf"}, 422, "validation_error"),
])
async def test_a_query_that_is_not_valid_is_refused(gateway, platform, params, status, code):
    assert_problem(await gateway.get("/admin/audit", params=params, headers=headers(MANAGER)), status, code)
    assert not any(s.asked for s in platform.services.values())


async def test_a_service_that_cannot_give_its_trail_makes_the_trail_unavailable(gateway, platform):
    platform.services["servicedesk"].status = 503
    assert_problem(await gateway.get("/admin/audit", headers=headers(MANAGER)), 503, "upstream_unavailable")
    platform.services["servicedesk"].status = 200
    platform.services["servicedesk"].audit = None  # no GET /audit at all
    body = assert_problem(await gateway.get("/admin/audit", headers=headers(MANAGER)), 503, "upstream_unavailable")
    assert "servicedesk" in body["detail"]


async def test_the_workbook_has_one_row_per_changed_field_with_real_times(gateway, platform):
    inventory = platform.services["inventory"]
    inventory.add_entry(at(60), action="update", object_id="P-100",
                        changes={"name": ["压缩机", "压缩机 5HP"], "min_stock": [2, 5]})
    inventory.add_entry(at(30), action="create", object_type="reservation", object_id="41")
    for minute in range(120, 720):  # more than one walk page of 500
        platform.services["billing"].add_entry(at(minute), object_type="invoice", object_id=f"INV-{minute}",
                                               action="issue", changes={"total": [None, "1280.00"]})
    response = await gateway.get("/admin/audit", params={"format": "xlsx"}, headers=headers(MANAGER))
    sheet = as_workbook(response).active
    assert sheet.title == "操作日志"
    rows = list(sheet.iter_rows())
    header_index = next(i for i, row in enumerate(rows) if row[0].value == "时间")
    header = [c.value for c in rows[header_index]]
    assert header == ["时间", "系统", "对象类型", "对象编号", "操作", "操作人", "操作人类别", "字段",
                      "修改前", "修改后", "请求编号"]
    body = rows[header_index + 1:]
    assert len(body) == 600 + 2 + 1
    newest = body[0]
    assert newest[0].value == datetime(2026, 11, 1, 19, 59)  # 11:59 UTC is 19:59 in China
    assert newest[0].is_date and newest[0].number_format == "yyyy-mm-dd hh:mm:ss"
    assert [c.value for c in newest[1:5]] == ["结算", "账单", "INV-719", "开出"]
    part = [r for r in body if r[3].value == "P-100"]
    assert {(r[7].value, r[8].value, r[9].value) for r in part} == {("name", "压缩机", "压缩机 5HP"),
                                                                   ("min_stock", 2, 5)}
    assert next(r for r in part if r[7].value == "min_stock")[9].data_type == "n"
    reservation = [r for r in body if r[3].value == "41"]
    assert len(reservation) == 1 and reservation[0][2].value == "预留单" and reservation[0][7].value is None
    assert reservation[0][5].value == "王磊" and reservation[0][6].value == "用户"
