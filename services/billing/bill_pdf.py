"""A bill as a printable A4 PDF: 维修结算单 / Repair bill, Chinese and English labels.

It names the company (as it stood when the bill was issued) and the customer (copied onto the bill
when it was made), and ends with lines for the technician's and the customer's signatures and the
company seal: the paper the customer signs.

The font (embedded) and the building blocks are shared/pdf.py's, as for every printed document.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from io import BytesIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from services.billing.domain.amount_words import in_capitals
from services.billing.schemas import BillRead
from shared import glossary
from shared.pdf import font
from shared.pdf import grid as _grid
from shared.pdf import para as _p
from shared.pdf import styles as _styles

CHINA = timezone(timedelta(hours=8), "CST")  # China has one time zone and no daylight saving
# The Chinese is the glossary's (shared/glossary.py), the pages' words too; the English follows it.
PAYMENT_EN = {"cash": "Cash", "bank_transfer": "Bank transfer", "wechat_pay": "WeChat Pay", "alipay": "Alipay"}
STATUS_EN = {"issued": "Issued", "paid": "Paid", "void": "Void"}
KIND_EN = {"part": "Part", "labor": "Labour", "callout": "Call-out"}
DECISION_EN = {"approved": "Approved (under warranty)", "rejected": "Rejected (not under warranty)"}
COMPONENT_EN = {
    "unit": "Whole unit",
    "electrical_lines": "Electrical lines",
    "water_piping": "Water piping",
    "installation": "Installation",
    "heating_system": "Heating system",
    "cooling_system": "Cooling system",
}
CAUSE_EN = {
    "improper_use": "improper use",
    "improper_maintenance": "improper maintenance",
    "improper_storage": "improper storage",
    "improper_transport": "improper transport",
    "unstable_power_supply": "unstable power supply",
    "harsh_environment": "harsh environment",
    "modified_wiring": "modified wiring",
    "replaced_internal_parts": "replaced internal parts",
    "force_majeure": "force majeure",
    "natural_disaster": "natural disaster",
    "accident": "accident",
    "quality_defect": "quality defect",
    "unknown": "unknown",
}


def _both(chinese: dict[str, str], english: dict[str, str]) -> dict[str, str]:
    return {code: f"{chinese[code]} {text}" for code, text in english.items()}


PAYMENT = _both(glossary.PAYMENT_METHODS, PAYMENT_EN)
STATUS = _both(glossary.BILL_STATUSES, STATUS_EN)
KIND = _both(glossary.LINE_KINDS, KIND_EN)
DECISION = _both(glossary.DECISIONS, DECISION_EN)
COMPONENT = _both(glossary.COMPONENTS, COMPONENT_EN)
CAUSE = _both(glossary.CAUSES, CAUSE_EN)
REASON = {
    "not_yet_accepted": "尚未验收",
    "term_expired": "保修期已过",
    "excluded_misuse": "免责：使用、维护、保管或运输不当",
    "excluded_power_supply": "免责：电源不稳造成损坏",
    "excluded_abnormal_use": "免责：非正常使用或擅自改动",
    "excluded_certificate": "免责：无有效保修凭证",
    "excluded_force_majeure": "免责：不可抗力、自然灾害或意外",
}


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """What warranty knows of the unit; None fields when it could not be asked."""

    serial_number: str
    model_code: str | None = None
    product_name: str | None = None
    site: str | None = None
    site_name: str | None = None
    site_address: str | None = None


def money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def when(moment: datetime | None) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else "—"


def render(bill: BillRead, unit: UnitInfo) -> bytes:
    s = _styles()
    p = lambda text, style="base": _p(text, s[style])  # noqa: E731
    width = A4[0] - 36 * mm
    quarters = [width * 0.19, width * 0.31, width * 0.19, width * 0.31]
    story = [
        *_company(bill, p),
        p("维修结算单", "title"),
        p("Repair bill", "subtitle"),
        Spacer(1, 4 * mm),
        _grid([
            [p("结算单号 Number"), p(bill.number), p("状态 Status"), p(STATUS[bill.status])],
            [p("开具时间 Issued"), p(when(bill.issued_at)), p("付款时间 Paid"), p(when(bill.paid_at))],
        ] + ([[p("作废时间 Voided"), p(when(bill.voided_at)), p(""), p("")]] if bill.voided_at else []),
            quarters),
        *_links(bill, p),
        p("客户与机组 Customer and unit", "heading"),
        _grid([
            [p("客户名称 Customer"), p(bill.customer.name if bill.customer else unit.site_name or "—"),
             p("序列号 Serial number"), p(unit.serial_number)],
            [p("地址 Address"), p((bill.customer.address if bill.customer else unit.site_address) or "—"),
             p("型号 Model"), p(unit.model_code or "—")],
            [p("安装地点 Site"), p(unit.site or "—"), p("产品名称 Product"), p(unit.product_name or "—")],
        ], quarters),
        p("维修 Repair", "heading"),
        _grid([
            [p("维修单号 Repair reference"), p(bill.repair_reference), p("维修日期 Day of repair"),
             p(bill.performed_on.isoformat())],
            [p("故障部件 Component"), p(COMPONENT.get(bill.component, bill.component)), p("故障原因 Causes"),
             p("；".join(CAUSE.get(c, c) for c in bill.causes) or "—")],
        ], quarters),
        p("保修判定 Warranty decision", "heading"),
        _grid(
            [[p("判定 Decision"), p(DECISION[bill.claim.decision] + f"（索赔 claim #{bill.claim.id}）")]]
            + [[p("理由 Reason"), p(f"{REASON.get(r.code, r.code)} — {r.message}")] for r in bill.claim.reasons],
            [width * 0.3, width * 0.7],
        ),
        p(f"费用明细 Charges ({bill.currency})", "heading"),
        _grid(
            [[p("类别 Kind"), p("项目 Description"), p("数量 Qty", "right"), p("单价 Unit price", "right"),
              p("金额 Amount", "right")]]
            + [[p(KIND[line.kind]), p(line.description), p(_qty(line.qty), "right"),
                p(money(line.unit_price), "right"), p(money(line.amount), "right")] for line in bill.lines],
            [width * 0.16, width * 0.4, width * 0.1, width * 0.17, width * 0.17], header=True,
        ),
        Spacer(1, 2 * mm),
        _grid([
            [p("不含税金额 Net"), p(f"{bill.currency} {money(bill.net)}", "right")],
            [p(f"增值税 VAT ({_percent(bill.rates.vat_rate)})"), p(f"{bill.currency} {money(bill.vat)}", "right")],
            [p("价税合计 Total"), p(f"{bill.currency} {money(bill.total)}", "right")],
            [p("大写 In words"), p(f"人民币{in_capitals(bill.total)}" if bill.currency == "CNY"
                                  else in_capitals(bill.total))],
        ], [width * 0.4, width * 0.6]),
        Spacer(1, 2 * mm),
        p(f"保修承担费用 Cost borne by the warranty: {bill.currency} {money(bill.warranty_cost)}", "small"),
        p(f"费率 Rates v{bill.rates.version}: 工时 labour {money(bill.rates.labor_rate_per_hour)}/h, "
          f"上门 call-out {money(bill.rates.callout_fee)}"
          + (f"; 维保合同 maintenance contract #{bill.contract_id}" if bill.contract_id else ""), "small"),
    ]
    story += _settlement(bill, p, width)
    if bill.status == "void":
        story.append(p("本结算单已作废，不作为付款依据。 This bill is void and is not to be paid.", "heading"))
    story.append(_signatures(p, width))
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
        title=f"维修结算单 Repair bill {bill.number}", author="After-sales platform", subject=bill.number,
        # The canvas's own first font is the bill's face too, or the PDF would name Helvetica, unembedded.
        initialFontName=font(),
    )
    document.build(story)
    return buffer.getvalue()


def _company(bill: BillRead, p) -> list:
    company = bill.company
    if company is None:
        return []
    return [
        p(company.name, "subtitle"),
        p(f"{company.address}　电话 Tel {company.phone}", "centre_small"),
        p(f"纳税人识别号 Taxpayer ID {company.taxpayer_id}　开户行 Bank {company.bank}　账号 Account "
          f"{company.account}", "centre_small"),
        Spacer(1, 3 * mm),
    ]


def _links(bill: BillRead, p) -> list:
    found = []
    if bill.replaces:
        found.append(p(f"本单替代已作废的结算单 {bill.replaces}。 Replaces void bill {bill.replaces}.", "base"))
    if bill.replaced_by:
        found.append(p(f"本单已作废，由结算单 {bill.replaced_by} 替代。 Replaced by bill {bill.replaced_by}.", "base"))
    return found


def _settlement(bill: BillRead, p, width: float) -> list:
    rows = []
    if bill.payment is not None:
        method = PAYMENT.get(bill.payment.method, "—") if bill.payment.method else "无需付款 Nothing to pay"
        rows.append([p("付款方式 Paid by"), p(method + (f"　{bill.payment.reference}" if bill.payment.reference
                                                         else ""))])
        if bill.payment.taken_by is not None:
            rows.append([p("收款人 Taken by"), p(bill.payment.taken_by.name)])
    if bill.fapiao is not None:
        rows.append([p("发票号码 Fapiao"), p(f"{bill.fapiao.number}（{bill.fapiao.issued_on.isoformat()}）")])
    if not rows:
        return []
    return [Spacer(1, 2 * mm), _grid(rows, [width * 0.3, width * 0.7])]


def _signatures(p, width: float):
    """Three boxes the paper is signed and sealed in, kept together on one page."""
    boxes = Table(
        [[[p("维修技师签字"), p("Technician's signature")], [p("客户签字"), p("Customer's signature")],
          [p("公司盖章"), p("Company seal")]],
         ["", "", ""],
         [p("日期 Date:"), p("日期 Date:"), p("日期 Date:")]],
        colWidths=[width / 3] * 3, rowHeights=[None, 16 * mm, None], hAlign="LEFT",
    )
    boxes.setStyle(TableStyle([
        ("BOX", (0, 0), (0, -1), 0.6, colors.black), ("BOX", (1, 0), (1, -1), 0.6, colors.black),
        ("BOX", (2, 0), (2, -1), 0.6, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), font()),
    ]))
    return KeepTogether([Spacer(1, 4 * mm), boxes])


def _qty(qty: Decimal) -> str:
    return format(qty.normalize(), "f")


def _percent(rate: Decimal) -> str:
    return f"{format((rate * 100).normalize(), 'f')}%"
