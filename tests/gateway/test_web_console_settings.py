"""The admin console's settings against the real services: the desk's commitments and a year's working
calendar, the rate card, the company details, sites and technicians; and what the pages say when the
service behind them is not there."""

import re

import console_support
import pytest
from console_support import add_site, field_error, nobody_listens, post, read, shows_no_wire_path, value_of, web_where

pytestmark = pytest.mark.anyio
clock, services, web = console_support.clock, console_support.services, console_support.web


def commitments_form(html: str) -> dict[str, str]:
    """The commitments form as the page fills it: every minutes, clock and loaner field."""
    values = dict(re.findall(r'name="(l\d_\w+_minutes|\w+_minutes)"[^>]* value="(\d*)"', html))
    values.update(re.findall(r'<select name="(\w+_clock)"[^>]*>.*?<option value="(\w+)" selected>', html, re.S))
    values.update({name: "yes" for name in re.findall(r'name="(l\d_loaner)" value="yes" checked', html)})
    return values


# ---- commitments ---------------------------------------------------------------------------------

async def test_the_commitments_in_force_fill_the_form_and_a_new_version_is_saved(web):
    page = await web.get("/app/admin/commitments")
    assert "一级：系统停机或服务中断" in page.text and "全天候" in page.text and "工作时间" in page.text
    form = commitments_form(page.text)
    assert form["l1_dispatch_minutes"] == "10" and form["l4_fixed_minutes"] == "2400"
    assert form["l1_dispatch_clock"] == "round_the_clock" and form["l3_on_site_clock"] == "business"
    assert form["l1_loaner"] == "yes" and "l3_loaner" not in form and form["follow_up_minutes"] == "1020"
    sent = await post(web, "/app/admin/commitments", **{**form, "l3_dispatch_minutes": "20"})
    assert sent.status_code == 303
    page = await web.get(sent.headers["location"])
    assert "新的服务承诺已保存" in page.text and commitments_form(page.text)["l3_dispatch_minutes"] == "20"


async def test_refused_commitments_come_back_as_typed_with_each_reason_at_its_field(web):
    form = commitments_form((await web.get("/app/admin/commitments")).text)
    typed = {**form, "l2_dispatch_minutes": "500", "l4_on_site_minutes": "abc", "effective_on": "2026-11-01"}
    page = await post(web, "/app/admin/commitments", **typed)
    assert page.status_code == 422
    assert field_error(page.text, "l4_on_site_minutes") == "分钟数，1 或以上的整数。"
    assert 'value="abc"' in page.text and 'value="500"' in page.text
    assert value_of(page.text, "effective_on") == "2026-11-01"
    assert shows_no_wire_path(page.text) and "levels.3" not in page.text
    order = await post(web, "/app/admin/commitments", **{**form, "l2_dispatch_minutes": "500"})
    assert order.status_code == 422
    assert field_error(order.text, "l2_on_site_minutes").startswith("派工、到场、修复须依次排列")
    past = await post(web, "/app/admin/commitments", **{**form, "effective_on": "2026-11-01"})
    assert past.status_code == 422 and field_error(past.text, "effective_on") == "今天或以后的日期。"


# ---- working calendar ----------------------------------------------------------------------------

async def test_a_year_not_published_is_provisional_and_its_schedule_is_entered_as_dates(web):
    page = await web.get("/app/admin/calendar", params={"year": "2028"})
    assert page.status_code == 200 and 'id="provisional"' in page.text and "暂定" in page.text
    sent = await post(web, "/app/admin/calendar", year="2028",
                      holidays="2028-01-01\n2028年1月25日..2028-01-31, 2028/4/4\n2028-10-01~2028-10-07",
                      workdays="2028-01-22, 2028-02-05\n2028-09-30", opens="08:30", closes="17:00")
    assert sent.status_code == 303, sent.text
    page = await web.get(sent.headers["location"])
    assert "工作日历已保存" in page.text and 'id="provisional"' not in page.text and "管理员录入" in page.text
    holidays = re.search(r'id="holiday-days">(.*?)</ul>', page.text, re.S).group(1)
    assert holidays.count("<li>") == 1 + 7 + 1 + 7 and "2028年1月25日" in holidays and "2028年10月7日" in holidays
    assert "2028年1月22日 · 星期六" in page.text
    form = re.search(r'<textarea id="f-holidays"[^>]*>([^<]*)</textarea>', page.text).group(1)
    assert form.split("\n")[:3] == ["2028-01-01", "2028-01-25", "2028-01-26"]


