"""Billing's settings in the admin console: the rate card (labour rate, call-out fee, VAT rate; each
change dated, old bills keep theirs) and the company named on every bill (GET/PUT /billing/company: each
change a new version, a bill keeps the one in force when it was issued)."""

from decimal import Decimal, InvalidOperation

from fastapi import APIRouter

from gateway.web import console_common as common
from gateway.web import pages, station
from gateway.web.console_common import AdminPage, Field, Form
from gateway.web.console_desk import china_moment
from gateway.web.i18n import N_
from gateway.web.pages import Page

router = APIRouter()
RATES_FORM = Form(
    fields={"labor_rate_per_hour": Field(N_("Labour rate per hour"), "money"),
            "callout_fee": Field(N_("Call-out fee per site visit"), "money"),
            "vat_percent": Field(N_("VAT rate"), "percent"), "effective_on": Field(N_("Takes effect on"), "future")},
    wire={"vat_rate": "vat_percent", "effective_from": "effective_on"},
)
COMPANY_FIELDS = ("name", "address", "taxpayer_id", "bank", "account", "phone")
COMPANY_FORM = Form(fields={
    "name": Field(N_("Company name"), "text"), "address": Field(N_("Address"), "company_address"),
    "taxpayer_id": Field(N_("Taxpayer identification number"), "taxpayer"), "bank": Field(N_("Bank"), "text"),
    "account": Field(N_("Account number"), "account"), "phone": Field(N_("Phone"), "phone")})


def percent_of(fraction: str) -> str:
    try:
        return format((Decimal(fraction) * 100).normalize(), "f")
    except InvalidOperation:
        return ""


async def rates_page(page: Page, *, status: int = 200, values=None, trouble=None, at=None):
    answer = await pages.call(page, "GET", "/billing/rates")
    card = answer.data if answer.ok else None
    if trouble is None and not answer.ok:
        trouble = common.trouble_of(page, answer.problem, answer.problem.get("code"))
        status = status if answer.status == 404 else answer.status
    versions = await common.listing(page, "/billing/rates/versions")
    if values is None:
        values = {"labor_rate_per_hour": card["labor_rate_per_hour"], "callout_fee": card["callout_fee"],
                  "vat_percent": percent_of(card["vat_rate"])} if card else {"vat_percent": "13"}
    return common.show(page, "console/rates.html", status=status, card=card, versions=versions, values=values,
                       trouble=trouble, at=at or {}, today=station.today_in_china(page).isoformat())


@router.get("/rates")
async def rates(page: AdminPage):
    return await rates_page(page)


@router.post("/rates")
async def new_rates(page: AdminPage):
    values = common.posted(page)
    missing = [n for n in ("labor_rate_per_hour", "callout_fee", "vat_percent") if not values.get(n)]
    vat = values.get("vat_percent", "").rstrip("%").strip()
    try:
        fraction = Decimal(vat) / 100
        if not Decimal(0) <= fraction < 1:
            raise InvalidOperation
        vat_rate = format(fraction.normalize(), "f")
    except InvalidOperation:
        vat_rate = None
        if "vat_percent" not in missing:
            missing.append("vat_percent")
    if missing:
        trouble, at = common.bad_input(page, RATES_FORM, common.mark(page, RATES_FORM, *missing))
        return await rates_page(page, status=422, values=values, trouble=trouble, at=at)
    body = {"labor_rate_per_hour": values["labor_rate_per_hour"], "callout_fee": values["callout_fee"],
            "vat_rate": vat_rate, "currency": "CNY"}
    if values.get("effective_on"):
        body["effective_from"] = china_moment(values["effective_on"], values.get("effective_at", ""))
    answer = await pages.call(page, "PUT", "/billing/rates", json_body=body)
    if not answer.ok:
        trouble, at = common.refused(page, answer.problem, RATES_FORM)
        return await rates_page(page, status=answer.status, values=values, trouble=trouble, at=at)
    return pages.redirect(page, "/app/admin/rates?done=rates")


async def company_page(page: Page, *, status: int = 200, values=None, trouble=None, at=None):
    answer = await pages.call(page, "GET", "/billing/company")
    found = answer.data if answer.ok and isinstance(answer.data, dict) else None
    # 404 company_not_found: nobody has entered them yet, the form is there to do so. Anything else
    # (the service down, a route it does not serve) is said at the top.
    unset = not answer.ok and answer.problem.get("code") == "company_not_found"
    if trouble is None and not answer.ok and not unset:
        trouble, status = common.trouble_of(page, answer.problem, answer.problem.get("code")), answer.status
    if values is None:
        values = {k: str(found.get(k) or "") for k in COMPANY_FIELDS} if found else {}
    return common.show(page, "console/company.html", status=status, found=found, unset=unset, values=values,
                       trouble=trouble, at=at or {})


@router.get("/company")
async def company(page: AdminPage):
    return await company_page(page)


@router.post("/company")
async def save_company(page: AdminPage):
    values = common.posted(page)
    missing = [n for n in COMPANY_FIELDS if not values.get(n)]  # every one is printed on the bill
    if missing:
        trouble, at = common.bad_input(page, COMPANY_FORM, common.mark(page, COMPANY_FORM, *missing))
        return await company_page(page, status=422, values=values, trouble=trouble, at=at)
    body = {k: values.get(k, "") for k in COMPANY_FIELDS}
    answer = await pages.call(page, "PUT", "/billing/company", json_body=body)
    if not answer.ok:
        trouble, at = common.refused(page, answer.problem, COMPANY_FORM)
        return await company_page(page, status=answer.status, values=values, trouble=trouble, at=at)
    return pages.redirect(page, "/app/admin/company?done=saved")
