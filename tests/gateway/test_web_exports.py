"""Every list page as an Excel workbook, against the four real services behind the real gateway: a person
of the page's role downloads the list the page shows (same API, same filters, same scope), in words,
with typed cells; a person of another role is refused as on the page."""

import io
import uuid
from datetime import date, datetime
from urllib.parse import urlencode

import console_support
import httpx
import openpyxl
import pytest
from console_support import ADMIN, add_site, add_warehouse, read, sign_in

from shared import settings as settings_module

from gateway_support import LiveServer, make_person
from helpers import TOKEN
from servicedesk_fakes import DeskInventory, DeskWarranty

pytestmark = pytest.mark.anyio
clock, web = console_support.clock, console_support.web
ADMIN_HEADERS = {"X-API-Key": ADMIN}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STAMP = "20261127-1000"  # the fixed clock, 2026-11-27 10:00 China Standard Time


class Wired(console_support.Services):
    """The four services, billing finding the live warranty and inventory (it bills through them)."""

    def __init__(self, database_factory, clock) -> None:
        from services.billing.main import create_app as billing_app
        from services.inventory.main import create_app as inventory_app
        from services.servicedesk.main import create_app as desk_app
        from services.warranty.main import create_app as warranty_app

        def settings(name, **more):
            db = database_factory(name)
            return settings_module.load(name, database_url=db.url, database_schema=db.schema,
                                        internal_token=TOKEN, upstream_timeout_seconds=5.0, **more)

        warranty = LiveServer(warranty_app(settings("warranty"), clock=clock), lifespan="on")
        inventory = LiveServer(inventory_app(settings("inventory"), clock=clock), lifespan="on")
        billing = billing_app(settings("billing", service_urls={"warranty": warranty.url, "inventory": inventory.url}),
                              clock=clock)
        desk = desk_app(settings("servicedesk"), clock=clock, deliver=False, transports={
            "warranty": httpx.MockTransport(DeskWarranty().handler),
            "inventory": httpx.MockTransport(DeskInventory().handler)})
        self.servers = {"warranty": warranty, "inventory": inventory,
                        "billing": LiveServer(billing, lifespan="on"),
                        "servicedesk": LiveServer(desk, lifespan="on")}


@pytest.fixture(scope="module")
def services(database_factory, clock):
    with Wired(database_factory, clock) as running:
        yield running


def tag() -> str:
    return uuid.uuid4().hex[:6].upper()


class Book:
    """A downloaded workbook's one sheet: its notes (label → value), headers and rows."""

    def __init__(self, answer, name: str) -> None:
        assert answer.status_code == 200, answer.text[:500]
        assert answer.headers["content-type"] == XLSX
        assert f'filename="{name}-{STAMP}.xlsx"' in answer.headers["content-disposition"]
        sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).worksheets[0]
        self.sheet = sheet
        lines = list(sheet.iter_rows())
        blank = next(i for i, row in enumerate(lines) if all(c.value is None for c in row))
        self.notes = {row[0].value: row[1].value for row in lines[:blank]}
        self.headers = [c.value for c in lines[blank + 1] if c.value is not None]
        self.cells = [row[:len(self.headers)] for row in lines[blank + 2:]]
        self.rows = [[c.value for c in row] for row in self.cells]

    def column(self, header: str) -> list:
        index = self.headers.index(header)
        return [row[index] for row in self.rows]

    def cell(self, row: int, header: str):
        return self.cells[row][self.headers.index(header)]


async def post(web, path: str, body: dict, status: int = 201) -> dict:
    answer = await web.post(path, json=body, headers={**ADMIN_HEADERS, "Idempotency-Key": uuid.uuid4().hex})
    assert answer.status_code == status, answer.text
    return answer.json()


# ---- the service desk ----

async def organisation(web) -> tuple[str, str, dict[str, int]]:
    """A centre and two stations of their own (the module's services live on), a technician in each."""
    suffix = tag()
    centre, first, second = f"SC-{suffix}", f"JN7-{suffix}", f"JN8-{suffix}"
    await add_site(web, centre, "济南服务中心", kind="service_center")
    await add_site(web, first, "济南七站", parent=centre)
    await add_site(web, second, "济南八站", parent=centre)
    people = {}
    for name, station in (("王磊", first), ("张伟", second)):
        made = await post(web, "/servicedesk/technicians", {"name": name, "phone": "13800000000", "station": station})
        people[station] = made["id"]
    return first, second, people


