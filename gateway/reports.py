"""The gateway's routes for managers: the figures of domain.md section 9 (`/reports/*`, each served by
the service that keeps the records, validated and passed on here) and the platform's audit trail
(`/admin/audit`, merged from every service). JSON by default, an Excel workbook with `?format=xlsx`.

Who may read what is the rules table's (gateway/rules.py); the services check again.
"""

import json
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from gateway import figures, trail, xlsx
from gateway.web import glossary
from gateway.web.i18n import CHINA_TIME
from shared import errors, openapi
from shared.upstream import UpstreamResponse

router = APIRouter()
PASSED_HEADERS = frozenset({b"content-type", b"retry-after"})
XLSX_ROWS_CAP = 50_000
FIGURES_EXAMPLE = {
    "from": "2026-11-01", "to": "2026-11-30", "group_by": "station",
    "rows": [{"key": "ST-JINAN-07", "name": "济南七站", "reports": 42,
              "on_time_rate": {"dispatch": 0.95, "on_site": 0.9, "fixed": 0.81}}],
}
AUDIT_EXAMPLE = {
    "items": [{"at": "2026-11-27T08:00:00Z", "actor": {"kind": "user", "id": "user:12", "name": "王磊"},
               "action": "update", "service": "inventory", "object_type": "part", "object_id": "P-100",
               "changes": {"name": ["压缩机", "压缩机 5HP"]}, "request_id": "6f1c2a9e4b7d4c0f"}],
    "next_cursor": None,
}
XLSX_CONTENT = {xlsx.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}


def caller_of(request: Request):
    return request.scope.get("state", {}).get("caller")


def today(request: Request):
    return request.app.state.clock.now().astimezone(CHINA_TIME).date()


async def fetch_figures(gateway, caller, query: figures.Query) -> UpstreamResponse:
    """The report from the service that owns it, asked as the caller."""
    target = f"/reports/{query.report.name}?" + urlencode(query.upstream_params())
    return await gateway.send_upstream(query.report.service, caller, "GET", target, [(b"accept", b"application/json")],
                                       b"", gateway.settings.gateway_timeout_seconds)


def read_figures(query: figures.Query, answer: UpstreamResponse) -> figures.Table:
    """The service's 200 answer as a table; an answer that is not a report is the service's fault (503)."""
    try:
        data = json.loads(answer.body)
        if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
            raise ValueError("no rows")
    except ValueError as exc:
        raise errors.UpstreamUnavailable(f"The {query.report.service} service gave unreadable figures") from exc
    return figures.table(query, data)


def passed_on(answer: UpstreamResponse) -> Response:
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in answer.headers if k.lower() in PASSED_HEADERS}
    return Response(answer.body, status_code=answer.status, headers=headers)


def download(body: bytes, filename: str) -> Response:
    return Response(body, media_type=xlsx.MEDIA_TYPE, headers={"Content-Disposition": xlsx.disposition(filename),
                                                                "Cache-Control": "no-store"})


def workbook_words(request: Request):
    catalogs = request.app.state.catalogs
    return catalogs.get("zh_CN"), catalogs.get("en")


def _figures_route(name: str, summary: str):
    report = figures.REPORTS[name]

    @openapi.operation(f"get{name.capitalize()}Figures", summary, answer=FIGURES_EXAMPLE,
                       errors={422: "validation_error"},
                       description=f"`group_by`: {', '.join(report.group_by)} (default {report.group_by[0]}); "
                                   "`from` and `to` are dates, both included, at most three years apart "
                                   "(default: this month up to today, China Standard Time). "
                                   "`format=xlsx` answers an Excel workbook with Chinese headers.")
    @router.get(f"/reports/{name}", tags=["figures"], name=f"{name}_figures",
                responses={200: {"content": XLSX_CONTENT}})
    async def figures_of(
        request: Request,
        from_: str | None = Query(None, alias="from", description="YYYY-MM-DD"),
        to: str | None = Query(None, description="YYYY-MM-DD"),
        group_by: str | None = Query(None, description=" | ".join(report.group_by)),
        format: str | None = Query(None, description="json (default) or xlsx"),
    ) -> Response:
        query = figures.parse(name, request.query_params, today(request))
        gateway = request.app.state.gateway
        answer = await fetch_figures(gateway, caller_of(request), query)
        if answer.status != 200 or query.format == "json":
            return passed_on(answer)
        zh, en = workbook_words(request)
        body = figures.workbook(read_figures(query, answer), zh, en, request.app.state.clock.now())
        return download(body, figures.filename(query))

    return figures_of


