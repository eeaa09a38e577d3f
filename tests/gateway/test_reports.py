"""GET /reports/* at the gateway: the query checked once here, passed to the service that keeps the records
with the caller's identity, its answer given back as it is, or as an Excel workbook with typed cells."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from gateway import figures, rules
from shared import errors
from shared.clock import FixedClock

from gateway_support import ADMIN, make_key
from helpers import assert_problem
from reports_support import MANAGER, FakePlatform, as_workbook, gateway_client, headers, settings_for

pytestmark = pytest.mark.anyio
# 2026-11-27 10:00 China Standard Time.
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
GROUPS = [(name, group) for name, report in figures.REPORTS.items() for group in report.group_by]
SERVICE_OF = {"service": "servicedesk", "warranty": "warranty", "parts": "inventory", "billing": "billing"}
STATION_ROWS = [
    {"key": "ST-JINAN-07", "name": "济南七站", "reports": 42, "by_level": {"1": 3, "2": 39},
     "on_time_rate": {"dispatch": 0.95, "on_site": 0.9, "fixed": 0.8125}, "mean_minutes_to_dispatch": 7.5},
    {"key": "ST-JINAN-08", "name": "济南八站", "reports": 7, "by_level": {"1": 0, "2": 7},
     "on_time_rate": {"dispatch": 1.0, "on_site": 0.5, "fixed": None}, "mean_minutes_to_dispatch": 12},
]
BILLING_ROWS = [
    {"key": "2026-10", "name": "2026-10", "issued": 12, "paid": 10, "voided": 1,
     "net": "10000.00", "vat": "1300.00", "total": "11300.00"},
    {"key": "2026-11", "name": "2026-11", "issued": 3, "paid": 0, "voided": 0,
     "net": "1280.50", "vat": "166.47", "total": "1446.97"},
]


@pytest.fixture(scope="module")
def platform():
    with FakePlatform() as fakes:
        yield fakes


@pytest.fixture
async def gateway(database_factory, platform):
    platform.reset()
    settings = settings_for(database_factory("gateway"), platform.urls())
    async for client in gateway_client(settings, FixedClock(NOW)):
        yield client


@pytest.mark.parametrize(("report", "group_by"), GROUPS)
async def test_every_grouping_goes_to_the_service_that_keeps_the_records(gateway, platform, report, group_by):
    service = platform.services[SERVICE_OF[report]]
    service.rows = [{"key": "K1", "name": "一", "count": 1}]
    response = await gateway.get(f"/reports/{report}", params={"from": "2026-11-01", "to": "2026-11-30",
                                                               "group_by": group_by}, headers=headers(MANAGER))
    assert response.status_code == 200, response.text
    assert response.json() == {"from": "2026-11-01", "to": "2026-11-30", "group_by": group_by,
                               "rows": [{"key": "K1", "name": "一", "count": 1}]}
    (asked,) = service.asked
    assert asked.path == f"/reports/{report}"
    assert asked.query == {"from": "2026-11-01", "to": "2026-11-30", "group_by": group_by}
    assert (asked.caller.role, asked.caller.key_id, asked.caller.name) == ("manager", "user:7", "赵经理")
    assert all(not other.asked for name, other in platform.services.items() if name != SERVICE_OF[report])


async def test_without_a_period_the_figures_are_this_month_so_far_in_china(gateway, platform):
    response = await gateway.get("/reports/warranty", headers=headers(MANAGER))
    assert response.status_code == 200
    assert platform.services["warranty"].asked[0].query == {"from": "2026-11-01", "to": "2026-11-27",
                                                            "group_by": "cause"}


@pytest.mark.parametrize(("query", "field"), [
    ({"from": "2026-11-31"}, "from"),
    ({"from": "27/11/2026"}, "from"),
    ({"to": "2026-1-5"}, "to"),
    ({"to": "yesterday"}, "to"),
    ({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
    ({"from": "2023-01-01", "to": "2026-01-01"}, "to"),
    ({"group_by": "station"}, "group_by"),  # billing is by month only
    ({"group_by": "MONTH"}, "group_by"),
    ({"format": "csv"}, "format"),
])
async def test_a_query_that_is_not_valid_is_refused_before_any_service_is_asked(gateway, platform, query, field):
    response = await gateway.get("/reports/billing", params=query, headers=headers(MANAGER))
    body = assert_problem(response, 422, "validation_error")
    assert field in [e["field"] for e in body["errors"]]
    assert not platform.services["billing"].asked


async def test_three_whole_years_are_the_longest_period(gateway, platform):
    response = await gateway.get("/reports/billing", params={"from": "2023-01-01", "to": "2025-12-31"},
                                 headers=headers(MANAGER))
    assert response.status_code == 200
    assert figures.latest_end(date(2024, 2, 29)) == date(2027, 2, 28)
    assert figures.latest_end(date(9998, 1, 1)) == date.max


@pytest.mark.parametrize(("role", "readable"), [
    ("desk", {"service"}), ("warehouse", {"parts"}), ("billing", {"billing"}), ("station", set()),
])
async def test_each_area_reads_its_own_figures_and_no_others(gateway, role, readable):
    key = (await make_key(gateway, role))["key"]
    for report in figures.REPORTS:
        response = await gateway.get(f"/reports/{report}", headers=headers(key))
        if report in readable:
            assert response.status_code == 200, (role, report, response.text)
        else:
            assert_problem(response, 403, "forbidden")


def test_the_rules_let_managers_read_every_report_and_the_trail_and_nobody_else_the_warranty_figures():
    for report in figures.REPORTS:
        assert rules.allowed("manager", "GET", f"/reports/{report}")
        assert rules.allowed("admin", "GET", f"/reports/{report}")
    assert rules.allowed("manager", "GET", "/admin/audit")
    assert not rules.allowed("manager", "GET", "/admin/api-keys")
    assert not any(rules.allowed(role, "GET", "/reports/warranty")
                   for role in ("desk", "warehouse", "billing", "station", "metrics"))


async def test_without_a_key_there_are_no_figures(gateway):
    assert_problem(await gateway.get("/reports/service"), 401, "unauthorized")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_figures_cannot_be_changed(gateway, method):
    response = await gateway.request(method, "/reports/service", headers=headers(MANAGER))
    assert_problem(response, 405, "method_not_allowed")


async def test_a_refusal_or_an_outage_of_the_service_is_passed_on_as_it_said(gateway, platform):
    platform.services["inventory"].status = 503
    response = await gateway.get("/reports/parts", headers=headers(MANAGER))
    assert_problem(response, 503, "upstream_unavailable")
    platform.services["inventory"].status = 404  # a service without its report route yet
    assert_problem(await gateway.get("/reports/parts", headers=headers(MANAGER)), 404, "nope")


async def test_a_service_that_is_not_there_is_503_upstream_unavailable(database_factory, platform):
    urls = {**platform.urls(), "billing": "http://127.0.0.1:9"}
    async for client in gateway_client(settings_for(database_factory("gateway"), urls), FixedClock(NOW)):
        response = await client.get("/reports/billing", headers=headers(ADMIN))
        assert_problem(response, 503, "upstream_unavailable")
        assert response.headers["retry-after"]


async def test_the_workbook_has_chinese_headers_and_typed_cells(gateway, platform):
    platform.services["servicedesk"].rows = STATION_ROWS
    response = await gateway.get("/reports/service", params={"from": "2026-11-01", "to": "2026-11-30",
                                                             "group_by": "station", "format": "xlsx"},
                                 headers=headers(MANAGER))
    book = as_workbook(response)
    assert "figures-service-station-2026-11-01-2026-11-30.xlsx" in response.headers["content-disposition"]
    sheet = book["服务台"]
    notes = {row[0].value: row[1] for row in sheet.iter_rows(min_row=1, max_row=5)}
    assert notes["起始日期"].value == datetime(2026, 11, 1) and notes["起始日期"].is_date
    assert notes["截止日期"].value == datetime(2026, 11, 30)
    header_row = 7
    header = [c.value for c in sheet[header_row]]
    assert header[:2] == ["维修站（代码）", "维修站"]
    assert "报修数" in header and "准时率 · 派工" in header and "平均派工用时（工作分钟）" in header
    assert "报修数 · 一级" in header and "报修数 · 二级" in header
    rows = list(sheet.iter_rows(min_row=header_row + 1))
    assert len(rows) == 2
    first = {h: c for h, c in zip(header, rows[0], strict=True)}
    assert first["维修站（代码）"].value == "ST-JINAN-07" and first["维修站"].value == "济南七站"
    assert first["报修数"].value == 42 and first["报修数"].data_type == "n"
    assert first["准时率 · 派工"].value == pytest.approx(0.95)
    assert first["准时率 · 派工"].number_format == "0.0%"
    assert first["准时率 · 修复"].value == pytest.approx(0.8125)
    second = {h: c for h, c in zip(header, rows[1], strict=True)}
    assert second["准时率 · 修复"].value is None  # still pending: left out, not a zero
    assert second["平均派工用时（工作分钟）"].value == 12
    glossary = book["术语 Glossary"]
    terms = {row[2].value: (row[0].value, row[1].value) for row in glossary.iter_rows(min_row=2)}
    assert terms["on_time_rate.dispatch"] == ("准时率 · 派工", "On-time rate · Dispatch")


async def test_money_is_a_number_with_two_places_and_months_are_dates(gateway, platform):
    platform.services["billing"].rows = BILLING_ROWS
    response = await gateway.get("/reports/billing", params={"from": "2026-10-01", "to": "2026-11-30",
                                                             "format": "xlsx"}, headers=headers(MANAGER))
    sheet = as_workbook(response)["结算"]
    header = [c.value for c in sheet[7]]
    assert header == ["月份（代码）", "月份", "开出账单数", "已付账单数", "作废账单数", "不含税金额", "增值税", "合计"]
    rows = list(sheet.iter_rows(min_row=8, values_only=False))
    assert [r[0].value for r in rows] == [datetime(2026, 10, 1), datetime(2026, 11, 1)]
    assert rows[0][0].number_format == "yyyy-mm"
    net = rows[1][5]
    assert net.data_type == "n" and Decimal(str(net.value)) == Decimal("1280.50") and net.number_format == "#,##0.00"
    assert rows[1][7].value == pytest.approx(1446.97)
    assert rows[0][2].value == 12 and rows[0][2].data_type == "n"


async def test_an_unreadable_report_is_the_service_s_fault_not_ours(gateway, platform):
    platform.services["warranty"].raw_body = b"<html>oops</html>"
    response = await gateway.get("/reports/warranty", params={"format": "xlsx"}, headers=headers(MANAGER))
    assert_problem(response, 503, "upstream_unavailable")


def test_the_query_contract_is_the_one_the_pages_use():
    query = figures.parse("service", {"from": "2026-11-01", "to": "2026-11-30", "group_by": "technician"},
                          date(2026, 11, 27))
    assert query.upstream_params() == {"from": "2026-11-01", "to": "2026-11-30", "group_by": "technician"}
    with pytest.raises(errors.NotFound):
        figures.parse("payroll", {}, date(2026, 11, 27))