async def test_a_published_year_says_so_and_a_provisional_flag_is_kept(web):
    page = await web.get("/app/admin/calendar", params={"year": "2026"})
    assert "已公布的安排" in page.text and "2026年2月14日" in page.text  # a Saturday worked in lieu
    sent = await post(web, "/app/admin/calendar", year="2029", holidays="2029-01-01", workdays="",
                      provisional="yes", opens="08:30", closes="17:00")
    assert sent.status_code == 303
    assert 'id="provisional"' in (await web.get(sent.headers["location"])).text


@pytest.mark.parametrize(("typed", "field", "words"), [
    ({"holidays": "2027-01-01, 2027-13-01, soon"}, "holidays", "不是 2027 年的日期：2027-13-01, soon"),
    ({"holidays": "2026-12-31"}, "holidays", "不是 2027 年的日期：2026-12-31"),
    ({"holidays": "2027-10-01", "workdays": "2027-10-01"}, "workdays", "既是节假日又是上班日：2027-10-01"),
    ({"opens": "18:00", "closes": "08:00"}, "opens", "一个时刻，例如 08:30。"),
])
async def test_a_refused_calendar_comes_back_as_typed(web, typed, field, words):
    form = {"year": "2027", "holidays": "2027-01-01", "workdays": "", "opens": "08:30", "closes": "17:00", **typed}
    page = await post(web, "/app/admin/calendar", **form)
    assert page.status_code == 422
    assert field_error(page.text, field) == words
    assert f">{form['holidays']}</textarea>" in page.text
    assert shows_no_wire_path(page.text)


# ---- rate card -----------------------------------------------------------------------------------

async def test_the_rate_card_in_force_and_new_rates(web):
    page = await web.get("/app/admin/rates")
    assert page.status_code == 200 and "每小时工时费" in page.text and "13%" in page.text
    assert value_of(page.text, "vat_percent") == "13"
    sent = await post(web, "/app/admin/rates", labor_rate_per_hour="95.00", callout_fee="60", vat_percent="9")
    assert sent.status_code == 303
    page = await web.get(sent.headers["location"])
    assert "新的费率已保存" in page.text and "¥95.00" in page.text and "9%" in page.text
    assert value_of(page.text, "vat_percent") == "9"


async def test_refused_rates_come_back_as_typed(web):
    page = await post(web, "/app/admin/rates", labor_rate_per_hour="95.123", callout_fee="60", vat_percent="130")
    assert page.status_code == 422 and field_error(page.text, "vat_percent") == "小于 100 的百分数，例如 13。"
    assert value_of(page.text, "labor_rate_per_hour") == "95.123"
    page = await post(web, "/app/admin/rates", labor_rate_per_hour="95.123", callout_fee="60", vat_percent="13")
    assert page.status_code == 422 and "最多两位小数" in field_error(page.text, "labor_rate_per_hour")
    assert shows_no_wire_path(page.text)


# ---- company details (billing's /billing/company) --------------------------------------------------

COMPANY = {"name": "山东某某空调售后服务有限公司", "address": "济南市历下区经十路 1 号",
           "taxpayer_id": "91370100MA3C000000", "bank": "中国工商银行济南分行", "account": "1602 0000 0000 0000 000",
           "phone": "0531-8888 0000"}