for _name, _summary in (("service", "The service desk's figures for a period"),
                        ("warranty", "Warranty claims and cost for a period"),
                        ("parts", "Parts issued and supply-guarantee shortfalls for a period"),
                        ("billing", "Bills issued, paid and voided, net, VAT and total, by month")):
    _figures_route(_name, _summary)


AUDIT_COLUMNS = (
    ("时间", "datetime"), ("系统", "text"), ("对象类型", "text"), ("对象编号", "text"), ("操作", "text"),
    ("操作人", "text"), ("操作人类别", "text"), ("字段", "text"), ("修改前", "value"), ("修改后", "value"),
    ("请求编号", "text"),
)


def audit_rows(items: list[dict], zh):
    """One row per changed field (an entry that changed no field: one row), in the workbook's words."""
    for item in items:
        actor = item.get("actor") or {}
        head = [item.get("at"), glossary.word(zh, glossary.SERVICES, item.get("service")),
                glossary.word(zh, glossary.OBJECT_TYPES, item.get("object_type")), item.get("object_id"),
                glossary.word(zh, glossary.ACTIONS, item.get("action")), actor.get("name"),
                glossary.word(zh, glossary.ACTOR_KINDS, actor.get("kind"))]
        changes = item.get("changes") or {}
        if not changes:
            yield [*head, None, None, None, item.get("request_id")]
        for name, pair in changes.items():
            before, after = (list(pair) + [None, None])[:2] if isinstance(pair, list | tuple) else (None, pair)
            yield [*head, name, before, after, item.get("request_id")]


def audit_workbook(items: list[dict], more: bool, query: trail.TrailQuery, zh, now) -> bytes:
    notes = [("报表", "操作日志"), ("生成时间", xlsx.typed(now, "datetime"))]
    for label, value in (("对象类型", query.object_type), ("对象编号", query.object_id), ("操作人", query.actor),
                         ("起始", query.since), ("截止", query.until)):
        if value:
            notes.append((label, xlsx.typed(value, "datetime") if label in ("起始", "截止") else value))
    if more:
        notes.append(("说明", f"只含最新的 {XLSX_ROWS_CAP} 条记录；请缩小范围后再下载。"))
    columns = [xlsx.Column(header, kind) for header, kind in AUDIT_COLUMNS]
    return xlsx.workbook([xlsx.Sheet("操作日志", columns, audit_rows(items, zh), notes=notes)])


def audit_filename(now) -> str:
    return f"audit-{now.astimezone(CHINA_TIME):%Y%m%d-%H%M}.xlsx"


@openapi.operation("listAuditTrail", "The audit trail of the whole platform, newest first", answer=AUDIT_EXAMPLE,
                   errors={422: ("validation_error", "invalid_cursor")},
                   description="Every service's trail and the gateway's own (people and keys) in one list. "
                               "`since` and `until` take a date (a whole day, China Standard Time) or an "
                               "RFC 3339 time. `format=xlsx` answers an Excel workbook of up to 50 000 entries "
                               "(one row per changed field). Roles admin and manager; nothing changes it.")
@router.get("/admin/audit", tags=["admin"], responses={200: {"content": XLSX_CONTENT}})
async def audit_trail(
    request: Request,
    object_type: str | None = None, object_id: str | None = None, actor: str | None = None,
    since: str | None = Query(None, description="YYYY-MM-DD or RFC 3339"),
    until: str | None = Query(None, description="YYYY-MM-DD or RFC 3339"),
    limit: int | None = Query(None, ge=1, le=trail.MAX_LIMIT), cursor: str | None = None,
    format: str | None = Query(None, description="json (default) or xlsx"),
) -> Response:
    query = trail.parse(request.query_params)
    if format not in (None, "", "json", "xlsx"):
        raise errors.Unprocessable("The audit trail's query is not valid",
                                   errors=[{"field": "format", "message": "json or xlsx"}])
    state = request.app.state
    fetch = trail.fetcher(state.gateway, caller_of(request), state.uow)
    if format != "xlsx":
        return Response(json.dumps(await trail.page(query, fetch), ensure_ascii=False),
                        media_type="application/json")
    wide = trail.TrailQuery(query.object_type, query.object_id, query.actor, query.since, query.until,
                            trail.MAX_LIMIT, query.positions)
    items, more = await trail.walk(wide, fetch, XLSX_ROWS_CAP)
    zh, _en = workbook_words(request)
    body = audit_workbook(items, more, query, zh, state.clock.now())
    return download(body, audit_filename(state.clock.now()))
