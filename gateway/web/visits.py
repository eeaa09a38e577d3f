"""A repair station's planned visits, from the phone: this week's list, a visit's checklist to record with the
customer's signature drawn on the screen, and the three-copy report to print."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from gateway.web import i18n, inputs, pages
from gateway.web.desk_common import local_instant
from gateway.web.i18n import N_
from gateway.web.pages import Page, seg
from shared.contracts import servicedesk as contract

router = APIRouter(prefix="/app/station/visits")
# A station's technicians record their own visits; the desk may look at them and do it for them.
FieldPage = Annotated[Page, Depends(pages.for_roles("station", "desk"))]

KINDS = {"pre_season": N_("Pre-season check"), "pre_shutdown": N_("Pre-shutdown check"),
         "maintenance": N_("Maintenance"), "inspection": N_("Inspection")}
STATUSES = {"planned": ("neutral", N_("Planned")), "done": ("good", N_("Done")), "missed": ("bad", N_("Missed")),
            "cancelled": ("neutral", N_("Cancelled"))}
RESULTS = {"ok": N_("OK"), "fixed": N_("Fixed"), "needs_repair": N_("Needs repair"),
           "not_applicable": N_("N/A")}
SEASONS = {"heating": N_("heating season"), "cooling": N_("cooling season")}
# The refusals the API names are in words.PROBLEMS; this one is the page's own.
PROBLEMS = {
    "visit_form_incomplete": (N_("Some of the record is missing."),
                              N_("Fill in the fields listed below; everything you entered is still here.")),
}
PART_ROWS = 3


def trouble(page: Page, problem: dict | None, *, code: str | None = None, fields: list[str] | None = None):
    """pages.trouble, with the visits' own codes in words."""
    found = pages.trouble(page, problem, code=code)
    if found is not None and found["code"] in PROBLEMS:
        happened, advice = PROBLEMS[found["code"]]
        found.update(title=page.t.gettext(happened), advice=page.t.gettext(advice))
    if found is not None and fields is not None:
        found["fields"] = fields
    return found


def today(page: Page):
    return page.state.clock.now().astimezone(i18n.CHINA_TIME).date()


def measure_text(measure: dict | None) -> str:
    if not measure or (measure.get("min") is None and measure.get("max") is None):
        return ""
    low, high = measure.get("min"), measure.get("max")
    if low is not None and high is not None:
        return f"{low:g}–{high:g} {measure['unit']}"
    return f"≥ {low:g} {measure['unit']}" if low is not None else f"≤ {high:g} {measure['unit']}"


def render(page: Page, template: str, *, status: int = 200, **values):
    return pages.render(page, template, status=status, kinds=KINDS, statuses=STATUSES, results=RESULTS,
                        seasons=SEASONS, measure_text=measure_text, **values)


@router.get("")
async def station_visits(page: FieldPage):
    """This week's visits for the station (Monday to Sunday), and those still open from the last 30 days."""
    day = today(page)
    monday = day - timedelta(days=day.weekday())
    sunday = monday + timedelta(days=6)
    serial = page.request.query_params.get("serial", "").strip().upper()[:contract.SERIAL_MAX_LENGTH]
    query = {"serial_number": serial, "limit": 200} if serial else {
        "status": "planned", "due_from": (day - timedelta(days=30)).isoformat(), "due_to": sunday.isoformat(),
        "limit": 200}
    answer = await pages.call(page, "GET", "/servicedesk/visits", query=query)
    visits = pages.items(answer)
    return render(page, "station/visit_list.html", status=200 if answer.ok else answer.status, serial=serial,
                  earlier=[v for v in visits if not serial and v["due_on"] < monday.isoformat()],
                  this_week=[v for v in visits if serial or v["due_on"] >= monday.isoformat()],
                  monday=monday, sunday=sunday, trouble=trouble(page, answer.problem))


async def visit_page(page: Page, visit_id: int, *, status: int = 200, problem=None, fields=None,
                     missing: list[str] | None = None):
    answer = await pages.call(page, "GET", f"/servicedesk/visits/{seg(visit_id)}")
    if not answer.ok:
        return render(page, "error.html", status=answer.status, trouble=trouble(page, answer.problem))
    visit = answer.data
    recordable = (visit["status"] == "planned" and visit["recordable_from"] <= today(page).isoformat())
    shown = trouble(page, problem, fields=fields) if problem or fields else None
    done = page.t.gettext(N_("The visit was recorded.")) if page.request.query_params.get("done") else ""
    return render(page, "station/visit_record.html", status=status, visit=visit, recordable=recordable,
                  trouble=shown, missing=set(missing or []), done=done, parts=typed_parts(page),
                  technicians=visit.get("technicians") or [], chosen_technician=chosen_technician(page, visit))