async def test_the_company_details_are_entered_shown_and_versioned(web):
    page = await web.get("/app/admin/company")  # billing has none yet: the form is there to enter them
    assert page.status_code == 200 and 'id="company-unset"' in page.text and "纳税人识别号" in page.text
    assert 'data-problem=' not in page.text and "平台暂不提供" not in page.text
    sent = await post(web, "/app/admin/company", **COMPANY)
    assert sent.status_code == 303, sent.text
    page = await web.get(sent.headers["location"])
    assert value_of(page.text, "taxpayer_id") == COMPANY["taxpayer_id"] and "修改已保存" in page.text
    assert 'id="company-unset"' not in page.text and 'id="company-version"' in page.text
    first = await read(web, "/billing/company")
    assert {k: first[k] for k in COMPANY} == COMPANY
    moved = await post(web, "/app/admin/company", **{**COMPANY, "address": "济南市历城区工业北路 2 号"})
    assert moved.status_code == 303
    second = await read(web, "/billing/company")
    assert second["version"] > first["version"] and second["address"] == "济南市历城区工业北路 2 号"


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"taxpayer_id": ""}, "taxpayer_id", "15 至 20 位字母或数字（统一社会信用代码为 18 位）。"),
    ({"bank": ""}, "bank", "必填，最多 200 个字符。"),
    ({"taxpayer_id": "1234"}, "taxpayer_id", "15 至 20 位字母或数字（统一社会信用代码为 18 位）。"),
    ({"account": "工行 1602"}, "account", "账号：数字，中间可用空格或短横线分隔。"),
    ({"phone": "电话"}, "phone", "电话号码：数字，可含空格或短横线。"),
])
async def test_refused_company_details_come_back_as_typed_at_their_field(web, change, field, words):
    typed = {**COMPANY, **change}
    page = await post(web, "/app/admin/company", **typed)
    assert page.status_code == 422, page.text
    assert field_error(page.text, field) == words
    assert value_of(page.text, "name") == COMPANY["name"] and value_of(page.text, field) == typed[field]
    assert shows_no_wire_path(page.text)


async def test_without_billing_the_company_page_says_the_service_is_not_there(database_factory, services, clock):
    async with web_where(database_factory, services, clock, billing=nobody_listens()) as web:
        page = await web.get("/app/admin/company")
        assert page.status_code == 503 and 'data-problem="upstream_unavailable"' in page.text
        assert "平台暂不提供" not in page.text
        sent = await post(web, "/app/admin/company", **COMPANY)
        assert sent.status_code == 503 and 'data-problem="upstream_unavailable"' in sent.text
        assert value_of(sent.text, "account") == COMPANY["account"]


# ---- sites and technicians (the service desk's /servicedesk/sites and /servicedesk/technicians) -----

SITE = {"code": "sc-jinan", "name": "济南服务中心", "kind": "service_center", "region": "shandong",
        "address": "济南市历下区经十路 1 号", "phone": "0531-8888 0001", "webhook_kind": "", "webhook_url": ""}
ROBOT = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"


