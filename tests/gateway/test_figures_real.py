"""The figures in the manager's words, from the real services: warranty's `/reports/warranty`, inventory's
`/reports/parts` and billing's `/reports/billing` (each in-process on a real port, with its own migrated
database) behind the real gateway. Every figure they answer has its Chinese name in the glossary: on the
manager's page and in the Excel file's headers, a claim's decision and cause in words too."""

import re
from datetime import UTC, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from gateway import config
from gateway.main import create_app
from gateway.web import glossary
from gateway.web.i18n import Catalogs
from services.billing.main import create_app as create_billing
from services.inventory.main import create_app as create_inventory
from services.warranty.main import create_app as create_warranty
from shared import settings as settings_module
from shared.clock import FixedClock

from gateway_support import ADMIN, LiveServer, make_person, sign_in
from helpers import TOKEN, asgi_client

pytestmark = pytest.mark.anyio
# 2026-11-27 10:00 China Standard Time.
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
H = {"X-API-Key": ADMIN}
PERIOD = {"from": "2026-11-01", "to": "2026-11-27"}
CJK = re.compile(r"[\u4e00-\u9fff]")
GROUPINGS = [("warranty", "decision"), ("warranty", "cause"), ("warranty", "model"), ("warranty", "month"),
             ("parts", "part"), ("parts", "warehouse"), ("parts", "month"), ("billing", "month")]


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def services(database_factory, clock):
    """Warranty, inventory and billing, each served by uvicorn with its lifespan."""
    made = {
        "warranty": lambda settings: create_warranty(settings, clock=clock),
        "inventory": lambda settings: create_inventory(settings, clock=clock),
        "billing": lambda settings: create_billing(settings, clock=clock, recover=False),
    }
    servers = {}
    try:
        for name, build in made.items():
            db = database_factory(name)
            settings = settings_module.load(name, database_url=db.url, database_schema=db.schema,
                                            internal_token=TOKEN, upstream_timeout_seconds=2.0)
            servers[name] = LiveServer(build(settings), lifespan="on").__enter__()
        yield {name: server.url for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.__exit__(None, None, None)


@pytest.fixture
async def web(gateway_settings, fakes, clock, services):
    settings = config.load(
        database_url=gateway_settings.database_url, database_schema=gateway_settings.database_schema,
        admin_api_key=ADMIN, internal_token=TOKEN, rate_limit_per_second=1000.0, rate_limit_burst=1000,
        gateway_timeout_seconds=5.0, service_urls={**gateway_settings.service_urls, **services})
    async with asgi_client(create_app(settings, clock=clock)) as client:
        await seed(client)
        yield client


async def seed(client) -> None:
    """Two claims in November (one covered, one not), and two compressors issued at a service centre."""
    def ok(response):
        assert response.status_code in (200, 201), response.text
        return response.json()

    ok(await client.post("/warranty/units", headers=H, json={
        "serial_number": "KFR72-000001", "model_code": "KFR-72LW", "product_name": "柜式空调",
        "site": {"name": "济南市中心医院", "address": "济南市历下区", "region": "shandong"},
        "accepted_on": "2025-03-01", "certificate": {"number": "WC-1"}}))
    certificate = {"number": "WC-1", "product_name": "柜式空调", "model_code": "KFR-72LW",
                   "serial_number": "KFR72-000001"}
    for failed_on, causes in (("2026-11-10", ["quality_defect"]), ("2026-11-20", ["improper_use"])):
        ok(await client.post("/warranty/claims", headers=H, json={
            "serial_number": "KFR72-000001", "failed_on": failed_on, "component": "unit", "causes": causes,
            "certificate": certificate}))
    ok(await client.post("/inventory/warehouses", headers=H, json={
        "code": "SC-JINAN", "name": "济南服务中心", "kind": "service_center", "region": "shandong"}))
    ok(await client.post("/inventory/parts", headers=H, json={
        "part_number": "CMP-72", "name": "压缩机 7.2 kW", "uom": "台", "list_price": "1280.00",
        "out_of_warranty_price": "1090.00", "min_stock": 10}))
    ok(await client.post("/inventory/receipts", headers=H, json={
        "warehouse": "SC-JINAN", "part_number": "CMP-72", "qty": 5, "reference": "PO-1"}))
    reservation = ok(await client.post("/inventory/reservations", headers=H, json={
        "warehouse": "SC-JINAN", "reference": "RO-1", "lines": [{"part_number": "CMP-72", "qty": 2}]}))
    ok(await client.post(f"/inventory/reservations/{reservation['id']}/consume", headers=H, json={}))


def zh():
    return Catalogs().get("zh_CN")


def in_chinese(text) -> bool:
    return bool(CJK.search(str(text or "")))


@pytest.mark.parametrize(("report", "group_by"), GROUPINGS)
async def test_every_figure_a_service_answers_has_its_chinese_name_in_the_file(web, report, group_by):
    answer = await web.get(f"/reports/{report}", headers=H, params={**PERIOD, "group_by": group_by})
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    assert rows, "the seeded period has figures"
    fields = {name for row in rows for name in row} - {"key", "name"}
    for name in fields:
        assert name in glossary.FIGURES, f"{report}: {name} is not in the glossary"
        assert in_chinese(glossary.label(zh(), name)), name
    book = await web.get(f"/reports/{report}", headers=H, params={**PERIOD, "group_by": group_by, "format": "xlsx"})
    assert book.status_code == 200, book.text
    workbook = load_workbook(BytesIO(book.content))
    sheet = workbook[workbook.sheetnames[0]]
    header = [c.value for c in sheet[7]]
    assert len(header) == 2 + len(fields)
    assert all(in_chinese(h) for h in header), header
    terms = {row[2].value: row[0].value for row in workbook["术语 Glossary"].iter_rows(min_row=2)}
    assert set(terms) == fields and all(in_chinese(word) for word in terms.values())
    names = [r[1] for r in sheet.iter_rows(min_row=8, values_only=True)]
    if group_by in ("decision", "cause"):
        assert all(in_chinese(n) for n in names), names  # the service's English names, in words


async def test_the_figures_pages_show_the_services_figures_in_chinese(web):
    await sign_in(web, await make_person(web, "manager", display_name="赵经理"))
    t = zh()
    decisions = await web.get("/app/manager/warranty", params={**PERIOD, "group_by": "decision"})
    assert decisions.status_code == 200, decisions.text
    heads = re.findall(r"<th[^>]*>([^<]*)</th>", decisions.text.split('id="figures-table"')[1].split("</thead>")[0])
    assert heads[1:] == [t.gettext(glossary.FIGURES[n].label)
                         for n in ("claims", "approved", "rejected", "units", "approval_rate")]
    assert t.gettext("Covered") in decisions.text and t.gettext("Not covered") in decisions.text
    assert "50.0%" not in decisions.text and "100.0%" in decisions.text  # each decision's own share
    causes = (await web.get("/app/manager/warranty", params={**PERIOD, "group_by": "cause"})).text
    assert t.gettext("Product quality defect") in causes and "Product quality defect" not in causes
    parts = await web.get("/app/manager/parts", params={**PERIOD, "group_by": "part"})
    assert parts.status_code == 200, parts.text
    table = parts.text.split('id="figures-table"')[1]
    for name in ("qty", "value", "issues"):
        assert t.gettext(glossary.FIGURES[name].label) in table
    assert "压缩机 7.2 kW" in table and "2,560.00" in table  # two at the reservation's list price
    billing = await web.get("/app/manager/billing", params=PERIOD)
    assert billing.status_code == 200, billing.text
    assert t.gettext("Bills issued") in billing.text and t.gettext("VAT") in billing.text
