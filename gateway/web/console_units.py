"""Units in the admin console: find one by serial number, read its terms, register one, and import a
whole project from a CSV file. The file is cut into chunks in the browser (as cli/chunks.py cuts it)
and each chunk is sent here, as the signed-in admin, to POST /warranty/units/import; a small static
script shows the progress, adds up created, skipped and errors, and offers the bad rows as a CSV."""

import hmac
import json
import re

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from gateway.web import console_common as common
from gateway.web import console_words, pages, sessions, station, words
from gateway.web.console_address import param, put_exact_first
from gateway.web.console_common import AdminPage, Field, Form
from gateway.web.i18n import N_
from gateway.web.pages import Page, seg
from shared import errors

router = APIRouter()
CHUNK_ROWS = 1000
MAX_CHUNK_BYTES = 4 * 1024 * 1024
UNIT_FORM = Form(
    fields={
        "serial_number": Field(N_("Serial number"), "serial"),
        "model_code": Field(N_("Model"), "pick"),
        "product_name": Field(N_("Product name"), "text"),
        "site_name": Field(N_("Site"), "text"),
        "site_address": Field(N_("Site address"), "text"),
        "region": Field(N_("Region"), "pick"),
        "project_code": Field(N_("Project code"), "text"),
        "accepted_on": Field(N_("Commissioning accepted on"), "date"),
        "certificate_number": Field(N_("Warranty certificate number"), "text"),
    },
    wire={"site.name": "site_name", "site.address": "site_address", "site.region": "region",
          "site": "site_name", "certificate": "certificate_number", "certificate.number": "certificate_number"},
    codes={"unit_exists": "serial_number", "unknown_region": "region", "accepted_in_future": "accepted_on",
           "bad_serial": "serial_number"},
)
# A row's problem names a field of the unit (`site.region: ...`): the file's own column is named instead.
COLUMNS = {"site.name": "site_name", "site.address": "site_address", "site.region": "region",
           "certificate.number": "certificate_number", "certificate": "certificate_number"}


@router.get("/units")
async def units(page: AdminPage):
    q, project = param(page, "q"), param(page, "project_code")
    rows = await common.listing(page, "/warranty/units", query={"project_code": project, "q": q})
    if serial := station.clean_serial(q):
        await put_exact_first(page, rows, f"/warranty/units/{seg(serial)}", "serial_number")
    return common.show(page, "console/units.html", status=rows.status, listing=rows, q=q, project=project,
                       trouble=rows.trouble)


async def unit_form(page: Page, *, status: int = 200, values=None, trouble=None, at=None):
    models = await common.every(page, "/inventory/models")
    today = station.today_in_china(page).isoformat()
    return common.show(page, "console/unit_new.html", status=status, trouble=trouble, at=at or {},
                       values=values or {"region": "shandong", "accepted_on": today},
                       models=[(m["model_code"], f'{m["model_code"]} · {m["name"]}') for m in models],
                       regions=await common.region_options(page), today=today)


@router.get("/units/new")
async def new_unit(page: AdminPage):
    return await unit_form(page)


@router.post("/units/new")
async def register_unit(page: AdminPage):
    values = common.posted(page)
    serial = station.clean_serial(values.get("serial_number", ""))
    missing = [n for n in ("serial_number", "model_code", "site_name", "accepted_on", "region") if not values.get(n)]
    if serial is None and "serial_number" not in missing:
        missing.append("serial_number")
    if missing:
        trouble, at = common.bad_input(page, UNIT_FORM, common.mark(page, UNIT_FORM, *missing))
        return await unit_form(page, status=422, values=values, trouble=trouble, at=at)
    product = values.get("product_name") or await model_name(page, values["model_code"])
    body = {"serial_number": serial, "model_code": values["model_code"], "product_name": product,
            "site": common.optional({"name": values["site_name"], "region": values["region"]}, "address",
                                    values.get("site_address", "")),
            "accepted_on": values["accepted_on"]}
    common.optional(body, "project_code", values.get("project_code", ""))
    if values.get("certificate_number"):
        body["certificate"] = {"number": values["certificate_number"]}
    answer = await pages.call(page, "POST", "/warranty/units", json_body=body)
    if not answer.ok:
        trouble, at = common.refused(page, answer.problem, UNIT_FORM)
        return await unit_form(page, status=answer.status, values=values, trouble=trouble, at=at)
    return pages.redirect(page, f"/app/admin/units/{seg(answer.data['serial_number'])}?done=created")