async def test_sites_are_added_found_edited_closed_and_opened_again(web):
    form = await web.get("/app/admin/sites/new")
    assert 'name="kind"' in form.text and '<option value="wecom"' in form.text and "所属上级" in form.text
    sent = await post(web, "/app/admin/sites/new", **SITE)
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == "/app/admin/sites/edit?code=SC-JINAN&done=created"
    station = {**SITE, "code": "ST-JINAN-07", "name": "济南第七维修站", "kind": "repair_station", "parent": "SC-JINAN",
               "webhook_kind": "wecom", "webhook_url": ROBOT}
    form = await web.get("/app/admin/sites/new")
    assert '<option value="SC-JINAN">SC-JINAN · 济南服务中心 (服务中心)</option>' in form.text
    assert (await post(web, "/app/admin/sites/new", **station)).status_code == 303
    made = await read(web, "/servicedesk/sites/ST-JINAN-07")
    assert (made["kind"], made["parent"], made["region"]) == ("repair_station", "SC-JINAN", "shandong")
    assert made["webhook"] == {"kind": "wecom", "url": ROBOT} and made["status"] == "open"
    found = await web.get("/app/admin/sites", params={"q": "第七"})
    assert re.findall(r'data-site="([^"]+)"', found.text) == ["ST-JINAN-07"]
    by_kind = await web.get("/app/admin/sites", params={"kind": "service_center"})
    assert "SC-JINAN" in re.findall(r'data-site="([^"]+)"', by_kind.text)
    assert "ST-JINAN-07" not in re.findall(r'data-site="([^"]+)"', by_kind.text)
    page = await web.get("/app/admin/sites/edit", params={"code": "st-jinan-07"})
    assert value_of(page.text, "webhook_url") == ROBOT
    assert '<option value="SC-JINAN" selected>' in page.text and 'name="kind"' not in page.text
    edited = await post(web, "/app/admin/sites/edit", **{**station, "phone": "0531-8888 0007", "webhook_kind": "",
                                                                "webhook_url": ""})
    assert edited.status_code == 303, edited.text
    made = await read(web, "/servicedesk/sites/ST-JINAN-07")
    assert made["phone"] == "0531-8888 0007" and made["webhook"] is None  # no robot: the webhook is removed
    closed = await post(web, "/app/admin/sites/status", code="ST-JINAN-07", status="closed")
    page = await web.get(closed.headers["location"])
    assert "已关闭，历史记录保留" in page.text and 'id="reopen-site"' in page.text
    assert (await read(web, "/servicedesk/sites/ST-JINAN-07"))["status"] == "closed"
    assert 'value="ST-JINAN-07"' not in (await web.get("/app/admin/technicians/new")).text  # closed: not offered
    opened = await post(web, "/app/admin/sites/status", code="ST-JINAN-07", status="open")
    assert "已重新开放" in (await web.get(opened.headers["location"])).text
    assert (await read(web, "/servicedesk/sites/ST-JINAN-07"))["status"] == "open"


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"webhook_kind": "dingtalk", "webhook_url": "http://example.com/hook"}, "webhook_url", "机器人的 https 公网地址"),
    ({"webhook_kind": "dingtalk", "webhook_url": "https://10.0.0.7/hook"}, "webhook_url", "不能是内网或本机地址"),
    ({"webhook_kind": "wecom", "webhook_url": "https://localhost/hook"}, "webhook_url", "不能是内网或本机地址"),
    ({"webhook_kind": "", "webhook_url": ROBOT}, "webhook_kind", "请从列表中选择"),
    ({"kind": "repair_station"}, "parent", "维修站隶属于服务中心"),
    ({"kind": "repair_station", "parent": "CW-JINAN"}, "parent", "维修站隶属于服务中心"),
    ({"code": "站点 1"}, "code", "1 至 40 个字母、数字"),
    ({"phone": "电话"}, "phone", "电话号码"),
])
async def test_a_refused_site_comes_back_as_typed_with_the_reason_at_its_field(web, change, field, words):
    if "CW-JINAN" not in re.findall(r'data-site="([^"]+)"', (await web.get("/app/admin/sites")).text):
        await add_site(web, "CW-JINAN", "济南中心库", "central")
    typed = {**SITE, "code": "SC-ZIBO", "name": "淄博服务中心", **change}
    page = await post(web, "/app/admin/sites/new", **typed)
    assert page.status_code == 422, page.text
    assert words in (field_error(page.text, field) or ""), page.text
    for name in ("code", "name", "address", "phone", "webhook_url"):
        assert value_of(page.text, name) == typed[name]
    assert shows_no_wire_path(page.text) and "webhook.url" not in page.text


async def test_a_site_code_taken_is_refused_at_the_code(web):
    await post(web, "/app/admin/sites/new", **{**SITE, "code": "SC-TAIAN", "name": "泰安服务中心"})
    twice = await post(web, "/app/admin/sites/new", **{**SITE, "code": "sc-taian", "name": "另一个"})
    assert twice.status_code == 409 and field_error(twice.text, "code") == "该网点代码已存在。"
    assert value_of(twice.text, "name") == "另一个" and shows_no_wire_path(twice.text)
    unknown = await web.get("/app/admin/sites/edit", params={"code": "SC-NOWHERE"})
    assert unknown.status_code == 404 and 'data-problem="site_not_found"' in unknown.text


