"""Excel workbooks (.xlsx) for people who keep working on a table after they download it.

Every cell is written with its type: a count is an integer, money a number shown with two places,
a rate a number shown as a percentage, a date a date, a time a date and time in China Standard Time
(Excel has no time zones); only text is text, and a text is never taken for a formula. Written in
openpyxl's write-only mode, so a sheet of tens of thousands of rows streams out without holding a
cell object per value.
"""

import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any
from urllib.parse import quote

from gateway.web.i18n import CHINA_TIME

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = ("text", "int", "number", "money", "percent", "minutes", "date", "month", "datetime", "value")
FORMATS = {
    "int": "#,##0",
    "number": "#,##0.##",
    "money": "#,##0.00",
    "percent": "0.0%",
    "minutes": "#,##0.0",
    "date": "yyyy-mm-dd",
    "month": "yyyy-mm",
    "datetime": "yyyy-mm-dd hh:mm:ss",
}
# Excel's own limit on a sheet name, and the characters it refuses in one.
SHEET_NAME_MAX = 31
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    kind: str = "text"
    width: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    notes: list[tuple[str, str]] = field(default_factory=list)  # (label, value) lines above the table


def _number(value: Any) -> int | float | Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, int | float | Decimal):
        return value
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        try:
            value = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA_TIME).replace(tzinfo=None)


def typed(value: Any, kind: str) -> Any:
    """The value as the cell should hold it; a value that is not of the column's kind stays text."""
    if value is None or value == "":
        return None
    if kind == "value":  # whatever a field held: a number stays a number, anything else is its text
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return value
        value = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list | bool) else value
        kind = "text"
    converted: Any = None
    if kind in ("int", "number", "money", "percent", "minutes"):
        converted = _number(value)
        if kind == "money" and isinstance(converted, Decimal):
            converted = converted.quantize(Decimal("0.01"))
        if kind == "int" and isinstance(converted, Decimal) and converted == converted.to_integral_value():
            converted = int(converted)
    elif kind == "date":
        converted = _date(value)
    elif kind == "month":
        converted = _date(f"{value}-01" if isinstance(value, str) and len(value) == 7 else value)
    elif kind == "datetime":
        converted = _datetime(value)
    if converted is not None:
        return converted
    return value if isinstance(value, str) else str(value)


def sheet_name(title: str) -> str:
    return _SHEET_NAME_BAD.sub(" ", title)[:SHEET_NAME_MAX] or "Sheet"


def _width(column: Column) -> float:
    if column.width:
        return column.width
    # CJK letters are about twice as wide as Latin ones.
    shown = sum(2 if ord(ch) > 0x2E80 else 1 for ch in column.header)
    least = {"date": 12, "datetime": 20, "money": 14}.get(column.kind, 10)
    return max(least, min(60, shown + 4))


@cache
def _header_style() -> tuple:
    from openpyxl.styles import Alignment, Font, PatternFill

    return Font(bold=True), PatternFill("solid", fgColor="DDEBF7"), Alignment(wrap_text=True, vertical="top")


def _write(book, sheet: Sheet) -> int:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    header_font, header_fill, wrap = _header_style()
    ws = book.create_sheet(sheet_name(sheet.title))
    for index, column in enumerate(sheet.columns):
        ws.column_dimensions[get_column_letter(index + 1)].width = _width(column)
    header_row = len(sheet.notes) + (2 if sheet.notes else 1)
    ws.freeze_panes = f"A{header_row + 1}"
    for label, value in sheet.notes:
        label_cell = WriteOnlyCell(ws, value=label)
        label_cell.font = header_font
        ws.append([label_cell, WriteOnlyCell(ws, value=value)])
    if sheet.notes:
        ws.append([])
    headers = []
    for column in sheet.columns:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font, cell.fill, cell.alignment = header_font, header_fill, wrap
        headers.append(cell)
    ws.append(headers)
    count = 0
    for row in sheet.rows:
        cells = []
        for column, value in zip(sheet.columns, row, strict=False):
            cell = WriteOnlyCell(ws, value=typed(value, column.kind))
            if cell.data_type == "f":  # openpyxl takes a text starting with "=" for a formula: it stays text
                cell.data_type = "s"
            if column.kind in FORMATS and not isinstance(cell.value, str):
                cell.number_format = FORMATS[column.kind]
            cells.append(cell)
        ws.append(cells)
        count += 1
    return count


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """The workbook's bytes: one worksheet per sheet, in order. openpyxl (7 MB resident) is loaded with the
    first workbook a process writes, not by every gateway worker at start."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for sheet in sheets:
        _write(book, sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def disposition(filename: str) -> str:
    """Content-Disposition for a download: an ASCII name, and the name itself in RFC 5987 form."""
    plain = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "download.xlsx"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"