async def ticket(web, level: int = 1, **fields) -> dict:
    body = {"caller": {"name": "李娜", "phone": "0531-8888 0001"}, "site_address": "济南市历下区解放路 105 号",
            "description": "室外机停机", "level": level, "channel": "phone", **fields}
    return await post(web, "/servicedesk/tickets", body)


async def dispatched(web, station: str, technician: int, level: int = 1) -> dict:
    made = await ticket(web, level)
    await post(web, f"/servicedesk/tickets/{made['id']}/dispatch", {"station": station, "technician_id": technician},
               200)
    return made


async def test_the_board_downloads_the_open_tickets_with_its_filters_in_words(web):
    first, _second, people = await organisation(web)
    one = await dispatched(web, first, people[first], level=1)
    two = await dispatched(web, first, people[first], level=2)
    await sign_in(web, await make_person(web, "desk"))
    page = await web.get(f"/app/desk?station={first}")
    assert f'href="/app/desk.xlsx?level=&amp;state=&amp;station={first}"' in page.text  # the filters kept

    book = Book(await web.get(f"/app/desk.xlsx?level=&state=&station={first}"), "tickets")
    assert book.headers[:4] == ["工单", "状态", "故障级别", "报修渠道"]
    assert "派工：应完成时间" in book.headers and "修复：状态" in book.headers
    assert sorted(book.column("工单")) == sorted([one["number"], two["number"]])
    assert set(book.column("状态")) == {"已派工"}
    assert set(book.column("报修渠道")) == {"电话"}
    assert sorted(book.column("故障级别")) == ["一级：系统停机或服务中断", "二级：有停机风险"]
    assert all(isinstance(value, datetime) for value in book.column("来电时间"))
    assert all(isinstance(value, datetime) for value in book.column("派工：实际完成时间"))
    assert book.cell(0, "来电时间").number_format == "yyyy-mm-dd hh:mm:ss"
    assert book.notes["服务网点"] == first and isinstance(book.notes["下载时间"], datetime)

    level_one = Book(await web.get(f"/app/desk.xlsx?level=1&station={first}"), "tickets")
    assert level_one.column("工单") == [one["number"]]
    assert level_one.notes["故障级别"] == level_one.column("故障级别")[0]

    english = Book(await web.get(f"/app/desk.xlsx?station={first}&lang=en"), "tickets")
    assert english.headers[:3] == ["Ticket", "Status", "Fault level"]
    assert set(english.column("Status")) == {"Dispatched"}


async def test_a_station_person_downloads_only_its_own_stations_tickets(web):
    first, second, people = await organisation(web)
    ours = await dispatched(web, first, people[first])
    theirs = await dispatched(web, second, people[second])
    await sign_in(web, await make_person(web, "station", station=first))
    page = await web.get(f"/app/station/tickets?station={first}")
    assert f'href="/app/station/tickets.xlsx?station={first}"' in page.text
    book = Book(await web.get("/app/station/tickets.xlsx"), "station-tickets")  # the remembered station
    assert book.column("工单") == [ours["number"]]
    assert set(book.column("服务网点")) == {first}
    other = Book(await web.get(f"/app/station/tickets.xlsx?station={second}"), "station-tickets")
    assert theirs["number"] not in other.column("工单") and other.rows == []
    # Its role has no business with the desk's board, nor its workbook.
    assert (await web.get("/app/desk.xlsx")).status_code == 403
    assert (await web.get("/app/desk/complaints.xlsx")).status_code == 403


async def test_follow_up_calls_and_complaints_download_for_the_desk(web):
    first, _second, people = await organisation(web)
    fixed = await dispatched(web, first, people[first])
    await post(web, f"/servicedesk/tickets/{fixed['id']}/arrive", {"technician": "王磊"}, 200)
    await post(web, f"/servicedesk/tickets/{fixed['id']}/resolve", {"technician": "王磊", "summary": "换风机"}, 200)
    complaint = await post(web, "/servicedesk/complaints", {
        "ticket_id": fixed["id"], "caller": {"name": "李娜", "phone": "0531-8888 0001"}, "description": "上午没人来"})
    await sign_in(web, await make_person(web, "desk"))
    assert 'href="/app/desk/follow-ups.xlsx"' in (await web.get("/app/desk/follow-ups")).text

    follow = Book(await web.get("/app/desk/follow-ups.xlsx"), "follow-ups")
    resolved = (await web.get("/servicedesk/tickets?status=resolved&limit=500", headers=ADMIN_HEADERS)).json()
    assert len(follow.rows) == len(resolved["items"])
    row = follow.column("工单").index(fixed["number"])
    assert follow.rows[row][follow.headers.index("已回访次数")] == 0
    assert isinstance(follow.rows[row][follow.headers.index("回访应完成时间")], datetime)
    assert follow.rows[row][follow.headers.index("回访状态")] == "进行中"  # on time (STATES["pending"])

    every = Book(await web.get("/app/desk/complaints.xlsx"), "complaints")
    row = every.column("编号").index(complaint["id"])
    assert isinstance(every.rows[row][0], int) and every.rows[row][every.headers.index("工单")] == fixed["id"]
    assert every.rows[row][every.headers.index("状态")] == "待答复"
    assert every.rows[row][every.headers.index("来源")] == "客户来电"
    assert isinstance(every.rows[row][every.headers.index("投诉时间")], datetime)
    answered = Book(await web.get("/app/desk/complaints.xlsx?status=answered"), "complaints")
    assert complaint["id"] not in answered.column("编号")
    assert answered.notes["状态"] == "已答复"


