"""The rows of the inventory imports (cli/stock_import.py): the columns, a spreadsheet's rows read, each
row made into the body the inventory API takes (or refused here, with a code), its Idempotency-Key, and the
reasons in Chinese or English.

Row numbers are the spreadsheet's: the header is row 1, a blank line still counts. The columns a bad-rows
file adds (`row`, `error_code`, `error`) are ignored when read back, so the corrected file imports as it is.
"""

import csv
import hashlib
import io
import json
import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

PART_COLUMNS = ("part_number", "name", "uom", "list_price", "out_of_warranty_price", "min_stock", "status",
                "loaner_class")
PART_REQUIRED = ("part_number", "name", "uom", "list_price", "out_of_warranty_price")
WAREHOUSE_COLUMNS = ("code", "name", "kind", "region")
WAREHOUSE_REQUIRED = WAREHOUSE_COLUMNS
STOCK_COLUMNS = ("part_number", "warehouse", "qty", "reference")
STOCK_REQUIRED = ("part_number", "warehouse", "qty")
OWN_COLUMNS = frozenset({"row", "error_code", "error", "error_message"})  # what a bad-rows file adds
DEFAULT_REFERENCE = "期初库存"
MAX_QTY = 1_000_000  # api.md: a receipt's qty is a positive integer up to a million (shared/types.py Qty)

# The reason of a row, by its code, in the CLI's language; a code not listed keeps the platform's detail.
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "missing_value": "{column} is empty",
        "invalid_qty": "qty must be a whole number from 0 to 1000000, not {value!r}",
        "invalid_min_stock": "min_stock must be a whole number of at least 0, not {value!r}",
        "invalid_price": "{column} must be an amount like 1280.00, not {value!r}",
        "duplicate_in_file": "{what} is already on row {row}",
        "already_received": "already received at {warehouse} with reference {reference}: qty {done} (movement "
                            "{id}), not {qty}; correct the count with an adjustment",
        "part_not_found": "no part {part_number} (import it with import-parts first)",
        "warehouse_not_found": "no warehouse {warehouse} (import it with import-warehouses first)",
        "warehouse_forbidden": "this key may not receive stock at warehouse {warehouse}",
        "idempotency_key_reused": "this row was sent before with other content",
        "validation_error": "refused: {detail}",
    },
    "zh": {
        "missing_value": "{column} 为空",
        "invalid_qty": "数量 qty 须为 0 到 1000000 的整数,而不是 {value!r}",
        "invalid_min_stock": "min_stock 须为不小于 0 的整数,而不是 {value!r}",
        "invalid_price": "{column} 须为金额,如 1280.00,而不是 {value!r}",
        "duplicate_in_file": "{what} 已在第 {row} 行",
        "already_received": "仓库 {warehouse} 已按单号 {reference} 入库 {done} 件(流水 {id}),不是 {qty} 件;"
                            "请用盘点调整更正",
        "part_not_found": "没有配件 {part_number}(请先用 import-parts 导入)",
        "warehouse_not_found": "没有仓库 {warehouse}(请先用 import-warehouses 导入)",
        "warehouse_forbidden": "此密钥不能在仓库 {warehouse} 入库",
        "idempotency_key_reused": "这一行以前以不同内容发送过",
        "validation_error": "内容不合要求:{detail}",
    },
}
NOTICES = {
    "en": {
        "row": "row {row}: {code}: {message}",
        "more": "... and {n} more (--errors FILE writes them all)",
        "done_before": "already loaded (an earlier run, or there already), skipped: rows {rows}",
        "zero": "quantity 0, nothing to receive, skipped: rows {rows}",
        "stopped": "stopped at row {row}: {created} created and {skipped} skipped before it "
                   "(running the same file again skips them)",
        "what_part": "part {part_number}",
        "what_warehouse": "warehouse {code}",
        "what_stock": "part {part_number} at warehouse {warehouse}",
    },
    "zh": {
        "row": "第 {row} 行: {code}: {message}",
        "more": "……另有 {n} 行(--errors FILE 可写出全部)",
        "done_before": "已导入过(之前的运行,或本已存在),跳过:第 {rows} 行",
        "zero": "数量为 0,无需入库,跳过:第 {rows} 行",
        "stopped": "在第 {row} 行停止:此前已新建 {created} 行、跳过 {skipped} 行(再次导入同一文件会跳过它们)",
        "what_part": "配件 {part_number}",
        "what_warehouse": "仓库 {code}",
        "what_stock": "仓库 {warehouse} 的配件 {part_number}",
    },
}


