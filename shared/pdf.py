"""A4 documents in Chinese, the same way for every service that prints (bills, visit reports).

The text is set in a CJK TrueType face embedded in the PDF (only the glyphs used), so a document
prints the same on any reader or printer: `PDF_FONT` (or the older `BILL_FONT`) names the file
(.ttf, or .ttc with `PDF_FONT_INDEX`), else the first found of the Debian faces below (the
Dockerfile and CI install fonts-wqy-microhei). Without one, reportlab's CID font STSong-Light is
used, which is not embedded (the reader brings its own Song face), and the log says so.
"""

import os
from xml.sax.saxutils import escape

import structlog
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, Table, TableStyle

log = structlog.get_logger("pdf")
EMBEDDED = "DocCJK"
FALLBACK = "STSong-Light"
FACES = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)


def _face() -> tuple[str, int] | None:
    chosen = os.environ.get("PDF_FONT") or os.environ.get("BILL_FONT")
    if chosen:
        return chosen, int(os.environ.get("PDF_FONT_INDEX") or os.environ.get("BILL_FONT_INDEX") or "0")
    return next(((path, index) for path, index in FACES if os.path.exists(path)), None)


def font() -> str:
    """The registered name of the face documents are set in (registered once per process)."""
    registered = pdfmetrics.getRegisteredFontNames()
    if EMBEDDED in registered:
        return EMBEDDED
    face = _face()
    if face is not None:
        try:
            pdfmetrics.registerFont(TTFont(EMBEDDED, face[0], subfontIndex=face[1]))
            return EMBEDDED
        except Exception as exc:  # an unreadable file, or outlines reportlab cannot embed
            log.warning("pdf_font_unusable", path=face[0], error=str(exc))
    if FALLBACK not in registered:
        log.warning("pdf_font_not_embedded", font=FALLBACK)
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return FALLBACK


def styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font(), fontSize=9, leading=11.5)
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=TA_CENTER),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11, alignment=TA_CENTER),
        "heading": ParagraphStyle("heading", parent=base, fontSize=10.5, leading=14, spaceBefore=4),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11, textColor=colors.grey),
        "centre_small": ParagraphStyle("centre_small", parent=base, fontSize=8.5, leading=11, alignment=TA_CENTER),
    }


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """Plain text in a paragraph (escaped: a value is never read as markup)."""
    return Paragraph(escape(text), style)


def grid(rows: list[list], widths: list[float], *, header: bool = False) -> Table:
    table = Table(rows, colWidths=widths, hAlign="LEFT")
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), font()),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")))
    table.setStyle(TableStyle(commands))
    return table