# ---- the warehouse ----

async def stocked(web) -> tuple[str, str, str]:
    """Two warehouses of their own, a part received at both, a reservation at the first."""
    suffix = tag()
    first, second, part = f"W1-{suffix}", f"W2-{suffix}", f"P-{suffix}"
    await add_warehouse(web, first, "济南仓")
    await add_warehouse(web, second, "青岛仓")
    await post(web, "/inventory/parts", {"part_number": part, "name": "压缩机", "uom": "pcs", "list_price": "1200.50",
                                         "out_of_warranty_price": "980.00"})
    for warehouse, qty in ((first, 5), (second, 3)):
        await post(web, "/inventory/receipts", {"warehouse": warehouse, "part_number": part, "qty": qty,
                                                "reference": f"PO-{suffix}"})
    await post(web, "/inventory/reservations", {"warehouse": first, "reference": f"RO-{suffix}",
                                                "lines": [{"part_number": part, "qty": 2}]})
    await post(web, "/inventory/reservations", {"warehouse": second, "reference": f"RO-{suffix}",
                                                "lines": [{"part_number": part, "qty": 1}]})
    return first, second, part


async def test_stock_and_the_ledger_download_for_a_warehouse_person_in_its_scope(web):
    first, second, part = await stocked(web)
    await sign_in(web, await make_person(web, "warehouse", warehouses=[first]))
    page = await web.get(f"/app/warehouse?part_number={part}")
    assert f'href="/app/warehouse.xlsx?part_number={part}"' in page.text
    assert f'href="/app/warehouse/movements.xlsx?part_number={part}"' in page.text

    stock = Book(await web.get(f"/app/warehouse.xlsx?part_number={part}"), "stock")
    assert stock.headers == ["仓库", "名称", "类型", "配件编号", "配件", "在库", "已预留", "可用"]
    assert {tuple(r) for r in stock.rows} == {(first, "济南仓", "服务中心", part, "压缩机", 5, 2, 3),
                                              (second, "青岛仓", "服务中心", part, "压缩机", 3, 1, 2)}
    assert stock.cell(0, "在库").number_format == "#,##0"
    whole = Book(await web.get("/app/warehouse.xlsx"), "stock")  # no part: every part's stock
    assert len(whole.rows) >= 2 and part in whole.column("配件编号")

    ledger = Book(await web.get(f"/app/warehouse/movements.xlsx?part_number={part}"), "movements")
    assert ledger.column("仓库") == [first]  # the ledger of its own warehouses only
    assert ledger.column("类型") == ["入库"] and ledger.column("数量") == [5]
    assert isinstance(ledger.column("时间")[0], datetime) and isinstance(ledger.column("编号")[0], int)
    assert ledger.notes["配件编号"] == part
    await sign_in(web, ADMIN)
    both = Book(await web.get(f"/app/warehouse/movements.xlsx?part_number={part}"), "movements")
    assert sorted(both.column("仓库")) == [first, second]
    only = Book(await web.get(f"/app/warehouse/movements.xlsx?part_number={part}&warehouse={second}"), "movements")
    assert only.column("仓库") == [second]
    await sign_in(web, await make_person(web, "desk"))  # the warehouse's lists are not the desk's
    for path in ("/app/warehouse.xlsx", "/app/warehouse/movements.xlsx", "/app/warehouse/reservations.xlsx"):
        refused = await web.get(path)
        assert refused.status_code == 403 and "您的角色无权执行此操作" in refused.text, path