def language(chosen: str | None = None) -> str:
    """`--lang`, else AFTERSALES_LANG, else the terminal's locale (zh_* is Chinese), else English."""
    for value in (chosen, os.environ.get("AFTERSALES_LANG"), os.environ.get("LC_ALL"),
                  os.environ.get("LC_MESSAGES"), os.environ.get("LANG")):
        if value:
            return "zh" if value.strip().lower().startswith("zh") else "en"
    return "en"


def say(lang: str, code: str, /, **params) -> str:
    template = MESSAGES[lang].get(code)
    if template is None:
        return str(params.get("detail") or code)
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return str(params.get("detail") or code)


def notice(lang: str, name: str, /, **params) -> str:
    return NOTICES[lang][name].format(**params)


@dataclass
class Row:
    number: int  # the spreadsheet's row (the header is 1)
    values: dict[str, str]


class Invalid(Exception):
    """A row refused here, before sending: its code and the message's parameters."""

    def __init__(self, code: str, **params) -> None:
        super().__init__(code)
        self.code, self.params = code, params


def read_rows(text: str, columns: tuple[str, ...], required: tuple[str, ...]) -> list[Row]:
    """The rows of a CSV with a header; unknown or missing columns refuse the file (ValueError)."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(reader, None) or []
    names = [h.strip() for h in header]
    unknown = [h for h in names if h and h not in columns and h not in OWN_COLUMNS]
    missing = [c for c in required if c not in names]
    if unknown or missing:
        raise ValueError("; ".join(filter(None, [
            f"unknown columns: {', '.join(unknown)} (the columns are {', '.join(columns)})" if unknown else "",
            f"missing columns: {', '.join(missing)}" if missing else ""])))
    rows = []
    for number, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        values = {name: (record[i] if i < len(record) else "").strip()
                  for i, name in enumerate(names) if name in columns}
        rows.append(Row(number, values))
    return rows


def code_of(value: str) -> str:
    """Part numbers and warehouse codes as the inventory keeps them: trimmed, upper-case."""
    return value.strip().upper()


def _required(values: dict, *columns: str) -> None:
    for column in columns:
        if not values.get(column):
            raise Invalid("missing_value", column=column)


def _price(values: dict, column: str) -> str:
    text = values[column].replace(",", "").replace("，", "").lstrip("¥￥").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise Invalid("invalid_price", column=column, value=values[column]) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise Invalid("invalid_price", column=column, value=values[column])
    return f"{amount:.2f}"


def _whole(text: str, code: str, *, low: int, high: int) -> int:
    try:
        number = int(text.replace(",", ""))
    except ValueError:
        try:  # a spreadsheet may write 12 as 12.0
            decimal = Decimal(text.replace(",", ""))
            if not decimal.is_finite() or decimal != decimal.to_integral_value():
                raise Invalid(code, value=text) from None
            number = int(decimal)
        except InvalidOperation:
            raise Invalid(code, value=text) from None
    if not low <= number <= high:
        raise Invalid(code, value=text)
    return number


def part_body(values: dict) -> dict:
    _required(values, *PART_REQUIRED)
    body = {"part_number": code_of(values["part_number"]), "name": values["name"], "uom": values["uom"],
            "list_price": _price(values, "list_price"),
            "out_of_warranty_price": _price(values, "out_of_warranty_price")}
    if values.get("min_stock"):
        body["min_stock"] = _whole(values["min_stock"], "invalid_min_stock", low=0, high=1_000_000_000)
    if values.get("status"):
        body["status"] = values["status"].lower()
    if values.get("loaner_class"):
        body["loaner_class"] = values["loaner_class"]
    return body


def warehouse_body(values: dict) -> dict:
    _required(values, *WAREHOUSE_REQUIRED)
    return {"code": code_of(values["code"]), "name": values["name"], "kind": values["kind"].lower(),
            "region": values["region"]}


def stock_body(values: dict, reference: str) -> dict:
    _required(values, *STOCK_REQUIRED)
    return {"warehouse": code_of(values["warehouse"]), "part_number": code_of(values["part_number"]),
            "qty": _whole(values["qty"], "invalid_qty", low=0, high=MAX_QTY),
            "reference": values.get("reference") or reference}


def row_key(kind: str, body: dict) -> str:
    """The row's Idempotency-Key: what it sends, so the same row of the same file is the same request."""
    return f"import-{kind}-" + hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()
                                             ).hexdigest()[:40]
