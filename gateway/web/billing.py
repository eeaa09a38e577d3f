"""The billing office's pages: bill a repair from its reservations, the bill (screen, print, PDF),
pay it (by a method picked from a list), record its fapiao, void it and bill the repair again;
maintenance contracts, their planned visits as a calendar, cancelling one; the company on the bills."""

import hashlib
import json
import re
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import groupby
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from gateway.web import i18n, notices, pages, station, words
from gateway.web.pages import Page, seg
from shared.contracts import billing as billing_contract

router = APIRouter(prefix="/app/billing")
BillingPage = Annotated[Page, Depends(pages.for_roles("billing"))]
INVOICE_NUMBER = re.compile(billing_contract.BILL_NUMBER_PATTERN)
DONE = {
    "paid": i18n.N_("The bill is marked as paid."),
    "void": i18n.N_("The bill is void."),
    "cancelled": i18n.N_("The contract was cancelled."),
    "created": i18n.N_("The contract was saved."),
    "fapiao": i18n.N_("The fapiao number was recorded."),
    "company": i18n.N_("The company details were saved."),
}
PAYMENT_METHODS = words.PAYMENT_METHODS  # the glossary's words (shared/glossary.py), as on the printed bill
VISIT_STATES = words.CONTRACT_VISIT_STATES
COMPANY_FIELDS = ("name", "address", "taxpayer_id", "bank", "account", "phone")


def done_text(page: Page) -> str:
    return notices.done_text(page, DONE)


@router.get("")
@router.get("/")
async def invoices(page: BillingPage):
    query = {k: page.request.query_params.get(k, "").strip() for k in ("serial_number", "status",
                                                                      "repair_reference")}
    answer = await pages.call(page, "GET", "/billing/invoices", query={**query, "limit": 100})
    return pages.render(page, "billing/invoices.html", status=200 if answer.ok else answer.status, query=query,
                        rows=pages.items(answer), trouble=pages.trouble(page, answer.problem))


async def prefill_from(page: Page, number: str) -> None:
    """Billing a repair again after its bill was voided: the form starts as that bill was."""
    if not INVOICE_NUMBER.match(number) or page.form:
        return
    answer = await pages.call(page, "GET", f"/billing/invoices/{seg(number)}")
    if not answer.ok or answer.data.get("status") != "void":
        return
    bill = answer.data
    page.form = {"repair_reference": [bill["repair_reference"]], "serial_number": [bill["serial_number"]],
                 "more_reservations": [", ".join(str(r) for r in bill["reservation_ids"])],
                 "performed_on": [bill["performed_on"]], "component": [bill["component"]],
                 "causes": list(bill["causes"]), "labor_hours": [bill["labor_hours"]],
                 "visits": [str(bill["visits"])], "has_certificate": ["no"], "reissue": [number]}


async def repair_form(page: Page, *, status: int = 200, trouble=None):
    params = page.request.query_params
    if params.get("reissue"):
        await prefill_from(page, params["reissue"].strip())
    reference = page.value("repair_reference") or params.get("repair_reference", "").strip()
    serial = page.value("serial_number") or params.get("serial_number", "").strip().upper()
    found = lookup_trouble = None
    if reference:
        answer = await pages.call(page, "GET", "/inventory/reservations",
                                  query={"reference": reference, "status": "active", "limit": 100})
        found = pages.items(answer) if answer.ok else None
        lookup_trouble = pages.trouble(page, answer.problem)
    today = station.today_in_china(page).isoformat()
    return pages.render(page, "billing/repair.html", status=status, trouble=trouble, lookup_trouble=lookup_trouble,
                        reference=reference, serial=serial, found=found, today=today,
                        chosen_component=page.value("component"), chosen_causes=page.values("causes"),
                        chosen_reservations=page.values("reservation_ids"),
                        listed_before=page.value("listed") == "yes", reissue=page.value("reissue"))


@router.get("/repair")
async def new_repair(page: BillingPage):
    return await repair_form(page)