async def test_reservations_download_one_row_a_line_with_the_pages_filters(web):
    first, second, part = await stocked(web)
    await sign_in(web, await make_person(web, "warehouse", warehouses=[first]))
    reference = f"RO-{part[2:]}"
    page = await web.get(f"/app/warehouse/reservations?reference={reference}&status=&warehouse=")
    assert f'href="/app/warehouse/reservations.xlsx?reference={reference}&amp;status=&amp;warehouse="' in page.text
    book = Book(await web.get(f"/app/warehouse/reservations.xlsx?reference={reference}"), "reservations")
    assert book.column("仓库") == [first]  # the other warehouse's reservation is out of this person's scope
    assert book.column("状态") == ["已预留"] and book.column("数量") == [2] and book.column("已出库数量") == [0]
    price = book.cell(0, "标准价")
    assert price.value == pytest.approx(1200.5) and not isinstance(price.value, str)
    assert price.number_format == "#,##0.00"
    assert isinstance(book.column("到期时间")[0], datetime)
    none = Book(await web.get(f"/app/warehouse/reservations.xlsx?reference={reference}&status=consumed"),
                "reservations")
    assert none.rows == [] and none.notes["状态"] == "已出库"


# ---- billing ----

async def registered_unit(web) -> str:
    serial = f"KFR72-{tag()}"
    await post(web, "/warranty/units", {"serial_number": serial, "model_code": "KFR-72LW", "product_name": "柜式空调",
                                        "site": {"name": "济南市中心医院", "region": "shandong"},
                                        "project_code": "JN-2024-017", "accepted_on": "2024-03-01"})
    return serial


async def billable(web) -> None:
    """The rate card and the company on the bills (a second time: already there)."""
    rates = await web.get("/billing/rates", headers=ADMIN_HEADERS)
    if rates.status_code == 404:
        answer = await web.put("/billing/rates", json={"labor_rate_per_hour": "150.00", "callout_fee": "80.00",
                                                        "vat_rate": "0.13", "effective_from": "2026-01-01"},
                               headers=ADMIN_HEADERS)
        assert answer.status_code in (200, 201), answer.text
    company = await web.get("/billing/company", headers=ADMIN_HEADERS)
    if company.status_code == 404:
        answer = await web.put("/billing/company", json={
            "name": "山东暖通售后服务有限公司", "address": "济南市历下区经十路 1 号",
            "taxpayer_id": "91370100MA3C123456",
            "bank": "中国工商银行济南分行", "account": "1602000009200012345", "phone": "0531-8888 0000"},
            headers=ADMIN_HEADERS)
        assert answer.status_code in (200, 201), answer.text