async def model_name(page: Page, model_code: str) -> str:
    """The product name a unit gets when none is typed: its model's name."""
    found = await common.exact(page, f"/inventory/models/{seg(model_code)}")
    return found["name"] if found else model_code


@router.get("/units/import")
async def import_page(page: AdminPage):
    return common.show(page, "console/import.html", chunk_rows=CHUNK_ROWS, columns=COLUMN_ORDER)


COLUMN_ORDER = ("serial_number", "model_code", "product_name", "site_name", "site_address", "region",
                "project_code", "accepted_on", "certificate_number")


def _refusal(status: int, page: Page, code: str, problem: dict | None = None) -> JSONResponse:
    trouble = common.trouble_of(page, problem, code)
    return JSONResponse({"problem": {k: trouble[k] for k in ("code", "title", "advice", "request_id")}},
                        status_code=status, headers={"Cache-Control": "no-store"})


def row_reason(page: Page, error: dict) -> str:
    """A bad row's reason in the reader's words, naming the file's column when the service names a field."""
    code = str(error.get("code") or "")
    happened, _advice = console_words.PROBLEMS.get(code) or words.PROBLEMS.get(code) or words.GENERIC_PROBLEM
    text = page.t.gettext(happened)
    found = re.match(r"^([A-Za-z_.]+)(?:\.\d+)?:", str(error.get("message") or ""))
    if code == "invalid_row" and found:
        column = COLUMNS.get(found.group(1), found.group(1))
        if column in COLUMN_ORDER:
            text += " (" + page.t.gettext("column %(column)s", column=column) + ")"
    return text


@router.post("/units/import/chunk")
async def import_chunk(request: Request):
    """One chunk of a CSV file (its header row, then rows) from the import page's script: answered as JSON,
    rows numbered within the chunk as the service numbers them (the script knows each one's row in the file)."""
    lang, _remember = pages.language(request)
    state = request.app.state
    page = Page(request=request, t=state.catalogs.get(lang))
    try:
        signed = await pages.resume(request)
    except sessions.Ended:
        return _refusal(401, page, "csrf_failed")
    if signed.must_change_password:
        return _refusal(403, page, "forbidden")
    token = request.headers.get("x-csrf-token", "")
    if not token or not hmac.compare_digest(token.encode(), signed.csrf_token.encode()):
        return _refusal(403, page, "csrf_failed")
    page.caller, page.csrf = signed.caller, signed.csrf_token
    if page.caller.role != "admin":
        return _refusal(403, page, "forbidden")
    body = await request.body()
    if len(body) > MAX_CHUNK_BYTES:
        return _refusal(413, page, "payload_too_large")
    try:
        upstream = await state.gateway.call(page.caller, "POST", "/warranty/units/import", body=body, headers=[
            (b"content-type", b"text/csv; charset=utf-8"), (b"accept", b"application/json")])
    except errors.ServiceError as exc:
        return _refusal(exc.status, page, exc.code)
    answer = pages.Answer(upstream.status, body=upstream.body)
    try:
        answer.data = json.loads(upstream.body)
    except ValueError:
        return _refusal(502, page, "internal_error")
    if not answer.ok:
        problem = answer.data if isinstance(answer.data, dict) else {}
        return _refusal(answer.status, page, str(problem.get("code") or "internal_error"), problem)
    found = answer.data
    return JSONResponse({
        "created": found.get("created", 0), "skipped": found.get("skipped", 0),
        "errors": [{"row": e.get("row"), "serial_number": e.get("serial_number") or "", "code": e.get("code"),
                    "reason": row_reason(page, e)} for e in found.get("errors", []) if isinstance(e, dict)],
    }, headers={"Cache-Control": "no-store"})


@router.get("/units/{serial}")
async def unit(page: AdminPage, serial: str):
    clean = station.clean_serial(serial)
    answer = await pages.call(page, "GET", f"/warranty/units/{seg(clean)}") if clean else None
    if answer is None or not answer.ok:
        code = "bad_serial" if answer is None else answer.problem.get("code")
        return common.show(page, "error.html", status=404 if answer is None else answer.status,
                           trouble=common.trouble_of(page, answer.problem if answer else None, code))
    return common.show(page, "console/unit.html", unit=answer.data)