def chosen_technician(page: Page, visit: dict) -> str:
    """The technician picked (a refused form keeps it), else the signed-in person when exactly one of the
    technicians offered has their name."""
    picked = page.value("technician_id")
    if picked:
        return picked
    name = page.caller.name if page.caller else ""
    same = [t for t in visit.get("technicians") or [] if name and t["name"] == name]
    return str(same[0]["id"]) if len(same) == 1 else ""


def typed_parts(page: Page) -> list[tuple[str, str]]:
    """The part rows as typed (a refused form comes back with them), padded to PART_ROWS."""
    typed = list(zip(page.form.get("part_number", []), page.form.get("part_qty", []), strict=False))
    return [(n.strip(), q.strip()) for n, q in typed][:PART_ROWS] + [("", "")] * max(0, PART_ROWS - len(typed))


@router.get("/{visit_id}")
async def visit(page: FieldPage, visit_id: int):
    return await visit_page(page, visit_id)


def _number(text: str):
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or not contract.READING_MIN <= value <= contract.READING_MAX:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def record_body(page: Page, checklist: list[dict]) -> tuple[dict, list[str], list[str]]:
    """The record as the API takes it; the labels of fields to fix, and the codes without a result."""
    wrong, missing, items = [], [], []
    for item in checklist:
        code = item["code"]
        result = page.value(f"result.{code}")
        if result not in RESULTS:
            missing.append(code)
            continue
        entry = {"code": code, "result": result}
        typed = page.value(f"value.{code}")
        if typed and item.get("measure"):
            value = _number(typed)
            if value is None:
                wrong.append(item["label"] if page.t.lang == "zh_CN" else item["label_en"])
            else:
                entry["value"] = value
        if page.value(f"notes.{code}"):
            entry["notes"] = page.value(f"notes.{code}")[:contract.ITEM_NOTES_MAX_LENGTH]
        items.append(entry)
    if missing:
        wrong.append(page.t.gettext(N_("Checklist")))
    technician = page.value("technician_id")  # picked from the visit's list of technicians
    if not technician.isdigit() or not contract.ID_MIN <= int(technician) <= contract.ID_MAX:
        wrong.append(page.t.gettext(N_("Technician")))
    for field, label in (("customer_name", N_("Customer's name")), ("signature_png", N_("Customer's signature"))):
        if not page.value(field):
            wrong.append(page.t.gettext(label))
    parts = inputs.part_lines(page)
    if parts is None:
        wrong.append(page.t.gettext(N_("Parts used")))
    body = {"technician_id": int(technician) if technician.isdigit() else 0, "items": items,
            "customer": {"name": page.value("customer_name")[:contract.TEXT_MAX_LENGTH],
                         "signature_png": page.value("signature_png")}}
    if page.value("customer_phone"):
        body["customer"]["phone"] = page.value("customer_phone")[:contract.PHONE_MAX_LENGTH]
    if page.value("notes"):
        body["notes"] = page.value("notes")[:contract.VISIT_NOTES_MAX_LENGTH]
    if parts:
        body["parts_used"] = parts
    at = local_instant(page.value("at"))  # a record kept on the phone without a signal carries its real time
    if at is False:
        wrong.append(page.t.gettext(N_("When")))
    elif at:
        body["at"] = at
    return body, wrong, missing


@router.post("/{visit_id}")
async def record(page: FieldPage, visit_id: int):
    current = await pages.call(page, "GET", f"/servicedesk/visits/{seg(visit_id)}")
    if not current.ok:
        return render(page, "error.html", status=current.status, trouble=trouble(page, current.problem))
    body, wrong, missing = record_body(page, current.data.get("checklist") or [])
    if wrong:
        return await visit_page(page, visit_id, status=422, fields=wrong, missing=missing,
                                problem={"code": "checklist_incomplete" if missing and len(wrong) == 1
                                         else "visit_form_incomplete"})
    answer = await pages.call(page, "POST", f"/servicedesk/visits/{seg(visit_id)}/record", json_body=body,
                              idempotency_key=page.value("idempotency_key") or None)
    if not answer.ok:
        return await visit_page(page, visit_id, status=answer.status, problem=answer.problem)
    return pages.redirect(page, f"/app/station/visits/{seg(visit_id)}?done=1")


@router.get("/{visit_id}/report.pdf")
async def report(page: FieldPage, visit_id: int):
    answer = await pages.call(page, "GET", f"/servicedesk/visits/{seg(visit_id)}/report.pdf")
    if not answer.ok or not answer.content_type.startswith("application/pdf"):
        return render(page, "error.html", status=answer.status if not answer.ok else 502,
                      trouble=trouble(page, answer.problem, code=None if answer.problem else "upstream_unavailable"))
    return Response(answer.body, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="visit-{visit_id}.pdf"', "Cache-Control": "no-store"})
