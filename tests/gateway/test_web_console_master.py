"""The admin console's master data against the real services: the warranty policy (a term under the law's
floor refused at its field), season calendars, parts (prices, retiring one under the supply guarantee),
models and their bills of parts, warehouses."""

import re
from html import unescape

import console_support
import pytest
from console_support import field_error, post, shows_no_wire_path, value_of

pytestmark = pytest.mark.anyio
clock, services, web = console_support.clock, console_support.services, console_support.web
TERMS = {"length_unit": "36", "length_electrical_lines": "36", "length_water_piping": "36",
         "length_installation": "36", "length_heating_system": "3", "length_cooling_system": "3",
         "kind_unit": "months", "kind_electrical_lines": "months", "kind_water_piping": "months",
         "kind_installation": "months", "kind_heating_system": "heating_seasons",
         "kind_cooling_system": "cooling_seasons"}
PART = {"part_number": "cmp-72", "name": "压缩机 7.2 kW", "uom": "台", "list_price": "1280.00",
        "out_of_warranty_price": "1090.00", "min_stock": "30"}


def hidden_kinds(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(kind_\w+)" value="(\w+)">', html))


async def make_part(web, number: str, **changes) -> None:
    sent = await post(web, "/app/admin/parts/new", **{**PART, "part_number": number, **changes})
    assert sent.status_code == 303, sent.text


# ---- policy --------------------------------------------------------------------------------------

async def test_the_policy_in_force_and_its_terms_fill_the_new_version_form(web):
    page = await web.get("/app/admin/policy")
    assert page.status_code == 200
    assert "第 1 版" in page.text and "电气管线" in page.text and "个采暖期" in page.text
    assert value_of(page.text, "length_electrical_lines") == "36"
    assert value_of(page.text, "effective_from") == "2026-11-27"  # today in China
    assert hidden_kinds(page.text)["kind_heating_system"] == "heating_seasons"


async def test_a_term_below_the_legal_floor_is_refused_at_its_field_with_the_floor(web):
    typed = {**TERMS, "length_electrical_lines": "12", "length_cooling_system": "1", "effective_from": "2027-01-01"}
    page = await post(web, "/app/admin/policy", **typed)
    assert page.status_code == 422
    assert 'data-problem="below_legal_minimum"' in page.text and "有保修期短于法律规定的最低期限" in page.text
    assert field_error(page.text, "length_electrical_lines") == "低于法定最低期限：至少 24 个月（2 年，法定最低）。"
    assert field_error(page.text, "length_cooling_system") == "低于法定最低期限：至少 2 个供冷期（法定最低）。"
    assert field_error(page.text, "length_unit") is None
    assert value_of(page.text, "length_electrical_lines") == "12"
    assert value_of(page.text, "effective_from") == "2027-01-01"
    assert shows_no_wire_path(page.text) and "terms.electrical_lines" not in page.text
    english = await post(web, "/app/admin/policy?lang=en", **typed)
    assert field_error(english.text, "length_electrical_lines") == (
        "Below the legal minimum: at least 24 months (2 years, the legal minimum).")


async def test_a_new_version_from_a_later_day_and_one_in_the_past_refused(web):
    past = await post(web, "/app/admin/policy", **{**TERMS, "effective_from": "2026-01-01"})
    assert past.status_code == 422 and field_error(past.text, "effective_from") == "新版本不能在过去的日期生效。"
    empty = await post(web, "/app/admin/policy", **{**TERMS, "length_unit": ""})
    assert empty.status_code == 422 and field_error(empty.text, "length_unit") == "按所示单位填写整数。"
    sent = await post(web, "/app/admin/policy", **{**TERMS, "length_unit": "48", "effective_from": "2027-01-01"})
    assert sent.status_code == 303
    page = await web.get(sent.headers["location"])
    # The first version and the new one (its number is the database's next id: on PostgreSQL, where the tests'
    # sequences keep counting across tests, not always 2).
    versions = {int(n) for n in re.findall(r"第 (\d+) 版", page.text)}
    assert "新的保修政策版本已保存" in page.text and 1 in versions and len(versions) == 2
    assert "2027年1月1日 起" in page.text


# ---- season calendars ----------------------------------------------------------------------------

def season(prefix: str, start: str, end: str) -> dict:
    (sm, sd), (em, ed) = start.split("-"), end.split("-")
    return {f"{prefix}_start_month": str(int(sm)), f"{prefix}_start_day": str(int(sd)),
            f"{prefix}_end_month": str(int(em)), f"{prefix}_end_day": str(int(ed))}


async def test_each_region_s_seasons_are_listed_and_one_is_changed(web):
    page = await web.get("/app/admin/seasons")
    assert re.findall(r'data-region="(\w+)"', page.text) == ["beijing", "harbin", "shandong"]
    assert "采暖期 11-15 → 03-15" in page.text and "山东 (shandong)" in page.text
    form = await web.get("/app/admin/seasons/edit?region=harbin")
    assert '<option value="10" selected>10月</option>' in form.text
    sent = await post(web, "/app/admin/seasons", region="harbin", **season("heating", "10-15", "04-25"),
                      **season("cooling", "07-01", "08-31"))
    assert sent.status_code == 303
    assert "采暖期 10-15 → 04-25" in (await web.get("/app/admin/seasons")).text


async def test_a_region_is_added_and_offered_for_units_and_warehouses(web):
    sent = await post(web, "/app/admin/seasons", adding="yes", region="Qingdao", **season("heating", "11-15", "03-31"),
                      **season("cooling", "06-15", "09-15"))
    assert sent.status_code == 303
    assert 'data-region="qingdao"' in (await web.get("/app/admin/seasons")).text
    assert '<option value="qingdao"' in (await web.get("/app/admin/units/new")).text
    assert '<option value="qingdao"' in (await web.get("/app/admin/warehouses")).text
    again = await post(web, "/app/admin/seasons", adding="yes", region="qingdao", **season("heating", "11-15", "03-31"),
                       **season("cooling", "06-15", "09-15"))
    assert again.status_code == 422 and "该地区已有季节日历" in field_error(again.text, "region")


async def test_a_day_not_in_every_year_is_refused_at_its_season_keeping_the_rest(web):
    typed = {"adding": "yes", "region": "yantai", **season("heating", "02-29", "03-15"),
             **season("cooling", "06-01", "09-30")}
    page = await post(web, "/app/admin/seasons", **typed)
    assert page.status_code == 422 and 'data-problem="invalid_season"' in page.text
    assert field_error(page.text, "heating_start_month") == "季节起止日不是每年都有的日期。"
    assert value_of(page.text, "region") == "yantai"
    assert '<option value="9" selected>9月</option>' in page.text
    assert '<option value="30" selected>30</option>' in page.text
    missing = await post(web, "/app/admin/seasons", **{**typed, "cooling_end_day": ""})
    assert field_error(missing.text, "cooling_end_month") == "每年都有的月和日。"


# ---- parts ---------------------------------------------------------------------------------------

async def test_a_part_is_registered_found_by_code_or_name_and_its_prices_changed(web):
    await make_part(web, "FLT-100", name="空气过滤网", uom="片", list_price="45.00", out_of_warranty_price="38.00")
    by_name = await web.get("/app/admin/parts", params={"q": "过滤"})
    assert re.findall(r'data-part="([^"]+)"', by_name.text) == ["FLT-100"]
    by_code = await web.get("/app/admin/parts", params={"q": "flt-100"})
    assert re.findall(r'data-part="([^"]+)"', by_code.text) == ["FLT-100"]
    page = await web.get("/app/admin/parts/edit", params={"part_number": "FLT-100"})
    assert "空气过滤网" in page.text and value_of(page.text, "list_price") == "45.00"
    sent = await post(web, "/app/admin/parts/edit", part_number="FLT-100", name="空气过滤网", uom="片",
                      list_price="48.00", out_of_warranty_price="40.00", min_stock="12")
    assert sent.status_code == 303
    page = await web.get(sent.headers["location"])
    assert "修改已保存" in page.text and value_of(page.text, "out_of_warranty_price") == "40.00"


async def test_a_refused_part_keeps_what_was_typed(web):
    above = await post(web, "/app/admin/parts/new", **{**PART, "part_number": "VLV-01",
                                                        "out_of_warranty_price": "2000"})
    assert above.status_code == 422 and field_error(above.text, "out_of_warranty_price") == "保外价不得高于标准价。"
    assert value_of(above.text, "name") == PART["name"] and value_of(above.text, "part_number") == "VLV-01"
    bad = await post(web, "/app/admin/parts/new", **{**PART, "part_number": "VLV-01", "list_price": "12.345",
                                                      "out_of_warranty_price": "10"})
    assert bad.status_code == 422 and "最多两位小数" in field_error(bad.text, "list_price")
    assert shows_no_wire_path(bad.text)
    await make_part(web, "VLV-02")
    twice = await post(web, "/app/admin/parts/new", **{**PART, "part_number": "vlv-02"})
    assert twice.status_code == 409 and field_error(twice.text, "part_number") == "该配件编号已存在。"


# ---- models, their bills of parts, and the supply guarantee --------------------------------------

async def test_a_model_gets_its_bill_of_parts_from_the_list_and_its_part_cannot_be_retired(web):
    for number in ("MTR-01", "PCB-01"):
        await make_part(web, number)
    sent = await post(web, "/app/admin/models", model_code="kfr-72lw-b", name="柜式空调 7.2 kW")
    assert sent.status_code == 303
    page = await web.get(sent.headers["location"])
    assert "在产" in page.text and '<option value="MTR-01">MTR-01 · 压缩机 7.2 kW</option>' in page.text
    saved = await post(web, "/app/admin/models/bill", model_code="KFR-72LW-B", part_number=["MTR-01", "PCB-01", ""],
                       qty=["1", "2", ""])
    assert saved.status_code == 303
    page = await web.get(saved.headers["location"])
    assert "配件清单已保存" in page.text
    assert re.findall(r'<option value="([A-Z0-9-]+)" selected>', page.text) == ["MTR-01", "PCB-01"]
    retire = await post(web, "/app/admin/parts/status", part_number="MTR-01", status="retired")
    assert retire.status_code == 409
    assert "该配件不能停用：它在仍处于三年供货保证期的机型的配件清单上。" in retire.text
    assert field_error(retire.text, "status") and "KFR-72LW-B" in retire.text
    assert "在用" in retire.text  # still in use


async def test_a_bill_of_parts_with_a_part_twice_or_no_quantity_comes_back_as_typed(web):
    await make_part(web, "FAN-01")
    await post(web, "/app/admin/models", model_code="KFR-26GW", name="挂壁式空调 2.6 kW")
    page = await post(web, "/app/admin/models/bill", model_code="KFR-26GW", part_number=["FAN-01", "FAN-01"],
                      qty=["1", "0"])
    assert page.status_code == 422
    assert field_error(page.text, "line_1_part") == "该配件已在第 1 行。"
    assert field_error(page.text, "line_1_qty") == "1 或以上的整数。"
    assert 'value="0"' in page.text
    assert (await web.get("/app/admin/models/edit", params={"model_code": "KFR-26GW"})).text.count(" selected>") == 0


async def test_a_model_discontinued_keeps_its_parts_three_years_then_they_may_retire(web):
    await make_part(web, "CAP-01")
    await post(web, "/app/admin/models", model_code="KFR-OLD", name="旧机型", discontinued_on="2020-01-15")
    await post(web, "/app/admin/models/bill", model_code="KFR-OLD", part_number="CAP-01", qty="1")
    page = await web.get("/app/admin/models/edit", params={"model_code": "KFR-OLD"})
    assert "2020年1月15日 停产；配件保证供应至 2023年1月15日" in unescape(page.text)
    retired = await post(web, "/app/admin/parts/status", part_number="CAP-01", status="retired")
    assert retired.status_code == 303
    assert "配件已停用" in (await web.get(retired.headers["location"])).text
    changed = await post(web, "/app/admin/models/edit", model_code="KFR-OLD", name="旧机型",
                         discontinued_on="2025-06-30")
    assert changed.status_code == 303
    assert "配件保证供应至 2028年6月30日" in (await web.get(changed.headers["location"])).text
    twice = await post(web, "/app/admin/models", model_code="kfr-old", name="又一个")
    assert twice.status_code == 409 and field_error(twice.text, "model_code") == "该机型代码已存在。"
    assert value_of(twice.text, "name") == "又一个"


# ---- warehouses ----------------------------------------------------------------------------------

async def test_a_warehouse_is_registered_with_kind_and_region_from_lists(web):
    page = await web.get("/app/admin/warehouses")
    assert '<option value="service_center"' in page.text and "服务中心" in page.text
    sent = await post(web, "/app/admin/warehouses", code="sc-jinan", name="济南服务中心", kind="service_center",
                      region="shandong")
    assert sent.status_code == 303
    listed = await web.get(sent.headers["location"])
    assert 'data-warehouse="SC-JINAN"' in listed.text and "济南服务中心" in listed.text
    by_kind = await web.get("/app/admin/warehouses", params={"kind": "central"})
    assert 'data-warehouse="SC-JINAN"' not in by_kind.text
    twice = await post(web, "/app/admin/warehouses", code="SC-JINAN", name="另一个", kind="central", region="shandong")
    assert twice.status_code == 409 and field_error(twice.text, "code") == "该仓库代码已存在。"
    assert value_of(twice.text, "name") == "另一个" and '<option value="central" selected>' in twice.text
    no_kind = await post(web, "/app/admin/warehouses", code="ST-01", name="站", kind="", region="shandong")
    assert no_kind.status_code == 422 and field_error(no_kind.text, "kind") == "请从列表中选择。"