async def test_a_technician_s_station_comes_from_the_open_sites(web):
    await add_site(web, "SC-LINYI", "临沂服务中心", "service_center")
    await add_site(web, "ST-LINYI-01", "临沂第一维修站", parent="SC-LINYI")
    await add_site(web, "ST-LINYI-02", "临沂第二维修站", parent="SC-LINYI")
    await add_site(web, "ST-LINYI-OLD", "临沂旧站", parent="SC-LINYI", status="closed")
    await add_site(web, "CW-LINYI", "临沂中心库", "central")
    form = await web.get("/app/admin/technicians/new")
    options = [o for o in re.findall(r'<option value="([A-Z0-9-]+)"', form.text) if "LINYI" in o]
    assert options == ["ST-LINYI-01", "ST-LINYI-02", "SC-LINYI"]  # stations first; a closed one or a warehouse never
    for skill in ("cooling", "heating", "electrical", "controls", "water_system"):
        assert f'type="checkbox" name="skills" value="{skill}"' in form.text
    sent = await post(web, "/app/admin/technicians/new", name="王磊", phone="138 0000 0001", station="ST-LINYI-01",
                      skills=["cooling", "electrical"])
    assert sent.status_code == 303, sent.text
    tech_id = sent.headers["location"].split("id=")[1].split("&")[0]
    tech = await read(web, f"/servicedesk/technicians/{tech_id}")
    assert (tech["station"], tech["skills"], tech["active"]) == ("ST-LINYI-01", ["cooling", "electrical"], True)
    listed = await web.get("/app/admin/technicians", params={"q": "王磊"})
    assert 'data-technician="王磊"' in listed.text and "临沂第一维修站" in listed.text and "制冷 · 电气" in listed.text
    assert not re.search(rf"(?<!\d){tech_id}(?!\d)", re.sub(r"<[^>]+>", " ", listed.text))  # no internal id shown
    moved = await post(web, "/app/admin/technicians/edit", id=tech_id, name="王磊", phone="138 0000 0001",
                       station="ST-LINYI-02", skills=["heating"])
    assert moved.status_code == 303, moved.text
    tech = await read(web, f"/servicedesk/technicians/{tech_id}")
    assert (tech["station"], tech["skills"]) == ("ST-LINYI-02", ["heating"])
    gone = await post(web, "/app/admin/technicians/status", id=tech_id, active="false")
    assert gone.status_code == 303 and (await read(web, f"/servicedesk/technicians/{tech_id}"))["active"] is False
    inactive = await web.get("/app/admin/technicians", params={"active": "false", "station": "ST-LINYI-02"})
    assert re.findall(r'data-technician="([^"]+)"', inactive.text) == ["王磊"] and "已离岗" in inactive.text
    assert re.findall(r'data-technician="([^"]+)"', (await web.get(
        "/app/admin/technicians", params={"active": "true", "station": "ST-LINYI-02"})).text) == []


async def test_a_technician_at_a_station_that_is_not_open_is_refused_at_the_station(web):
    await add_site(web, "SC-WEIFANG", "潍坊服务中心", "service_center")
    await add_site(web, "ST-WEIFANG-OLD", "潍坊旧站", parent="SC-WEIFANG", status="closed")
    for station in ("ST-GONE", "ST-WEIFANG-OLD"):
        page = await post(web, "/app/admin/technicians/new", name="李强", phone="138 0000 0002", station=station,
                          skills="heating")
        assert page.status_code == 422 and field_error(page.text, "station") == "没有该代码的在运营网点。"
        assert value_of(page.text, "name") == "李强" and 'value="heating" checked' in page.text
    bad_phone = await post(web, "/app/admin/technicians/new", name="李强", phone="电话", station="SC-WEIFANG")
    assert bad_phone.status_code == 422 and field_error(bad_phone.text, "phone")


async def test_without_the_service_desk_the_pages_say_the_service_is_not_there(database_factory, services, clock):
    async with web_where(database_factory, services, clock, servicedesk=nobody_listens()) as web:
        for path in ("/app/admin/sites", "/app/admin/technicians", "/app/admin/sites/new",
                     "/app/admin/technicians/new"):
            page = await web.get(path)
            assert page.status_code == 503 and 'data-problem="upstream_unavailable"' in page.text, path
            assert "平台暂不提供" not in page.text
        sent = await post(web, "/app/admin/technicians/new", name="李强", phone="138 0000 0002", station="ST-07")
        assert sent.status_code == 503 and value_of(sent.text, "name") == "李强"


@pytest.mark.parametrize(("text", "days", "bad"), [
    ("2027-10-01..2027-10-03", ["2027-10-01", "2027-10-02", "2027-10-03"], []),
    ("2027年2月5日 至 2027年2月7日、2027/4/5；", ["2027-02-05", "2027-02-06", "2027-02-07", "2027-04-05"], []),
    ("2027-02-30, 2026-12-31, 明天", [], ["2027-02-30", "明天", "2026-12-31"]),
    ("", [], []),
])
def test_dates_are_read_as_people_paste_them(text, days, bad):
    from gateway.web.console_desk import parse_days

    found, refused = parse_days(text, 2027)
    assert [d.isoformat() for d in found] == days and refused == bad
