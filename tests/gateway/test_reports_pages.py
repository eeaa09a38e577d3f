"""The manager's pages over plain HTTP: each area's figures as a chart and a table, the period and grouping
picked from lists, the Excel download, and the audit trail page; against fake services on real ports."""

import json
import re
from datetime import UTC, datetime
from html import unescape

import pytest

from gateway.web import sections
from shared.clock import FixedClock
from shared.context import Caller

import gateway_support
from gateway_support import ADMIN, make_key
from reports_support import FakePlatform, as_workbook, gateway_client, settings_for

pytestmark = pytest.mark.anyio
# 2026-11-27 10:00 China Standard Time.
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
STATIONS = [
    {"key": "ST-JINAN-07", "name": "济南七站", "reports": 42,
     "on_time_rate": {"dispatch": 0.95, "on_site": 0.9, "fixed": 0.8125}, "mean_minutes_to_dispatch": 7.5},
    {"key": "ST-JINAN-08", "name": "济南八站", "reports": 7,
     "on_time_rate": {"dispatch": 1.0, "on_site": 0.5, "fixed": None}, "mean_minutes_to_dispatch": 12},
]


@pytest.fixture(scope="module")
def platform():
    with FakePlatform() as fakes:
        yield fakes


@pytest.fixture
async def web(database_factory, platform):
    platform.reset()
    async for client in gateway_client(settings_for(database_factory("gateway"), platform.urls()), FixedClock(NOW)):
        await sign_in(client, ADMIN)
        yield client


def token_in(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def sign_in(client, who) -> str:
    """As a person: the bootstrap key's admin, or a person of a key's role and scope (gateway_support)."""
    return await gateway_support.sign_in(client, who)


def chart_of(html: str) -> dict:
    found = re.search(r"id=\"figures-chart\"[^>]*data-chart='([^']*)'", html)
    assert found, "no chart data on the page"
    return json.loads(unescape(found.group(1)))


def no_inline_script(html: str) -> bool:
    return all("src=" in attrs for attrs in re.findall(r"<script([^>]*)>", html))


async def test_the_month_s_service_figures_by_station_as_a_chart_and_a_table(web, platform):
    platform.services["servicedesk"].rows = STATIONS
    page = await web.get("/app/manager")
    assert page.status_code == 200, page.text
    (asked,) = platform.services["servicedesk"].asked
    assert asked.query == {"from": "2026-11-01", "to": "2026-11-27", "group_by": "station"}
    assert asked.caller.role == "admin"
    html = page.text
    assert "服务台" in html and "准时率 · 派工" in html and "济南七站" in html
    assert "95.0%" in html and "81.2%" in html  # rates as percentages; a pending one is left out, not zero
    chart = chart_of(html)
    assert chart["kind"] == "percent" and chart["categories"] == ["济南七站", "济南八站"]
    assert [s["name"] for s in chart["series"]] == ["准时率 · 派工", "准时率 · 到场", "准时率 · 修复"]
    assert chart["series"][2]["data"] == [0.8125, None]
    assert '/app/static/vendor/echarts/echarts-6.1.0.common.min.js' in html
    assert no_inline_script(html)
    assert 'href="/app/manager/service/download?from=2026-11-01&amp;to=2026-11-27&amp;group_by=station"' in html
    assert '<option value="2026-11" selected' in html


async def test_a_month_from_the_list_is_its_first_to_its_last_day(web, platform):
    assert (await web.get("/app/manager/billing", params={"month": "2026-02"})).status_code == 200
    assert platform.services["billing"].asked[0].query == {"from": "2026-02-01", "to": "2026-02-28",
                                                           "group_by": "month"}


async def test_dates_typed_and_a_grouping_from_the_list(web, platform):
    page = await web.get("/app/manager/warranty", params={"from": "2026-01-01", "to": "2026-03-31",
                                                         "group_by": "model"})
    assert page.status_code == 200
    assert platform.services["warranty"].asked[0].query == {"from": "2026-01-01", "to": "2026-03-31",
                                                            "group_by": "model"}
    assert '<option value="model" selected' in page.text and 'value="2026-01-01"' in page.text


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-11-30", "to": "2026-11-01"}, "截止日期"),
    ({"from": "2026-13-01", "to": "2026-11-01"}, "起始日期"),
    ({"group_by": "weather"}, "分组"),
])
async def test_a_period_that_is_not_valid_comes_back_with_what_was_typed(web, platform, params, field):
    page = await web.get("/app/manager/parts", params=params)
    assert page.status_code == 422
    assert 'data-problem="bad_input"' in page.text and field in page.text
    for value in params.values():
        if value != "weather":
            assert f'value="{value}"' in page.text
    assert not platform.services["inventory"].asked


