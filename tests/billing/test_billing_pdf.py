"""GET /invoices/{number}.pdf: an A4 bill with Chinese and English labels, read back with pdftotext."""

import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from services.billing.domain.amount_words import in_capitals

from billing_support import SERIAL, post_repair, repair_body
from helpers import assert_problem

pytestmark = pytest.mark.anyio
COMPRESSOR_CN = ("CMP-72", "压缩机 7.2 kW", 1, "1280.00", "1090.00")
FILTER = ("FLT-2", "Filter", 3, "15.50", "12.00")
# Poppler maps the CID font's codes back to Unicode with poppler-data's CMaps.
HAS_CMAPS = Path("/usr/share/poppler/cMap/Adobe-GB1").is_dir()
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) absent")


def text_of(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "bill.pdf"
    source.write_bytes(pdf)
    done = subprocess.run(["pdftotext", "-layout", str(source), "-"], capture_output=True, check=True)
    return done.stdout.decode()


def page_size(pdf: bytes) -> bytes:
    start = pdf.index(b"/MediaBox")
    return pdf[start:pdf.index(b"]", start) + 1]


async def bill_a_repair(billing, inventory, **overrides) -> dict:
    rid = inventory.add_reservation(COMPRESSOR_CN, FILTER)
    response = await post_repair(billing, repair_body(reservation_ids=[rid], labor_hours="2", **overrides))
    assert response.status_code == 201, response.text
    return response.json()


@needs_pdftotext
async def test_the_bill_prints_every_line_the_totals_and_the_decision(billing, inventory, tmp_path):
    bill = await bill_a_repair(billing, inventory)
    response = await billing.get(f"/invoices/{bill['number']}.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert page_size(response.content) == b"/MediaBox [ 0 0 595.2756 841.8898 ]"  # A4 in points
    text = text_of(response.content, tmp_path)
    # 1090.00 + 3 x 12.00 + 2 h x 80.00 + 50.00 = 1336.00; VAT 13 % 173.68; 1509.68
    for expected in ("Repair bill", bill["number"], SERIAL, "KFR-72LW", "Split air conditioner",
                     "REP-2026-0001", "2026-03-01", "CMP-72", "FLT-2 Filter", "1,090.00", "36.00",
                     "160.00", "50.00", "CNY 1,336.00", "CNY 173.68", "CNY 1,509.68", "Issued",
                     "Rejected", "excluded_misuse", "Cooling system", "improper use"):
        assert expected in text, expected
    if HAS_CMAPS:
        for expected in ("维修结算单", "压缩机", "价税合计", "增值税", "已开具", "不属于保修范围",
                         "人民币壹仟伍佰零玖元陆角捌分"):
            assert expected in text, expected


@needs_pdftotext
async def test_the_printed_status_follows_the_bill(billing, inventory, tmp_path):
    bill = await bill_a_repair(billing, inventory)
    assert (await billing.post(f"/invoices/{bill['number']}/void")).status_code == 200
    text = text_of((await billing.get(f"/invoices/{bill['number']}.pdf")).content, tmp_path)
    assert "Void" in text and "This bill is void" in text


async def test_the_bill_prints_without_warranty(billing, inventory, warranty, tmp_path):
    bill = await bill_a_repair(billing, inventory)
    warranty.plan("get_unit", "down")
    response = await billing.get(f"/invoices/{bill['number'].lower()}.pdf")
    assert response.status_code == 200
    if shutil.which("pdftotext"):
        assert SERIAL in text_of(response.content, tmp_path)


async def test_no_such_bill_is_a_404_problem_and_the_json_bill_still_answers(billing, inventory):
    assert_problem(await billing.get("/invoices/INV-2026-999999.pdf"), 404, "invoice_not_found")
    bill = await bill_a_repair(billing, inventory)
    response = await billing.get(f"/invoices/{bill['number']}")
    assert response.status_code == 200 and response.json()["number"] == bill["number"]


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "零元整"), ("0.50", "伍角整"), ("0.05", "伍分"), ("10", "壹拾元整"), ("10.05", "壹拾元零伍分"),
        ("1469.00", "壹仟肆佰陆拾玖元整"), ("1001.50", "壹仟零壹元伍角整"), ("1053.61", "壹仟零伍拾叁元陆角壹分"),
        ("100000", "壹拾万元整"), ("100010", "壹拾万零壹拾元整"), ("100010000", "壹亿零壹万元整"),
        ("100000001", "壹亿零壹元整"), ("101000000", "壹亿零壹佰万元整"), ("20000.30", "贰万元叁角整"),
    ],
)
def test_amounts_in_chinese_capitals(amount, words):
    assert in_capitals(Decimal(amount)) == words


