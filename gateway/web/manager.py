"""The manager's pages: each area's figures for a period (domain.md section 9) as a chart and a table,
picked by month or by dates and grouped from a list, and the same figures as an Excel file.

The figures come the way the API serves them (gateway/reports.py): the same query contract
(gateway/figures.py), from the service that keeps the records, as the signed-in person.
"""

import calendar
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends

from gateway import figures, reports
from gateway.web import glossary, pages, station
from gateway.web.i18n import N_
from gateway.web.pages import Page
from shared import errors

router = APIRouter(prefix="/app/manager")
ManagerPage = Annotated[Page, Depends(pages.for_roles("manager"))]
MONTHS_OFFERED = 24
# What each page groups by first: the service desk by station (the on-time rates per milestone).
PAGE_GROUPING = {"service": "station", "warranty": "cause", "parts": "part", "billing": "month"}
FIELD_WORDS = {"from": N_("First day"), "to": N_("Last day of the period"), "group_by": N_("Group by"),
               "format": N_("File")}
TABS = (("service", N_("Service desk")), ("warranty", N_("Warranty")), ("parts", N_("Parts")),
        ("billing", N_("Billing")))


def months(today: date) -> list[date]:
    """The first days of this month and the months before it, newest first."""
    found, year, month = [], today.year, today.month
    for _ in range(MONTHS_OFFERED):
        found.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found


def month_period(text: str, today: date) -> tuple[str, str] | None:
    """The first and last day of a month picked from the list (today for this month)."""
    offered = {m.strftime("%Y-%m"): m for m in months(today)}
    first = offered.get(text)
    if first is None:
        return None
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return first.isoformat(), min(last, today).isoformat()


def asked(page: Page, report: str, today: date) -> dict[str, str]:
    """The period and grouping asked for: a month from the list, else the dates typed, else this month."""
    params = page.request.query_params
    chosen = {"group_by": params.get("group_by", "").strip() or PAGE_GROUPING[report],
              "month": params.get("month", "").strip(), "from": params.get("from", "").strip(),
              "to": params.get("to", "").strip()}
    if not chosen["from"] and not chosen["to"]:
        period = month_period(chosen["month"] or today.strftime("%Y-%m"), today)
        if period:
            chosen["month"] = chosen["month"] or today.strftime("%Y-%m")
            chosen["from"], chosen["to"] = period
    else:
        chosen["month"] = ""
    return chosen


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def shown(page: Page, kind: str, value: Any) -> str:
    """A figure as the table shows it."""
    if value is None or value == "":
        return "—"
    t = page.t
    if kind == "money":
        return t.money(value)
    if kind == "percent":
        number = _float(value)
        return f"{number * 100:.1f}%" if number is not None else str(value)
    if kind in ("minutes", "number"):
        number = _float(value)
        return f"{number:,.1f}" if number is not None else str(value)
    if kind == "int":
        number = _float(value)
        return f"{number:,.0f}" if number is not None else str(value)
    return str(value)


def row_label(page: Page, query: figures.Query, row: dict) -> str:
    if query.group_by == "month" and len(row["key"]) == 7:
        try:
            return page.t.month(date.fromisoformat(row["key"] + "-01"))
        except ValueError:
            pass
    return glossary.row_name(page.t, query.group_by, row["key"], row["name"])


def chart(page: Page, table: figures.Table) -> dict:
    """What the chart draws (gateway/web/static/manager.js reads it from the page as JSON)."""
    columns = table.charted()
    kind = table.kinds[columns[0]] if columns else "int"
    return {
        "kind": kind,
        "categories": [row_label(page, table.query, r) for r in table.rows],
        "series": [{"name": glossary.label(page.t, c), "data": [_float(r["values"].get(c)) for r in table.rows]}
                   for c in columns],
    }


@dataclass
class Result:
    chosen: dict[str, str]
    query: figures.Query | None = None
    table: figures.Table | None = None
    trouble: dict | None = None
    status: int = 200


def problem_of(status: int, body: bytes) -> dict:
    try:
        problem = json.loads(body)
    except ValueError:
        problem = None
    problem = problem if isinstance(problem, dict) else {}
    problem.setdefault("code", errors.STATUS_CODES.get(status, "internal_error"))
    return problem


async def figures_for(page: Page, report: str) -> Result:
    """The figures asked for on this page, or what went wrong, in the reader's words."""
    today = station.today_in_china(page)
    result = Result(asked(page, report, today))
    try:
        result.query = figures.parse(report, result.chosen, today)
    except errors.Unprocessable as exc:
        fields = [glossary.word(page.t, FIELD_WORDS, e["field"]) for e in exc.extra.get("errors", [])]
        result.trouble = {**pages.trouble(page, None, code="bad_input"), "fields": fields}
        result.status = 422
        return result
    try:
        answer = await reports.fetch_figures(page.state.gateway, page.caller, result.query)
        if answer.status != 200:
            result.trouble, result.status = pages.trouble(page, problem_of(answer.status, answer.body)), answer.status
            return result
        result.table = reports.read_figures(result.query, answer)
    except errors.ServiceError as exc:
        result.trouble = pages.trouble(page, {"code": exc.code, "detail": exc.detail, "status": exc.status})
        result.status = exc.status
    return result


@router.get("")
@router.get("/")
async def home(page: ManagerPage):
    return await figures_page("service", page)


@router.get("/{report}")
async def figures_page(report: str, page: ManagerPage):
    if report not in figures.REPORTS:
        return pages.render(page, "error.html", status=404, trouble=pages.trouble(page, None, code="not_found"))
    result = await figures_for(page, report)
    table = result.table
    values = {"chosen": result.chosen, "query": result.query, "table": table, "trouble": result.trouble,
              "report": report, "tabs": TABS, "months": months(station.today_in_china(page)),
              "groupings": figures.REPORTS[report].group_by, "glossary": glossary,
              "shown": lambda kind, value: shown(page, kind, value)}
    if table is not None:
        values["chart"] = chart(page, table)
        values["labels"] = {c: glossary.label(page.t, c) for c in table.columns}
        values["row_label"] = lambda row: row_label(page, table.query, row)
        values["download"] = f"/app/manager/{report}/download?" + urlencode(table.query.upstream_params())
    return pages.render(page, "manager/figures.html", status=result.status, **values)


@router.get("/{report}/download")
async def download(report: str, page: ManagerPage):
    if report not in figures.REPORTS:
        return pages.render(page, "error.html", status=404, trouble=pages.trouble(page, None, code="not_found"))
    result = await figures_for(page, report)
    if result.table is None:
        return pages.render(page, "error.html", status=result.status, trouble=result.trouble)
    catalogs = page.state.catalogs
    body = figures.workbook(result.table, catalogs.get("zh_CN"), catalogs.get("en"), page.state.clock.now())
    return pages.finish(page, reports.download(body, figures.filename(result.table.query)))
