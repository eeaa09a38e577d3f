"""The audit trail page (操作日志) for admins and managers: the platform's trail by object, person and
period, newest first, a page at a time, each change as its fields' values before and after; the
same selection as an Excel file. It reads the trail the way /admin/audit serves it (gateway/trail.py)."""

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends

from gateway import reports, trail
from gateway.web import glossary, manager, pages
from gateway.web.i18n import N_
from gateway.web.pages import Page
from shared import errors

router = APIRouter(prefix="/app/admin/audit")
AuditPage = Annotated[Page, Depends(pages.for_roles("manager"))]
PAGE_SIZE = 30
FILTERS = ("object_type", "object_id", "actor", "since", "until")
FIELD_WORDS = {"object_type": N_("Kind of record"), "object_id": N_("Record number or code"),
               "actor": N_("Person or program"), "since": N_("First day"), "until": N_("Last day of the period"),
               "cursor": N_("Page")}


def chosen(page: Page) -> dict[str, str]:
    params = page.request.query_params
    found = {name: params.get(name, "").strip() for name in FILTERS}
    if found["object_type"] not in glossary.OBJECT_TYPES:
        found["object_type"] = ""
    return found


def query_of(found: dict[str, str], *, limit: int, cursor: str = "") -> trail.TrailQuery:
    return trail.parse({**found, "limit": str(limit), "cursor": cursor})


def bad_input(page: Page, exc: errors.ServiceError) -> dict:
    fields = [glossary.word(page.t, FIELD_WORDS, e.get("field")) for e in exc.extra.get("errors", [])]
    return {**pages.trouble(page, None, code="bad_input"), "fields": fields}


def value_text(page: Page, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return page.t.gettext(N_("Yes") if value else N_("No"))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def entry_view(page: Page, item: dict) -> dict:
    """An entry in the reader's words: names, never internal ids; each changed field before and after."""
    t = page.t
    actor = item.get("actor") or {}
    changes = item.get("changes") or {}
    return {
        "when": t.timestamp(item.get("at")),
        "service": glossary.word(t, glossary.SERVICES, item.get("service")),
        "object_type": glossary.word(t, glossary.OBJECT_TYPES, item.get("object_type")),
        "object_id": item.get("object_id") or "",
        "action": glossary.word(t, glossary.ACTIONS, item.get("action")),
        "who": actor.get("name") or glossary.word(t, glossary.ACTOR_KINDS, actor.get("kind")),
        "who_kind": glossary.word(t, glossary.ACTOR_KINDS, actor.get("kind")),
        "changes": [(name, value_text(page, pair[0] if isinstance(pair, list) and pair else None),
                     value_text(page, pair[1] if isinstance(pair, list) and len(pair) > 1 else pair))
                    for name, pair in changes.items()],
        "request_id": item.get("request_id") or "",
    }


@router.get("")
@router.get("/")
async def audit_page(page: AuditPage):
    found = chosen(page)
    cursor = page.request.query_params.get("cursor", "").strip()
    entries, next_cursor, trouble, status = [], None, None, 200
    try:
        query = query_of(found, limit=PAGE_SIZE, cursor=cursor)
        answer = await trail.page(query, trail.fetcher(page.state.gateway, page.caller, page.state.uow))
        entries = [entry_view(page, item) for item in answer["items"]]
        next_cursor = answer["next_cursor"]
    except errors.ServiceError as exc:
        status = exc.status
        if exc.status == 422:
            trouble = bad_input(page, exc)
        else:
            trouble = pages.trouble(page, {"code": exc.code, "detail": exc.detail, "status": exc.status})
    selection = {k: v for k, v in found.items() if v}
    return pages.render(
        page, "admin/audit.html", status=status, found=found, entries=entries, trouble=trouble, glossary=glossary,
        tabs=manager.TABS, report="",
        paged=bool(cursor), older=f"?{urlencode({**selection, 'cursor': next_cursor})}" if next_cursor else "",
        newest="?" + urlencode(selection), download="/app/admin/audit/download?" + urlencode(selection))


@router.get("/download")
async def audit_download(page: AuditPage):
    found = chosen(page)
    state = page.state
    try:
        query = query_of(found, limit=trail.MAX_LIMIT)
        items, more = await trail.walk(query, trail.fetcher(state.gateway, page.caller, state.uow),
                                       reports.XLSX_ROWS_CAP)
    except errors.ServiceError as exc:
        trouble = bad_input(page, exc) if exc.status == 422 else pages.trouble(
            page, {"code": exc.code, "detail": exc.detail, "status": exc.status})
        return pages.render(page, "error.html", status=exc.status, trouble=trouble)
    body = reports.audit_workbook(items, more, query, state.catalogs.get("zh_CN"), state.clock.now())
    return pages.finish(page, reports.download(body, reports.audit_filename(state.clock.now())))
