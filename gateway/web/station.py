"""The repair station's pages (phone first): find a unit, its coverage today, a claim, a visit, its history."""

import functools
import re
from typing import Annotated

from fastapi import APIRouter, Depends

from gateway.web import i18n, inputs, pages, words
from gateway.web.notices import done_text
from gateway.web.pages import Page, seg
from shared.contracts import warranty as contract

router = APIRouter(prefix="/app/station")
StationPage = Annotated[Page, Depends(pages.for_roles("station"))]
SERIAL = re.compile(contract.SERIAL_PATTERN)
DONE = {"visit": i18n.N_("The visit was logged in the unit's history.")}


def clean_serial(value: str) -> str | None:
    serial = value.strip().upper()
    return serial if SERIAL.match(serial) else None


def today_in_china(page: Page):
    return page.state.clock.now().astimezone(i18n.CHINA_TIME).date()


def coverage_rows(coverage: dict | None) -> list[dict]:
    rows = []
    for item in (coverage or {}).get("components", []):
        if item.get("covered"):
            state, label = "good", i18n.N_("Covered")
        elif item.get("reason") == "not_yet_accepted":
            state, label = "warn", i18n.N_("Not yet accepted")
        else:
            state, label = "bad", i18n.N_("Expired")
        rows.append({**item, "state": state, "label": label})
    return rows


@router.get("")
@router.get("/")
async def search(page: StationPage):
    typed = page.request.query_params.get("serial", "")
    if typed:
        serial = clean_serial(typed)
        if serial is None:
            return not_a_serial(page, typed)
        return pages.redirect(page, f"/app/station/units/{seg(serial)}")
    return pages.render(page, "station/search.html", typed="", trouble=None)


def not_a_serial(page: Page, typed: str):
    return pages.render(page, "station/search.html", status=422, typed=typed,
                        trouble=pages.trouble(page, None, code="bad_serial"))


def unit_unread(page: Page, serial: str, answer: pages.Answer):
    """The search page again, with the serial, when the warranty service would not answer about the unit."""
    return pages.render(page, "station/search.html", status=answer.status, typed=serial,
                        trouble=pages.trouble(page, answer.problem))


def one_unit(handler):
    """A page about one unit: its handler gets the serial in the address cleaned, or the search page says
    that it is not a serial."""
    @functools.wraps(handler)
    async def handle(page: Page, serial: str):
        clean = clean_serial(serial)
        if clean is None:
            return not_a_serial(page, serial)
        return await handler(page, clean)

    return handle


async def load_unit(page: Page, serial: str) -> pages.Answer:
    return await pages.call(page, "GET", f"/warranty/units/{seg(serial)}")


@router.get("/units/{serial}")
@one_unit
async def unit(page: StationPage, serial: str):
    found = await load_unit(page, serial)
    if not found.ok:
        return unit_unread(page, serial, found)
    coverage = await pages.call(page, "GET", f"/warranty/units/{seg(serial)}/coverage",
                                query={"on": today_in_china(page).isoformat()})
    return pages.render(page, "station/unit.html", unit=found.data, coverage=coverage.data if coverage.ok else None,
                        rows=coverage_rows(coverage.data if coverage.ok else None),
                        trouble=pages.trouble(page, coverage.problem),
                        done=done_text(page, DONE))


def claim_body(page: Page, serial: str) -> tuple[dict | None, list[str]]:
    missing = []
    failed_on = page.value("failed_on")
    if not inputs.is_day(failed_on):
        missing.append(page.t.gettext("Failure date"))
    component = page.value("component")
    if component not in words.COMPONENTS:
        missing.append(page.t.gettext("Component"))
    causes = [c for c in page.values("causes") if c in words.CAUSES]
    certificate = None
    if page.value("has_certificate") == "yes":
        certificate = {
            "number": page.value("cert_number"),
            "product_name": page.value("cert_product_name"),
            "model_code": page.value("cert_model_code"),
            "serial_number": page.value("cert_serial_number"),
            "altered": page.value("cert_altered") == "yes",
        }
        if not certificate["number"]:
            missing.append(page.t.gettext("Certificate number"))
    if missing:
        return None, missing
    body = {"serial_number": serial, "failed_on": failed_on, "component": component, "causes": causes,
            "certificate": certificate}
    if page.value("description"):
        body["description"] = page.value("description")[:contract.CLAIM_DESCRIPTION_MAX_LENGTH]
    return body, []


