"""The admin console over plain HTTP against the real services (their own databases) behind the real
gateway: the menu and who may open it, units (find, read, register, a refusal keeping what was typed)
and the CSV import's chunks."""

import re

import console_support
import pytest
from console_support import field_error, post, shows_no_wire_path, sign_in, value_of

from gateway.web import sections
from shared.context import Caller

from gateway_support import make_person

pytestmark = pytest.mark.anyio
clock, services, web = console_support.clock, console_support.services, console_support.web
PAGES = ("/app/admin", "/app/admin/units", "/app/admin/units/new", "/app/admin/units/import", "/app/admin/policy",
         "/app/admin/seasons", "/app/admin/seasons/new", "/app/admin/seasons/edit?region=shandong",
         "/app/admin/parts", "/app/admin/parts/new", "/app/admin/models", "/app/admin/warehouses",
         "/app/admin/commitments", "/app/admin/calendar", "/app/admin/rates", "/app/admin/company",
         "/app/admin/sites", "/app/admin/sites/new", "/app/admin/technicians", "/app/admin/technicians/new")
UNIT = {"serial_number": "kfr72-700001", "model_code": "KFR-72LW", "product_name": "柜式空调",
        "site_name": "济南市中心医院", "site_address": "济南市历下区解放路 105 号", "region": "shandong",
        "project_code": "JN-2024-017", "accepted_on": "2024-03-01", "certificate_number": "WC-2024-0001"}
HEADER = "serial_number,model_code,product_name,site_name,region,accepted_on"


def csv_rows(first: int, count: int, prefix: str = "IMP") -> str:
    return "\n".join(f"{prefix}-{n:06d},KFR-35GW,挂壁式空调,泉城广场,shandong,2024-05-10"
                     for n in range(first, first + count))


async def chunk(web, body: str, token: str | None = None):
    return await web.post("/app/admin/units/import/chunk", content=body.encode(),
                          headers={"Content-Type": "text/csv; charset=utf-8", "X-CSRF-Token": token or web.csrf})


@pytest.mark.parametrize("path", PAGES)
async def test_every_console_page_opens_in_chinese_with_big_enough_controls(web, path):
    page = await web.get(path)
    assert page.status_code == 200, page.text
    assert '<html lang="zh-CN">' in page.text and '<body class="console">' in page.text
    assert "/app/static/console.css" in page.text and "/app/static/console.js" in page.text
    assert all("src=" in attrs for attrs in re.findall(r"<script([^>]*)>", page.text))  # nothing inline
    assert shows_no_wire_path(page.text)


async def test_the_menu_is_for_admins_only(web):
    menu = await web.get("/app/admin")
    assert "系统管理" in menu.text and 'href="/app/admin/units/import"' in menu.text
    assert "/app/admin" in {s.home for s in sections.visible(Caller(role="admin", key_id="k"))}
    assert "/app/admin" not in {s.home for s in sections.visible(Caller(role="manager", key_id="k"))}
    await console_support.add_warehouse(web, "SC-JINAN", "济南服务中心")  # a person's warehouses exist first
    await sign_in(web, await make_person(web, "warehouse", warehouses=["SC-JINAN"]))
    for path in ("/app/admin", "/app/admin/parts", "/app/admin/rates"):
        refused = await web.get(path)
        assert refused.status_code == 403 and "您的角色无权执行此操作" in refused.text, path
    assert (await web.post("/app/admin/parts/new", data={"part_number": "X"})).status_code == 403


async def test_a_form_without_its_token_changes_nothing(web):
    sent = await web.post("/app/admin/units/new", data={**UNIT, "csrf": "wrong"})
    assert sent.status_code == 403
    assert (await web.get("/app/admin/units/KFR72-700001")).status_code == 404


async def test_an_admin_registers_a_unit_and_reads_its_terms(web):
    form = await web.get("/app/admin/units/new")
    assert '<option value="shandong"' in form.text and "山东" in form.text  # regions from the season calendars
    sent = await post(web, "/app/admin/units/new", **UNIT)
    assert sent.status_code == 303 and sent.headers["location"] == "/app/admin/units/KFR72-700001?done=created"
    page = await web.get(sent.headers["location"])
    assert "已保存" in page.text and "KFR72-700001" in page.text
    terms = re.findall(r'<li data-component="(\w+)">', page.text)
    assert terms == ["unit", "electrical_lines", "water_piping", "installation", "heating_system", "cooling_system"]
    assert "整机" in page.text and "个采暖期" in page.text and "2027年3月1日" in page.text
    found = await web.get("/app/admin/units", params={"q": "kfr72-700001"})
    assert 'data-serial="KFR72-700001"' in found.text