def repair_body(page: Page) -> tuple[dict | None, list[str]]:
    t = page.t.gettext
    missing = []
    serial = station.clean_serial(page.value("serial_number"))
    if serial is None:
        missing.append(t("Serial number"))
    reference = page.value("repair_reference")
    if not reference:
        missing.append(t("Repair reference"))
    performed_on = page.value("performed_on")
    try:
        date.fromisoformat(performed_on)
    except ValueError:
        missing.append(t("Repair date"))
    component = page.value("component")
    if component not in words.COMPONENTS:
        missing.append(t("Component"))
    ids = set()
    for text in [*page.values("reservation_ids"), *re.split(r"[\s,，]+", page.value("more_reservations"))]:
        if text.strip():
            if not text.strip().isdigit():
                missing.append(t("Reservations"))
                break
            ids.add(int(text))
    try:
        hours = Decimal(page.value("labor_hours") or "0")
        if hours < billing_contract.HOURS_MIN or hours > billing_contract.HOURS_MAX or hours.as_tuple().exponent < -2:
            raise InvalidOperation
    except InvalidOperation:
        missing.append(t("Labour hours"))
        hours = Decimal(0)
    visits = page.value("visits") or "0"
    if not visits.isdigit() or not billing_contract.VISITS_MIN <= int(visits) <= billing_contract.VISITS_MAX:
        missing.append(t("Site visits"))
    certificate = None
    if page.value("has_certificate") == "yes":
        certificate = {"number": page.value("cert_number"), "product_name": page.value("cert_product_name"),
                       "model_code": page.value("cert_model_code"),
                       "serial_number": page.value("cert_serial_number"),
                       "altered": page.value("cert_altered") == "yes"}
    if missing:
        return None, missing
    return {"serial_number": serial, "repair_reference": reference[:billing_contract.TEXT_MAX_LENGTH],
            "performed_on": performed_on,
            "component": component, "causes": [c for c in page.values("causes") if c in words.CAUSES],
            "certificate": certificate, "reservation_ids": sorted(ids), "labor_hours": str(hours),
            "visits": int(visits)}, []


def submission_key(page: Page, body: dict) -> str:
    """The Idempotency-Key of one submission: the form's nonce and what it says.

    Sent again as it was (a double press, a retry after an outage), it is the same request, resumed or
    replayed; corrected after a refusal (a wrong serial), it is a new one. The nonce keeps two forms
    that happen to say the same thing (two repairs alike) from being taken for one.
    """
    nonce = page.value("form_nonce") or uuid.uuid4().hex
    content = json.dumps([nonce, body], sort_keys=True, separators=(",", ":"))
    return "web-" + hashlib.sha256(content.encode()).hexdigest()[:40]


@router.post("/repair")
async def bill_repair(page: BillingPage):
    body, missing = repair_body(page)
    if body is None:
        return await repair_form(page, status=422,
                                 trouble={**pages.trouble(page, None, code="bad_input"), "fields": missing})
    answer = await pages.call(page, "POST", "/billing/repairs", json_body=body,
                              idempotency_key=submission_key(page, body))
    if not answer.ok:
        return await repair_form(page, status=answer.status, trouble=pages.trouble(page, answer.problem))
    return pages.redirect(page, f"/app/billing/invoices/{seg(answer.data['number'])}")


async def load_bill(page: Page, number: str):
    if not INVOICE_NUMBER.match(number):
        return None, pages.trouble(page, None, code="invoice_not_found"), 404
    answer = await pages.call(page, "GET", f"/billing/invoices/{seg(number)}")
    if not answer.ok:
        return None, pages.trouble(page, answer.problem), answer.status
    return answer.data, None, 200