async def claim_form(page: Page, serial: str, *, status: int = 200, trouble=None, fields=None):
    found = await load_unit(page, serial)
    if not found.ok:
        return unit_unread(page, serial, found)
    if fields:
        trouble = {**pages.trouble(page, None, code="bad_input"), "fields": fields}
    return pages.render(page, "station/claim.html", status=status, unit=found.data, trouble=trouble,
                        today=today_in_china(page).isoformat(),
                        chosen_component=page.value("component") or page.request.query_params.get("component", ""),
                        chosen_causes=page.values("causes"))


@router.get("/units/{serial}/claim")
@one_unit
async def new_claim(page: StationPage, serial: str):
    return await claim_form(page, serial)


@router.post("/units/{serial}/claim")
@one_unit
async def file_claim(page: StationPage, serial: str):
    body, missing = claim_body(page, serial)
    if body is None:
        return await claim_form(page, serial, status=422, fields=missing)
    answer = await pages.call(page, "POST", "/warranty/claims", json_body=body,
                              idempotency_key=page.value("idempotency_key") or None)
    if not answer.ok:
        return await claim_form(page, serial, status=answer.status, trouble=pages.trouble(page, answer.problem))
    return pages.redirect(page, f"/app/station/claims/{seg(answer.data['id'])}")


@router.get("/claims/{claim_id}")
async def claim(page: StationPage, claim_id: int):
    answer = await pages.call(page, "GET", f"/warranty/claims/{seg(claim_id)}")
    if not answer.ok:
        return pages.render(page, "error.html", status=answer.status, trouble=pages.trouble(page, answer.problem))
    return pages.render(page, "station/decision.html", claim=answer.data)


async def visit_form(page: Page, serial: str, *, status: int = 200, trouble=None):
    found = await load_unit(page, serial)
    if not found.ok:
        return unit_unread(page, serial, found)
    return pages.render(page, "station/visit.html", status=status, unit=found.data, trouble=trouble,
                        today=today_in_china(page).isoformat())


@router.get("/units/{serial}/visit")
@one_unit
async def new_visit(page: StationPage, serial: str):
    return await visit_form(page, serial)


def visit_body(page: Page) -> tuple[dict | None, list[str]]:
    missing = []
    kind = page.value("kind")
    if kind not in words.VISIT_KINDS:
        missing.append(page.t.gettext("Kind of visit"))
    performed_on = page.value("performed_on")
    if not inputs.is_day(performed_on):
        missing.append(page.t.gettext("Date"))
    technician = page.value("technician")
    if not technician:
        missing.append(page.t.gettext("Technician"))
    parts = inputs.part_lines(page)
    if parts is None:
        missing.append(page.t.gettext("Parts replaced"))
    if missing:
        return None, missing
    body = {"kind": kind, "performed_on": performed_on, "technician": technician[:contract.TEXT_MAX_LENGTH]}
    if page.value("notes"):
        body["notes"] = page.value("notes")[:contract.RECORD_NOTES_MAX_LENGTH]
    if parts:
        body["parts_replaced"] = parts
    return body, []


@router.post("/units/{serial}/visit")
@one_unit
async def log_visit(page: StationPage, serial: str):
    body, missing = visit_body(page)
    if body is None:
        return await visit_form(page, serial, status=422,
                                trouble={**pages.trouble(page, None, code="bad_input"), "fields": missing})
    answer = await pages.call(page, "POST", f"/warranty/units/{seg(serial)}/service-records", json_body=body)
    if not answer.ok:
        return await visit_form(page, serial, status=answer.status, trouble=pages.trouble(page, answer.problem))
    return pages.redirect(page, f"/app/station/units/{seg(serial)}/history?done=visit")


@router.get("/units/{serial}/history")
@one_unit
async def history(page: StationPage, serial: str):
    answer = await pages.call(page, "GET", f"/warranty/units/{seg(serial)}/history",
                              query={"limit": pages.LONGEST_PAGE})
    if not answer.ok:
        return unit_unread(page, serial, answer)
    return pages.render(page, "station/history.html", serial=serial, items=list(reversed(pages.items(answer))),
                        done=done_text(page, DONE))
