"""The management figures (domain.md section 9) as the gateway serves them: which service owns each
report, how it may be grouped, the query the API and the manager's pages both validate with, and
the report's rows as one flat table (the page's table and chart, the Excel workbook)."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from gateway import xlsx
from gateway.web import glossary
from gateway.web.i18n import Translator
from shared import errors


@dataclass(frozen=True, slots=True)
class Report:
    name: str
    service: str
    group_by: tuple[str, ...]


REPORTS = {report.name: report for report in (
    Report("service", "servicedesk", ("centre", "station", "technician", "month")),
    Report("warranty", "warranty", ("cause", "model", "decision", "month")),
    Report("parts", "inventory", ("part", "warehouse", "month")),
    Report("billing", "billing", ("month",)),
)}
FORMATS = ("json", "xlsx")
MAX_YEARS = 3
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Query:
    report: Report
    start: date
    end: date
    group_by: str
    format: str = "json"

    def upstream_params(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "group_by": self.group_by}


def month_start(day: date) -> date:
    return day.replace(day=1)


def latest_end(start: date) -> date:
    """The last day a period starting on `start` may reach: three years, both ends included."""
    year = start.year + MAX_YEARS
    if year > date.max.year:
        return date.max
    try:
        anniversary = start.replace(year=year)
    except ValueError:  # 29 February
        anniversary = date(year, 3, 1)
    return anniversary - timedelta(days=1)


def _day(params: Mapping[str, str], name: str, default: date, problems: list[dict]) -> date:
    text = (params.get(name) or "").strip()
    if not text:
        return default
    try:
        if not ISO_DATE.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        problems.append({"field": name, "message": "a date as YYYY-MM-DD"})
        return default


def parse(name: str, params: Mapping[str, str], today: date) -> Query:
    """The query of a report, or 422 `validation_error` naming each field that is wrong. Without
    `from` and `to` the period is this month up to today; without `group_by`, the report's first."""
    report = REPORTS.get(name)
    if report is None:
        raise errors.NotFound(f"No report named {name}")
    problems: list[dict] = []
    start = _day(params, "from", month_start(today), problems)
    end = _day(params, "to", today, problems)
    group_by = (params.get("group_by") or "").strip() or report.group_by[0]
    if group_by not in report.group_by:
        problems.append({"field": "group_by", "message": "one of " + ", ".join(report.group_by)})
    answer_format = (params.get("format") or "").strip() or "json"
    if answer_format not in FORMATS:
        problems.append({"field": "format", "message": "json or xlsx"})
    if not problems and start > end:
        problems.append({"field": "to", "message": "on or after from"})
    if not problems and end > latest_end(start):
        problems.append({"field": "to", "message": f"at most {MAX_YEARS} years after from"})
    if problems:
        raise errors.Unprocessable("The figures' query is not valid", errors=problems)
    return Query(report, start, end, group_by, answer_format)


@dataclass
class Table:
    """A report's rows flattened: a figure that comes as an object becomes one column per part."""

    query: Query
    columns: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)  # {"key", "name", "values": {column: value}}

    def charted(self) -> list[str]:
        """The columns the chart shows: the report's headline figure, else the first numbers of one kind."""
        for group in glossary.CHARTED.get(self.query.report.name, ()):
            chosen = [c for c in self.columns if c in group or c.split(".", 1)[0] in group]
            if chosen:
                return chosen[:8]
        numeric = [c for c in self.columns if self.kinds[c] not in ("text",)]
        if not numeric:
            return []
        kind = self.kinds[numeric[0]]
        return [c for c in numeric if self.kinds[c] == kind][:6]


def _flatten(prefix: str, value: Any, into: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}", inner, into)
    elif isinstance(value, list):
        into[prefix] = ", ".join(str(v) for v in value)
    else:
        into[prefix] = value


def table(query: Query, answer: Mapping[str, Any]) -> Table:
    result = Table(query)
    for row in answer.get("rows") or []:
        if not isinstance(row, Mapping):
            continue
        values: dict[str, Any] = {}
        for name, value in row.items():
            if name not in ("key", "name"):
                _flatten(name, value, values)
        for name, value in values.items():
            if name not in result.kinds:
                result.columns.append(name)
                result.kinds[name] = glossary.kind_of(name, value)
            elif result.kinds[name] == "text" and value is not None:
                result.kinds[name] = glossary.kind_of(name, value)
        key = row.get("key")
        result.rows.append({"key": "" if key is None else str(key), "name": row.get("name") or "", "values": values})
    return result


def group_label(t: Translator, query: Query) -> str:
    return glossary.word(t, glossary.GROUPS, query.group_by)


def workbook(table: Table, zh: Translator, en: Translator, now: datetime) -> bytes:
    """The report as an Excel file: the figures (Chinese headers, typed cells), then the glossary."""
    query = table.query
    key_kind = "month" if query.group_by == "month" else "text"
    columns = [xlsx.Column(group_label(zh, query) + "（代码）", key_kind), xlsx.Column(group_label(zh, query), "text")]
    columns += [xlsx.Column(glossary.label(zh, c), table.kinds[c]) for c in table.columns]
    rows = ([r["key"], glossary.row_name(zh, query.group_by, r["key"], r["name"]),
             *(r["values"].get(c) for c in table.columns)] for r in table.rows)
    title = glossary.word(zh, glossary.REPORT_TITLES, query.report.name)
    notes = [("报表", title), ("起始日期", query.start), ("截止日期", query.end),
             ("分组", group_label(zh, query)), ("生成时间", xlsx.typed(now, "datetime"))]
    figures = xlsx.Sheet(title, columns, rows, notes=notes)
    terms = [(glossary.label(zh, c), glossary.label(en, c), c) for c in table.columns]
    words = xlsx.Sheet("术语 Glossary", [xlsx.Column("中文"), xlsx.Column("English"), xlsx.Column("字段 Field")],
                       terms)
    return xlsx.workbook([figures, words])


def filename(query: Query) -> str:
    return f"figures-{query.report.name}-{query.group_by}-{query.start}-{query.end}.xlsx"
