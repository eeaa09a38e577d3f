"""GET /visits/{id}/report.pdf: A4, Chinese, three copies with the results and the signature, read back."""

import shutil
import subprocess
from pathlib import Path

import pytest
from visit_fakes import VisitBilling, VisitWarranty, all_items, client, crew, make_app, record_body

from helpers import assert_problem

pytestmark = pytest.mark.anyio
SERIAL = "KFR72-000001"
HAS_CMAPS = Path("/usr/share/poppler/cMap/Adobe-GB1").is_dir()
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) absent")


@pytest.fixture
def warranty():
    fake = VisitWarranty()
    fake.add_unit(SERIAL)
    return fake


@pytest.fixture
async def desk(desk_settings, clock, warranty):
    app = make_app(desk_settings, clock, warranty, VisitBilling())
    async with client(app) as c:
        await crew(c)
        yield c


def text_of(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "visit.pdf"
    source.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(source), "-"], capture_output=True, check=True).stdout.decode()


async def recorded_visit(desk) -> dict:
    await desk.put("/visit-models/KFR-72LW", json={"supply_volts": 380})
    items = (await desk.get("/visits", params={"serial_number": SERIAL, "status": "planned"})).json()["items"]
    visit = (await desk.get(f"/visits/{items[0]['id']}")).json()
    chosen = all_items(visit, s9_1_1_1={"code": "s9_1_1_1", "result": "needs_repair", "value": 455},
                       s9_2_1_5={"code": "s9_2_1_5", "result": "not_applicable"})
    body = record_body(visit, items=chosen, notes="用户要求下次提前电话联系",
                       parts_used=[{"part_number": "FLT-2", "qty": 2}])
    response = await desk.post(f"/visits/{visit['id']}/record", json=body)
    assert response.status_code == 200, response.text
    return response.json()


@needs_pdftotext
@pytest.mark.skipif(not HAS_CMAPS, reason="poppler-data's Adobe-GB1 CMaps absent")
async def test_the_report_has_three_copies_each_with_results_and_the_customers_name(desk, tmp_path):
    visit = await recorded_visit(desk)
    response = await desk.get(f"/visits/{visit['id']}/report.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4
    text = text_of(pdf, tmp_path)
    copies = ["第一联 用户联", "第二联 售后服务中心联", "第三联 维修站联"]
    # each copy runs from its title to the next one's, over as many pages as it takes
    for name, page in zip(copies, text.split("季前检查（开机前）记录")[1:], strict=True):
        assert name in page
        assert "李娜" in page and "王磊" in page and SERIAL in page
        assert "检查外接供电" in page and "455 V" in page and "超出" in page and "342~418" in page, page
        assert "需维修" in page and "不适用" in page
    assert "FLT-2 × 2" in text and "用户要求下次提前电话联系" in text and "SR-" in text
    assert "济南市中心医院" in text  # the site, from warranty
    assert b"/Subtype /Image" in pdf  # the signature


async def test_the_report_prints_without_warranty(desk, warranty):
    visit = await recorded_visit(desk)
    warranty.plan("get_unit", *["down"] * 5)
    response = await desk.get(f"/visits/{visit['id']}/report.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


async def test_a_visit_without_a_record_has_no_report(desk):
    items = (await desk.get("/visits", params={"serial_number": SERIAL, "status": "planned"})).json()["items"]
    assert_problem(await desk.get(f"/visits/{items[0]['id']}/report.pdf"), 409, "visit_not_done")
    assert_problem(await desk.get("/visits/99999/report.pdf"), 404, "visit_not_found")
