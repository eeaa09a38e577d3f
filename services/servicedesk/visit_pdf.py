"""A visit's report as an A4 PDF in Chinese, in three copies (一式三份): 用户联, 售后服务中心联, 维修站联.

Each copy has the whole record (every checklist item with its result, the
reading with its unit and normal range, out-of-range readings marked), the
parts used, the notes, the technician, and the customer's name with the
signature drawn on the phone. Fonts and building blocks: shared/pdf.py.
"""

import struct
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

import structlog
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, PageBreak, SimpleDocTemplate, Spacer

from services.servicedesk.domain import checklists
from services.servicedesk.domain.calendar import CHINA
from shared import glossary
from shared.pdf import grid, para, styles

log = structlog.get_logger("servicedesk.visit_pdf")
COPIES = ("第一联 用户联", "第二联 售后服务中心联", "第三联 维修站联")
SIGNATURE_BOX = (60 * mm, 22 * mm)


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """What warranty says of the unit; None fields when it could not be asked (the report still prints)."""

    product_name: str | None = None
    site: str | None = None


def _when(text: str | None) -> str:
    if not text:
        return "—"
    return datetime.fromisoformat(text).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def _number(value) -> str:
    return "" if value is None else f"{value:g}"


def _plain(value) -> str:
    return format(value.normalize(), "f")


def _range(measure: checklists.Measure | None) -> str:
    if measure is None or (measure.min is None and measure.max is None):
        return ""
    low = _plain(measure.min) if measure.min is not None else ""
    high = _plain(measure.max) if measure.max is not None else ""
    if low and high:
        return f"{low}~{high}"
    return f"≥ {low}" if low else f"≤ {high}"


def _signature(png: bytes):
    """The signature scaled into its box, or None when the bytes do not make an image."""
    try:
        width, height = struct.unpack(">II", png[16:24])
        scale = min(SIGNATURE_BOX[0] / width, SIGNATURE_BOX[1] / height)
        image = Image(BytesIO(png), width=width * scale, height=height * scale)
        image.hAlign = "LEFT"
        return image
    except Exception as exc:  # a PNG reportlab cannot draw: the report still prints, saying so
        log.warning("signature_unreadable", error=str(exc))
        return None


def render(visit: dict, entries: list[checklists.Entry], png: bytes, unit: UnitInfo,
           ticket_number: str | None = None) -> bytes:
    s = styles()
    s["flag"] = ParagraphStyle("flag", parent=s["small"], textColor=colors.red)
    p = lambda text, style="base": para(text, s[style])  # noqa: E731
    width = A4[0] - 36 * mm
    record = visit["record"]
    kind_zh, kind_en = glossary.VISIT_KINDS[visit["kind"]], checklists.KIND_NAMES[visit["kind"]][1]
    by_code = {e.code: e for e in entries}
    rows = [[p("编码 Code"), p("项目 Item"), p("结果 Result"), p("测量值 Reading"), p("正常范围 Range"),
             p("备注 Notes")]]
    for item in record["items"]:
        entry = by_code.get(item["code"])
        measure = entry.measure if entry else None
        reading = [p(f"{_number(item.get('value'))} {measure.unit}" if measure and item.get("value") is not None
                     else "")]
        if item.get("out_of_range"):
            reading.append(p("超出范围", "flag"))
        rows.append([p(item["code"], "small"), p(f"{entry.zh if entry else item['code']}"),
                     p(glossary.CHECK_RESULTS[item["result"]]), reading,
                     p(f"{_range(measure)} {measure.unit}" if _range(measure) else ""),
                     p(item.get("notes") or "")])
    parts = "；".join(f"{part['part_number']} × {part['qty']}" for part in record.get("parts_used") or []) or "无"
    image = _signature(png) if png else None
    story = []
    for n, copy in enumerate(COPIES):
        if n:
            story.append(PageBreak())
        story += [
            p(f"{kind_zh}记录", "title"),
            p(f"{kind_en} report / {copy}", "subtitle"),
            Spacer(1, 4 * mm),
            grid([
                [p("记录编号"), p(f"#{visit['id']}"), p("类型"), p(kind_zh)],
                [p("机组序列号"), p(visit["serial_number"]), p("型号"), p(visit.get("model_code") or "—")],
                [p("产品名称"), p(unit.product_name or "—"), p("维修站"), p(visit.get("station") or "—")],
                [p("安装地点"), p(unit.site or "—"), p("维保合同"),
                 p(f"#{visit['contract_id']}" if visit.get("contract_id") else "保修期内服务")],
                [p("计划日期"), p(str(visit["due_on"])), p("完成时间"), p(_when(record["at"]))],
                [p("技术员"), p(record["technician"]), p("录入时间"),
                 p(_when(record.get("entered_at") or record["at"]))],
            ], [width * 0.16, width * 0.34, width * 0.16, width * 0.34]),
            p("检查项目 Checklist", "heading"),
            grid(rows, [width * 0.18, width * 0.26, width * 0.09, width * 0.16, width * 0.14, width * 0.17],
                 header=True),
            p("更换配件 Parts used", "heading"),
            p(parts),
            p("备注 Notes", "heading"),
            p(record.get("notes") or "—"),
        ]
        if visit.get("out_of_range"):
            story.append(p(f"超出正常范围的测量值：{'、'.join(visit['out_of_range'])}", "heading"))
        if ticket_number:
            story.append(p(f"需维修项目已生成报修单 {ticket_number}（三级）", "heading"))
        story += [
            Spacer(1, 4 * mm),
            grid([[p("用户签字 Customer"), image or p("（签名无法显示）"), p("技术员 Technician"),
                   p(record["technician"])],
                  [p("用户姓名 Name"), p(record["customer"]["name"]), p("日期 Date"), p(_when(record["at"])[:10])]],
                 [width * 0.18, width * 0.37, width * 0.18, width * 0.27]),
            Spacer(1, 3 * mm),
            p("本记录一式三份：用户联、售后服务中心联、维修站联。", "small"),
        ]
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=16 * mm,
        title=f"{kind_zh}记录 #{visit['id']}", author="After-sales platform", subject=visit["serial_number"],
    )
    document.build(story)
    return buffer.getvalue()