async def test_a_unit_without_a_product_name_takes_its_model_s(web, services):
    await post(web, "/app/admin/models", model_code="KFR-50LW", name="柜式空调 5 kW")
    sent = await post(web, "/app/admin/units/new", **{**UNIT, "serial_number": "KFR50-000001",
                                                         "model_code": "KFR-50LW", "product_name": ""})
    assert sent.status_code == 303
    assert "柜式空调 5 kW" in (await web.get("/app/admin/units/KFR50-000001")).text


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"accepted_on": "2030-01-01"}, "accepted_on", "调试验收日期不能是将来的日期"),
    ({"region": "mars"}, "region", "请从列表中选择"),
    ({"serial_number": "X1"}, "serial_number", "6 至 40 个字母"),
    ({"site_name": ""}, "site_name", "必填"),
])
async def test_a_refused_unit_comes_back_with_what_was_typed_and_the_reason_at_its_field(web, change, field, words):
    typed = {**UNIT, "serial_number": "KFR72-700099", **change}
    page = await post(web, "/app/admin/units/new", **typed)
    assert page.status_code == 422
    assert words in page.text
    assert field_error(page.text, field), page.text
    for name in ("site_address", "project_code", "certificate_number"):
        assert value_of(page.text, name) == typed[name]
    assert shows_no_wire_path(page.text) and "site.region" not in page.text


async def test_a_serial_already_registered_is_refused_at_the_serial(web):
    await post(web, "/app/admin/units/new", **{**UNIT, "serial_number": "KFR72-700002"})
    again = await post(web, "/app/admin/units/new", **{**UNIT, "serial_number": "KFR72-700002"})
    assert again.status_code == 409
    assert field_error(again.text, "serial_number") == "该序列号的机组已登记。"
    assert value_of(again.text, "site_name") == UNIT["site_name"]


async def test_english_on_request(web):
    page = await post(web, "/app/admin/units/new?lang=en", **{**UNIT, "serial_number": "KFR72-700098",
                                                                 "accepted_on": "2030-01-01"})
    assert '<html lang="en">' in page.text
    assert field_error(page.text, "accepted_on") == "The commissioning acceptance cannot lie in the future."
    assert "Commissioning accepted on" in page.text


async def test_a_chunk_of_a_csv_file_is_registered_and_its_bad_rows_explained(web):
    body = "\n".join([HEADER, csv_rows(1, 3, "CHK"), "CHK-000002,KFR-35GW,挂壁式空调,泉城广场,shandong,2024-05-10",
                      "CHK-000009,KFR-35GW,挂壁式空调,泉城广场,shandong,2030-01-01",
                      "CHK-000010,KFR-35GW,挂壁式空调,泉城广场,shandong,not-a-day"]) + "\n"
    answer = await chunk(web, body)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["created"], found["skipped"]) == (3, 0)
    reasons = {e["row"]: (e["code"], e["reason"]) for e in found["errors"]}
    assert reasons[4][0] == "duplicate_in_file" and "前面已出现" in reasons[4][1]
    assert reasons[5][0] == "accepted_in_future" and "将来" in reasons[5][1]
    assert reasons[6] == ("invalid_row", "该行有缺失或无效的值。 (列 accepted_on)")
    again = (await chunk(web, "\n".join([HEADER, csv_rows(1, 3, "CHK")]) + "\n")).json()
    assert (again["created"], again["skipped"], again["errors"]) == (0, 3, [])


async def test_a_chunk_needs_the_page_s_token_and_an_admin(web):
    assert (await chunk(web, HEADER + "\n", token="forged")).status_code == 403
    unreadable = await chunk(web, "serial,colour\nA,red\n")
    assert unreadable.status_code == 422
    assert unreadable.json()["problem"]["title"] == "无法将该文件读取为机组列表。"
    web.cookies.clear()
    assert (await chunk(web, HEADER + "\n")).status_code == 401


async def test_the_units_list_pages_with_the_cursor_and_searches_every_unit(web):
    answer = await chunk(web, HEADER + "\n" + csv_rows(1, 60, "PAGE") + "\n")
    assert answer.json()["created"] == 60
    seen, address, pages = [], "/app/admin/units", 0
    while address:
        page = await web.get(address)
        rows = re.findall(r'data-serial="([^"]+)"', page.text)
        assert len(rows) == 50 or 'rel="next"' not in page.text
        assert pages == 0 or "第一页" in page.text
        seen += rows
        found = re.search(r'rel="next" href="([^"]+)"', page.text)
        address, pages = found.group(1).replace("&amp;", "&") if found else "", pages + 1
    assert pages >= 2 and len(seen) == len(set(seen))
    assert {s for s in seen if s.startswith("PAGE-")} == {f"PAGE-{n:06d}" for n in range(1, 61)}
    # The search is the API's: it looks through every unit, not only the page shown.
    searched = await web.get("/app/admin/units", params={"q": "page-00005"})
    assert re.findall(r'data-serial="([^"]+)"', searched.text) == [f"PAGE-{n:06d}" for n in range(50, 60)]
    whole = await web.get("/app/admin/units", params={"q": "page-000060"})  # beyond the first page: still found
    assert re.findall(r'data-serial="([^"]+)"', whole.text)[0] == "PAGE-000060"


async def test_the_import_page_offers_a_file_and_its_script(web):
    page = await web.get("/app/admin/units/import")
    assert 'id="import-file"' in page.text and 'type="file"' in page.text
    assert 'data-chunk-rows="1000"' in page.text and "已发送 %(done)s / %(total)s 行" in page.text
    assert 'id="import-bad-rows"' in page.text and "下载有误的行" in page.text