@router.get("/invoices/{number}.pdf")
async def invoice_pdf(page: BillingPage, number: str):
    if not INVOICE_NUMBER.match(number):
        return pages.render(page, "error.html", status=404, trouble=pages.trouble(page, None,
                                                                                  code="invoice_not_found"))
    answer = await pages.call(page, "GET", f"/billing/invoices/{seg(number)}.pdf")
    if not answer.ok or not answer.content_type.startswith("application/pdf"):
        problem = answer.problem or {"code": "internal_error"}
        return pages.render(page, "error.html", status=answer.status if not answer.ok else 502,
                            trouble=pages.trouble(page, problem))
    return Response(answer.body, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{number}.pdf"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


@router.get("/invoices/{number}")
async def invoice(page: BillingPage, number: str):
    bill, trouble, status = await load_bill(page, number)
    if bill is None:
        return pages.render(page, "error.html", status=status, trouble=trouble)
    return pages.render(page, "billing/invoice.html", bill=bill, trouble=None, done=done_text(page),
                        payment_methods=PAYMENT_METHODS, today=station.today_in_china(page).isoformat())


@router.get("/invoices/{number}/print")
async def invoice_print(page: BillingPage, number: str):
    bill, trouble, status = await load_bill(page, number)
    if bill is None:
        return pages.render(page, "error.html", status=status, trouble=trouble)
    unit = await pages.call(page, "GET", f"/warranty/units/{seg(bill['serial_number'])}")
    return pages.render(page, "billing/print.html", bill=bill, unit=unit.data if unit.ok else None,
                        payment_methods=PAYMENT_METHODS)


async def invoice_action(page: Page, number: str, action: str, *, method: str = "POST", body: dict | None = None,
                         done: str = ""):
    if not INVOICE_NUMBER.match(number):
        return pages.render(page, "error.html", status=404,
                            trouble=pages.trouble(page, None, code="invoice_not_found"))
    answer = None
    if body is not None:
        answer = await pages.call(page, method, f"/billing/invoices/{seg(number)}/{action}", json_body=body)
    if answer is None or not answer.ok:
        bill, trouble, status = await load_bill(page, number)
        if bill is None:
            return pages.render(page, "error.html", status=status, trouble=trouble)
        problem = answer.problem if answer is not None else None
        return pages.render(page, "billing/invoice.html", status=answer.status if answer is not None else 422,
                            bill=bill, trouble=pages.trouble(page, problem, code=None if problem else "bad_input"),
                            done="", payment_methods=PAYMENT_METHODS, today=station.today_in_china(page).isoformat())
    return pages.redirect(page, f"/app/billing/invoices/{seg(number)}?done={done}")


@router.post("/invoices/{number}/pay")
async def pay(page: BillingPage, number: str):
    method = page.value("method")
    body = {"method": method} if method in PAYMENT_METHODS else None
    if body is not None and page.value("reference"):
        body["reference"] = page.value("reference")[:billing_contract.PAYMENT_REFERENCE_MAX_LENGTH]
    return await invoice_action(page, number, "pay", body=body, done="paid")


@router.post("/invoices/{number}/void")
async def void(page: BillingPage, number: str):
    return await invoice_action(page, number, "void", body={}, done="void")


@router.post("/invoices/{number}/fapiao")
async def fapiao(page: BillingPage, number: str):
    fapiao_number, issued_on = re.sub(r"\s+", "", page.value("fapiao_number")), page.value("fapiao_issued_on")
    try:
        date.fromisoformat(issued_on)
        body = {"number": fapiao_number, "issued_on": issued_on} if fapiao_number.isdigit() else None
    except ValueError:
        body = None
    return await invoice_action(page, number, "fapiao", method="PUT", body=body, done="fapiao")


async def contracts_page(page: Page, *, status: int = 200, trouble=None):
    answer = await pages.call(page, "GET", "/billing/contracts", query={"limit": 200})
    return pages.render(page, "billing/contracts.html", status=status if answer.ok else answer.status,
                        rows=pages.items(answer), trouble=trouble or pages.trouble(page, answer.problem),
                        done=done_text(page))


@router.get("/contracts")
async def contracts(page: BillingPage):
    return await contracts_page(page)


@router.post("/contracts")
async def create_contract(page: BillingPage):
    serials = [station.clean_serial(s) for s in re.split(r"[\s,，]+", page.value("serial_numbers")) if s.strip()]
    body = {"customer": page.value("customer")[:billing_contract.TEXT_MAX_LENGTH], "serial_numbers": serials,
            "starts_on": page.value("starts_on"), "ends_on": page.value("ends_on"),
            "includes_labor": page.value("includes_labor") == "yes",
            "parts_discount_pct": page.value("parts_discount_pct") or "0"}
    if page.value("region"):
        body["region"] = page.value("region")
    bad = not body["customer"] or not serials or None in serials
    try:
        date.fromisoformat(body["starts_on"])
        date.fromisoformat(body["ends_on"])
        Decimal(body["parts_discount_pct"])
    except (ValueError, InvalidOperation):
        bad = True
    if bad:
        return await contracts_page(page, status=422, trouble=pages.trouble(page, None, code="bad_input"))
    answer = await pages.call(page, "POST", "/billing/contracts", json_body=body)
    if not answer.ok:
        return await contracts_page(page, status=answer.status, trouble=pages.trouble(page, answer.problem))
    return pages.redirect(page, f"/app/billing/contracts/{seg(answer.data['id'])}?done=created")


def calendar(visits: list[dict]) -> list[tuple[str, list[dict]]]:
    """The planned visits grouped by month, in order."""
    dated = sorted(({**v, "day": date.fromisoformat(v["date"]),
                     "next_day": date.fromisoformat(v["next_working_day"]) if v.get("next_working_day") else None}
                    for v in visits), key=lambda v: v["day"])
    return [(month, list(group)) for month, group in groupby(dated, key=lambda v: v["day"].replace(day=1))]


async def contract_page(page: Page, contract_id: int, *, status: int = 200, trouble=None):
    answer = await pages.call(page, "GET", f"/billing/contracts/{seg(contract_id)}")
    if not answer.ok:
        return pages.render(page, "error.html", status=answer.status, trouble=pages.trouble(page, answer.problem))
    visits = await pages.call(page, "GET", f"/billing/contracts/{seg(contract_id)}/visits")
    months = calendar(visits.data) if visits.ok and isinstance(visits.data, list) else []
    return pages.render(page, "billing/contract.html", status=status, contract=answer.data, months=months,
                        visits_trouble=pages.trouble(page, visits.problem), trouble=trouble,
                        today=station.today_in_china(page), done=done_text(page), visit_states=VISIT_STATES)


@router.get("/contracts/{contract_id}")
async def contract(page: BillingPage, contract_id: int):
    return await contract_page(page, contract_id)


@router.post("/contracts/{contract_id}/cancel")
async def cancel_contract(page: BillingPage, contract_id: int):
    ends_on, reason = page.value("ends_on"), page.value("reason")
    try:
        date.fromisoformat(ends_on)
    except ValueError:
        ends_on = ""
    if not ends_on or not reason:
        return await contract_page(page, contract_id, status=422,
                                   trouble=pages.trouble(page, None, code="bad_input"))
    answer = await pages.call(page, "POST", f"/billing/contracts/{seg(contract_id)}/cancel",
                              json_body={"ends_on": ends_on,
                                         "reason": reason[:billing_contract.CANCEL_REASON_MAX_LENGTH]})
    if not answer.ok:
        return await contract_page(page, contract_id, status=answer.status,
                                   trouble=pages.trouble(page, answer.problem))
    return pages.redirect(page, f"/app/billing/contracts/{seg(contract_id)}?done=cancelled")


async def company_page(page: Page, *, status: int = 200, trouble=None):
    answer = await pages.call(page, "GET", "/billing/company")
    company = answer.data if answer.ok else None
    if not answer.ok and answer.status != 404:
        trouble = trouble or pages.trouble(page, answer.problem)
    return pages.render(page, "billing/company.html", status=status, company=company, trouble=trouble,
                        done=done_text(page), may_change=page.caller.role == "admin")


@router.get("/company")
async def company(page: BillingPage):
    return await company_page(page)


@router.post("/company")
async def save_company(page: BillingPage):
    body = {name: page.value(name) for name in COMPANY_FIELDS}
    if not all(body.values()):
        return await company_page(page, status=422, trouble=pages.trouble(page, None, code="bad_input"))
    answer = await pages.call(page, "PUT", "/billing/company", json_body=body)
    if not answer.ok:
        return await company_page(page, status=answer.status, trouble=pages.trouble(page, answer.problem))
    return pages.redirect(page, "/app/billing/company?done=company")