async def test_bills_and_contracts_download_for_billing(web):
    await billable(web)
    serial = await registered_unit(web)
    for n in range(2):
        await post(web, "/billing/repairs", {
            "serial_number": serial, "repair_reference": f"RO-{serial}-{n}", "performed_on": "2026-11-20",
            "component": "unit", "causes": ["improper_use"], "certificate": None, "reservation_ids": [],
            "labor_hours": "1.5", "visits": 1})
    contract = await post(web, "/billing/contracts", {
        "customer": "泉城广场写字楼", "serial_numbers": [serial], "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "includes_labor": True, "parts_discount_pct": "10"})
    await sign_in(web, await make_person(web, "billing"))
    page = await web.get(f"/app/billing?serial_number={serial}&status=")
    assert f'href="/app/billing.xlsx?serial_number={serial}&amp;status=&amp;repair_reference="' in page.text

    bills = Book(await web.get(f"/app/billing.xlsx?serial_number={serial}"), "bills")
    assert len(bills.rows) == 2 and set(bills.column("序列号")) == {serial}
    assert set(bills.column("状态")) == {"已开具，未付款"}
    assert all(isinstance(v, date) for v in bills.column("维修日期"))
    assert all(isinstance(v, datetime) for v in bills.column("开具时间"))
    total = bills.cell(0, "合计")
    assert isinstance(total.value, int | float) and total.number_format == "#,##0.00"
    listed = (await web.get(f"/billing/invoices?serial_number={serial}", headers=ADMIN_HEADERS)).json()["items"]
    assert sorted(bills.column("合计")) == pytest.approx(sorted(float(b["total"]) for b in listed))
    one = Book(await web.get(f"/app/billing.xlsx?serial_number={serial}&repair_reference=RO-{serial}-1"), "bills")
    assert one.column("维修单号") == [f"RO-{serial}-1"]

    contracts = Book(await web.get("/app/billing/contracts.xlsx"), "contracts")
    row = contracts.column("编号").index(contract["id"])
    assert contracts.rows[row][contracts.headers.index("机组")] == 1
    assert contracts.rows[row][contracts.headers.index("序列号")] == serial
    assert contracts.rows[row][contracts.headers.index("含人工")] == "是"
    assert contracts.rows[row][contracts.headers.index("配件折扣（%）")] == 10
    assert contracts.rows[row][contracts.headers.index("地区")] == "山东"
    assert isinstance(contracts.rows[row][contracts.headers.index("开始日期")], datetime | date)
    every = (await web.get("/billing/contracts?limit=500", headers=ADMIN_HEADERS)).json()["items"]
    assert len(contracts.rows) == len(every)
    # A desk person has no business with bills.
    await sign_in(web, await make_person(web, "desk"))
    assert (await web.get("/app/billing.xlsx")).status_code == 403
    assert (await web.get("/app/billing/contracts.xlsx")).status_code == 403


# ---- the admin console: units ----

async def test_units_download_for_the_admin_by_project_and_past_one_api_page(web):
    project = f"PRJ-{tag()}"
    serials = [f"KFR35-{tag()}" for _ in range(3)]
    for serial in serials:
        await post(web, "/warranty/units", {"serial_number": serial, "model_code": "KFR-35GW",
                                            "product_name": "挂壁式空调",
                                            "site": {"name": "泉城广场", "address": "济南市历下区",
                                                     "region": "shandong"},
                                            "project_code": project, "accepted_on": "2024-05-10",
                                            "certificate": {"number": f"WC-{serial}"}})
    await sign_in(web, ADMIN)
    page = await web.get(f"/app/admin/units?project_code={project}")
    assert f'href="/app/admin/units.xlsx?q=&amp;project_code={project}"' in page.text
    book = Book(await web.get(f"/app/admin/units.xlsx?project_code={project}"), "units")
    assert book.headers[:3] == ["序列号", "型号", "产品名称"]
    assert sorted(book.column("序列号")) == sorted(serials)
    assert set(book.column("地区")) == {"山东"} and set(book.column("项目编号")) == {project}
    assert all(isinstance(v, datetime) for v in book.column("调试验收日期"))
    assert book.cell(0, "调试验收日期").number_format == "yyyy-mm-dd"
    assert book.column("保修卡编号")[0].startswith("WC-")
    found = Book(await web.get(f"/app/admin/units.xlsx?q={serials[1].lower()}"), "units")
    assert found.column("序列号")[0] == serials[1]
    everything = Book(await web.get("/app/admin/units.xlsx"), "units")
    assert set(serials) <= set(everything.column("序列号"))
    assert len(everything.rows) == len(await all_units(web))
    await sign_in(web, await make_person(web, "billing"))
    assert (await web.get("/app/admin/units.xlsx")).status_code == 403


async def all_units(web) -> list[dict]:
    found, cursor = [], ""
    while True:
        asked = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        answer = await read(web, "/warranty/units?" + urlencode(asked))
        found += answer["items"]
        cursor = answer.get("next_cursor")
        if not cursor:
            return found


async def test_a_cursor_is_followed_to_the_end_and_the_cap_is_said_in_the_notes(web, monkeypatch):
    from gateway.web import exports_common

    project = f"CAP-{tag()}"
    for _ in range(5):
        await post(web, "/warranty/units", {"serial_number": f"KFR26-{tag()}", "model_code": "KFR-26GW",
                                            "product_name": "挂壁式空调",
                                            "site": {"name": "泉城广场", "region": "shandong"},
                                            "project_code": project, "accepted_on": "2024-05-10"})
    await sign_in(web, ADMIN)
    monkeypatch.setattr(exports_common, "API_PAGE", 2)  # three API pages for five units
    book = Book(await web.get(f"/app/admin/units.xlsx?project_code={project}"), "units")
    assert len(book.rows) == 5 and "说明" not in book.notes
    monkeypatch.setattr(exports_common, "ROWS_CAP", 3)
    capped = Book(await web.get(f"/app/admin/units.xlsx?project_code={project}"), "units")
    assert len(capped.rows) == 3 and "3" in capped.notes["说明"]


async def test_a_person_who_is_not_signed_in_is_sent_to_sign_in(web):
    web.cookies.clear()
    for path in ("/app/desk.xlsx", "/app/warehouse.xlsx", "/app/billing.xlsx", "/app/admin/units.xlsx",
                 "/app/station/tickets.xlsx"):
        answer = await web.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/app/login"), path