@pytest.mark.parametrize("amount", ["-1", "0.001"])
def test_amounts_in_capitals_refuse_what_a_bill_never_holds(amount):
    with pytest.raises(ValueError):
        in_capitals(Decimal(amount))


COMPANY = {"name": "山东海信空调售后服务有限公司", "address": "济南市历下区经十路 100 号",
           "taxpayer_id": "91370100MA3C4XYZ1K", "bank": "中国工商银行济南分行", "account": "1602001209100123456",
           "phone": "0531-88886666"}
needs_pdffonts = pytest.mark.skipif(shutil.which("pdffonts") is None, reason="pdffonts (poppler-utils) absent")


def fonts_of(pdf: bytes, tmp_path: Path) -> list[list[str]]:
    source = tmp_path / "fonts.pdf"
    source.write_bytes(pdf)
    lines = subprocess.run(["pdffonts", str(source)], capture_output=True, check=True).stdout.decode().splitlines()
    return [line.split() for line in lines[2:]]


@needs_pdftotext
async def test_the_bill_a_customer_signs_names_the_company_the_customer_and_has_the_signature_lines(
    billing, inventory, warranty, tmp_path
):
    await billing.put("/company", json=COMPANY)
    warranty.units[SERIAL]["site"] = {"name": "济南市中心医院", "address": "解放路 105 号", "region": "shandong"}
    first = await bill_a_repair(billing, inventory)
    await billing.post(f"/invoices/{first['number']}/void")
    second = (await post_repair(billing, repair_body(reservation_ids=first["reservation_ids"], labor_hours="2"),
                                key="again")).json()
    assert second["replaces"] == first["number"]
    await billing.post(f"/invoices/{second['number']}/pay", json={"method": "alipay", "reference": "ALI-77"})
    text = text_of((await billing.get(f"/invoices/{second['number']}.pdf")).content, tmp_path)
    for expected in ("91370100MA3C4XYZ1K", "1602001209100123456", "0531-88886666", "Customer",
                     "Technician's signature", "Customer's signature", "Company seal",
                     f"Replaces void bill {first['number']}", "Alipay", "ALI-77"):
        assert expected in text, expected
    if HAS_CMAPS:
        for expected in ("山东海信空调售后服务有限公司", "济南市中心医院", "解放路 105 号", "维修技师签字", "客户签字",
                         "公司盖章", "支付宝"):
            assert expected in text, expected
    void_text = text_of((await billing.get(f"/invoices/{first['number']}.pdf")).content, tmp_path)
    assert f"Replaced by bill {second['number']}" in void_text


@needs_pdffonts
async def test_every_font_of_the_bill_is_embedded(billing, inventory, tmp_path):
    from shared import pdf

    if pdf.font() != pdf.EMBEDDED:
        pytest.skip("no CJK TrueType face on this machine (apt-get install fonts-wqy-microhei)")
    bill = await bill_a_repair(billing, inventory)
    fonts = fonts_of((await billing.get(f"/invoices/{bill['number']}.pdf")).content, tmp_path)
    assert fonts, "the bill names no font"
    assert all(row[-5] == "yes" for row in fonts), fonts  # the "emb" column