async def test_a_service_that_is_down_is_explained_not_shown_as_empty(web, platform):
    platform.services["inventory"].status = 503
    page = await web.get("/app/manager/parts")
    assert page.status_code == 503
    assert 'data-problem="upstream_unavailable"' in page.text and "data-chart=" not in page.text


async def test_the_download_is_the_workbook_of_what_the_page_shows(web, platform):
    platform.services["servicedesk"].rows = STATIONS
    response = await web.get("/app/manager/service/download", params={"from": "2026-11-01", "to": "2026-11-27",
                                                                      "group_by": "station"})
    sheet = as_workbook(response)["服务台"]
    rows = list(sheet.iter_rows(min_row=8, values_only=True))
    assert [r[1] for r in rows] == ["济南七站", "济南八站"]
    assert isinstance(rows[0][2], int)


async def test_every_area_has_its_page_and_an_unknown_one_is_404(web, platform):
    for report, service in (("warranty", "warranty"), ("parts", "inventory"), ("billing", "billing")):
        platform.services[service].rows = [{"key": "K", "name": "一", "claims": 3, "net": "10.00"}]
        page = await web.get(f"/app/manager/{report}")
        assert page.status_code == 200 and "data-chart=" in page.text
    assert (await web.get("/app/manager/payroll")).status_code == 404


async def test_english_on_request(web, platform):
    platform.services["servicedesk"].rows = STATIONS
    page = await web.get("/app/manager", params={"lang": "en"})
    assert "On-time rate · Dispatch" in page.text and "November 2026" in page.text


async def test_other_roles_have_no_manager_pages(web):
    await sign_in(web, await make_key(web, "desk"))
    for path in ("/app/manager", "/app/manager/service/download", "/app/admin/audit", "/app/admin/audit/download"):
        assert (await web.get(path)).status_code == 403


def test_a_manager_s_home_is_the_figures():
    manager = Caller(role="manager", key_id="user:7", kind="user", name="赵经理")
    assert [s.name for s in sections.visible(manager)] == ["manager"]
    assert sections.home_for(manager) == "/app/manager"


async def test_the_audit_page_shows_names_and_each_field_before_and_after(web, platform):
    inventory = platform.services["inventory"]
    inventory.add_entry("2026-11-20T01:00:00Z", object_type="part", object_id="P-100",
                        changes={"name": ["压缩机", "压缩机 5HP"]})
    platform.services["billing"].add_entry(
        "2026-11-21T01:00:00Z", object_type="invoice", object_id="INV-9", action="void",
        actor={"kind": "key", "id": "k_9", "name": "结算台"})
    page = await web.get("/app/admin/audit")
    assert page.status_code == 200, page.text
    html = page.text
    assert html.index("INV-9") < html.index("P-100")  # newest first
    assert "已作废 · 账单 INV-9" in html and "结算台" in html and "k_9" not in html
    assert "压缩机 5HP" in html and "修改前" in html and "王磊" in html and "user:1" not in html
    assert "2026年11月20日 09:00" in html
    assert no_inline_script(html)


async def test_the_audit_page_filters_pages_and_downloads(web, platform):
    warranty = platform.services["warranty"]
    for day in range(1, 36):
        warranty.add_entry(f"2026-10-{min(day, 31):02d}T01:{day:02d}:00Z", object_type="unit",
                           object_id=f"U{day}")
    page = await web.get("/app/admin/audit", params={"object_type": "unit", "actor": "王磊",
                                                    "since": "2026-10-01", "until": "2026-10-31"})
    assert page.status_code == 200
    assert warranty.asked[-1].query["since"] == "2026-09-30T16:00:00Z"
    assert warranty.asked[-1].query["object_type"] == "unit" and warranty.asked[-1].query["actor"] == "王磊"
    assert page.text.count('class="audit-entry"') == 30
    older = re.search(r'id="audit-older" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    second = await web.get("/app/admin/audit" + older)
    assert second.text.count('class="audit-entry"') == 5 and 'id="audit-older"' not in second.text
    assert "回到最新" in second.text
    download = re.search(r'id="audit-download" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    sheet = as_workbook(await web.get(download)).active
    assert sum(1 for row in sheet.iter_rows(values_only=True) if row[3] and str(row[3]).startswith("U")) == 35


async def test_an_audit_query_that_is_not_valid_comes_back_with_what_was_typed(web, platform):
    page = await web.get("/app/admin/audit", params={"since": "2026-11-30", "until": "2026-11-01",
                                                    "object_id": "P-100"})
    assert page.status_code == 422
    assert 'data-problem="bad_input"' in page.text and 'value="P-100"' in page.text
    assert not any(s.asked for s in platform.services.values())
