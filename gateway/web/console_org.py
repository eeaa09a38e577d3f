"""The organisation in the admin console: sites (service centres and repair stations, their robots'
webhooks) and technicians (their station picked from the sites), listed with the API's `?q=`,
created, edited and closed. Built against api.md's /servicedesk/sites and /servicedesk/technicians;
until the service desk serves them, each page says the platform does not offer them yet."""

from urllib.parse import urlencode

from fastapi import APIRouter

from gateway.web import console_words, pages, words
from gateway.web.console_billing import NOT_OFFERED
from gateway.web.console_common import (
    AdminPage,
    Field,
    Form,
    bad_input,
    every,
    listing,
    mark,
    posted,
    refused,
    region_options,
    show,
    trouble_of,
)
from gateway.web.i18n import N_
from gateway.web.pages import Page, seg

router = APIRouter()
SITE_FORM = Form(
    fields={"code": Field(N_("Site code"), "code"), "name": Field(N_("Name"), "text"),
            "kind": Field(N_("Kind"), "pick"), "parent": Field(N_("Service centre"), "pick"),
            "region": Field(N_("Region"), "pick"), "address": Field(N_("Address"), "text"),
            "phone": Field(N_("Phone"), "phone"), "webhook_kind": Field(N_("Group robot"), "pick"),
            "webhook_url": Field(N_("Robot address"), "url"), "status": Field(N_("Status"), "pick")},
    wire={"webhook.kind": "webhook_kind", "webhook.url": "webhook_url", "webhook": "webhook_url"},
    codes={"site_exists": "code", "site_not_found": "parent", "unknown_station": "parent"},
)
TECHNICIAN_FORM = Form(
    fields={"name": Field(N_("Name"), "text"), "phone": Field(N_("Mobile phone"), "phone"),
            "station": Field(N_("Station"), "pick"), "skills": Field(N_("Skills"), "pick")},
    codes={"unknown_station": "station", "site_not_found": "station"},
)


def _param(page: Page, name: str) -> str:
    return page.request.query_params.get(name, "").strip()


def _to(path: str, **query: str) -> str:
    return f"{path}?{urlencode(query)}"


def not_offered(page: Page, listing_or_answer) -> dict | None:
    """The notice a page shows while the service desk does not serve this list yet."""
    trouble = listing_or_answer.trouble
    return trouble_of(page, None, "method_not_allowed") if trouble and trouble["code"] in NOT_OFFERED else trouble


def site_label(page: Page, site: dict) -> str:
    kind = words.WAREHOUSE_KINDS.get(site.get("kind", ""))
    return f'{site["code"]} · {site.get("name", "")}' + (f" ({page.t.gettext(kind)})" if kind else "")


async def open_sites(page: Page, **query: str) -> list[dict]:
    return [s for s in await every(page, "/servicedesk/sites", query) if s.get("status", "open") == "open"]


# ---- sites ---------------------------------------------------------------------------------------

@router.get("/sites")
async def sites(page: AdminPage):
    q, kind, region = _param(page, "q"), _param(page, "kind"), _param(page, "region")
    kind = kind if kind in words.WAREHOUSE_KINDS else ""
    rows = await listing(page, "/servicedesk/sites", query={"q": q, "kind": kind, "region": region})
    return show(page, "console/sites.html", status=200 if rows.trouble and rows.status == 404 else rows.status,
                listing=rows, q=q, chosen_kind=kind, trouble=not_offered(page, rows),
                kinds=[(k, page.t.gettext(v)) for k, v in words.WAREHOUSE_KINDS.items()])


async def site_form(page: Page, *, site: dict | None = None, status: int = 200, values=None, trouble=None, at=None):
    centres = await open_sites(page, kind="service_center")
    if values is None:
        values = {"region": "shandong", "kind": "repair_station"}
        if site:
            values = {k: str(site.get(k) or "") for k in ("code", "name", "kind", "parent", "region", "address",
                                                          "phone")}
            values.update({"webhook_kind": (site.get("webhook") or {}).get("kind", ""),
                           "webhook_url": (site.get("webhook") or {}).get("url", "")})
    return show(page, "console/site.html", status=status, site=site, values=values, trouble=trouble, at=at or {},
                centres=[(s["code"], site_label(page, s)) for s in centres if not site or s["code"] != site["code"]],
                regions=await region_options(page),
                kinds=[(k, page.t.gettext(v)) for k, v in words.WAREHOUSE_KINDS.items()],
                robots=[(k, page.t.gettext(v)) for k, v in console_words.WEBHOOK_KINDS.items()])


def site_body(values: dict, *, creating: bool) -> dict:
    body = {k: values.get(k, "") for k in ("name", "region", "address", "phone")}
    body["parent"] = values.get("parent") or None
    if creating:
        body.update(code=values.get("code", "").upper(), kind=values.get("kind", ""))
    body["webhook"] = ({"kind": values["webhook_kind"], "url": values.get("webhook_url", "")}
                       if values.get("webhook_kind") else None)
    return body


def site_marks(page: Page, values: dict, *, creating: bool) -> dict[str, str]:
    required = ["name", "region", "address", "phone", *(["code", "kind"] if creating else [])]
    missing = [n for n in required if not values.get(n)]
    if values.get("webhook_kind") and not values.get("webhook_url", "").startswith("https://"):
        missing.append("webhook_url")
    return mark(page, SITE_FORM, *missing)


@router.get("/sites/new")
async def new_site(page: AdminPage):
    return await site_form(page)


@router.post("/sites/new")
async def create_site(page: AdminPage):
    values = posted(page)
    marks = site_marks(page, values, creating=True)
    if marks:
        trouble, at = bad_input(page, SITE_FORM, marks)
        return await site_form(page, status=422, values=values, trouble=trouble, at=at)
    answer = await pages.call(page, "POST", "/servicedesk/sites", json_body=site_body(values, creating=True))
    if not answer.ok:
        trouble, at = refused(page, answer.problem, SITE_FORM)
        if answer.problem.get("code") in NOT_OFFERED:
            trouble = trouble_of(page, answer.problem, "method_not_allowed")
        return await site_form(page, status=answer.status, values=values, trouble=trouble, at=at)
    return pages.redirect(page, _to("/app/admin/sites/edit", code=answer.data["code"], done="created"))


async def load_site(page: Page, code: str):
    answer = await pages.call(page, "GET", f"/servicedesk/sites/{seg(code)}")
    if answer.ok:
        return answer.data, None
    return None, show(page, "error.html", status=answer.status,
                      trouble=trouble_of(page, answer.problem, answer.problem.get("code")))


@router.get("/sites/edit")
async def edit_site(page: AdminPage):
    site, failed = await load_site(page, _param(page, "code").upper())
    return failed or await site_form(page, site=site)


@router.post("/sites/edit")
async def save_site(page: AdminPage):
    values = posted(page)
    site, failed = await load_site(page, values.get("code", "").upper())
    if failed:
        return failed
    marks = site_marks(page, values, creating=False)
    if marks:
        trouble, at = bad_input(page, SITE_FORM, marks)
        return await site_form(page, site=site, status=422, values=values, trouble=trouble, at=at)
    answer = await pages.call(page, "PATCH", f"/servicedesk/sites/{seg(site['code'])}",
                              json_body=site_body(values, creating=False))
    if not answer.ok:
        trouble, at = refused(page, answer.problem, SITE_FORM)
        return await site_form(page, site=site, status=answer.status, values=values, trouble=trouble, at=at)
    return pages.redirect(page, _to("/app/admin/sites/edit", code=site["code"], done="saved"))


@router.post("/sites/status")
async def site_status(page: AdminPage):
    code, status = page.value("code").upper(), page.value("status")
    site, failed = await load_site(page, code)
    if failed:
        return failed
    if status not in console_words.SITE_STATUSES:
        return await site_form(page, site=site, status=422, trouble=trouble_of(page, None, "bad_input"))
    answer = await pages.call(page, "PATCH", f"/servicedesk/sites/{seg(code)}", json_body={"status": status})
    if not answer.ok:
        trouble, at = refused(page, answer.problem, SITE_FORM)
        return await site_form(page, site=site, status=answer.status, trouble=trouble, at=at)
    return pages.redirect(page, _to("/app/admin/sites/edit", code=code,
                                    done="closed" if status == "closed" else "reopened"))


# ---- technicians ---------------------------------------------------------------------------------

@router.get("/technicians")
async def technicians(page: AdminPage):
    q, station, active = _param(page, "q"), _param(page, "station"), _param(page, "active")
    active = active if active in ("true", "false") else ""
    rows = await listing(page, "/servicedesk/technicians", query={"q": q, "station": station, "active": active})
    stations = await open_sites(page) if not rows.trouble else []
    return show(page, "console/technicians.html", status=200 if rows.trouble and rows.status == 404 else rows.status,
                listing=rows, q=q, chosen_station=station, chosen_active=active, trouble=not_offered(page, rows),
                stations=[(s["code"], site_label(page, s)) for s in stations],
                names={s["code"]: s.get("name", "") for s in stations})


async def technician_form(page: Page, *, found: dict | None = None, status: int = 200, values=None, skills=None,
                          trouble=None, at=None):
    stations = await open_sites(page)
    # Repair stations first: that is where technicians work; a centre's own staff after them.
    stations.sort(key=lambda s: (s.get("kind") != "repair_station", s["code"]))
    if values is None:
        values = {k: str((found or {}).get(k) or "") for k in ("name", "phone", "station")}
        skills = list((found or {}).get("skills") or [])
    return show(page, "console/technician.html", status=status, found=found, values=values,
                skills=skills or [], trouble=trouble, at=at or {},
                stations=[(s["code"], site_label(page, s)) for s in stations],
                skill_words=[(k, page.t.gettext(v)) for k, v in console_words.SKILLS.items()])


def technician_body(page: Page, values: dict) -> dict:
    return {"name": values.get("name", ""), "phone": values.get("phone", ""), "station": values.get("station", ""),
            "skills": [s for s in page.values("skills") if s in console_words.SKILLS]}


@router.get("/technicians/new")
async def new_technician(page: AdminPage):
    return await technician_form(page)


@router.post("/technicians/new")
async def create_technician(page: AdminPage):
    values, skills = posted(page), page.values("skills")
    missing = [n for n in ("name", "phone", "station") if not values.get(n)]
    if missing:
        trouble, at = bad_input(page, TECHNICIAN_FORM, mark(page, TECHNICIAN_FORM, *missing))
        return await technician_form(page, status=422, values=values, skills=skills, trouble=trouble, at=at)
    answer = await pages.call(page, "POST", "/servicedesk/technicians",
                              json_body={**technician_body(page, values), "active": True})
    if not answer.ok:
        trouble, at = refused(page, answer.problem, TECHNICIAN_FORM)
        if answer.problem.get("code") in NOT_OFFERED:
            trouble = trouble_of(page, answer.problem, "method_not_allowed")
        return await technician_form(page, status=answer.status, values=values, skills=skills, trouble=trouble, at=at)
    return pages.redirect(page, _to("/app/admin/technicians/edit", id=str(answer.data["id"]), done="created"))


async def load_technician(page: Page, technician_id: str):
    if not technician_id.isdigit():
        return None, show(page, "error.html", status=404, trouble=trouble_of(page, None, "technician_not_found"))
    answer = await pages.call(page, "GET", f"/servicedesk/technicians/{seg(technician_id)}")
    if answer.ok:
        return answer.data, None
    return None, show(page, "error.html", status=answer.status,
                      trouble=trouble_of(page, answer.problem, answer.problem.get("code")))


@router.get("/technicians/edit")
async def edit_technician(page: AdminPage):
    found, failed = await load_technician(page, _param(page, "id"))
    return failed or await technician_form(page, found=found)


@router.post("/technicians/edit")
async def save_technician(page: AdminPage):
    values, skills = posted(page), page.values("skills")
    found, failed = await load_technician(page, values.get("id", ""))
    if failed:
        return failed
    missing = [n for n in ("name", "phone", "station") if not values.get(n)]
    if missing:
        trouble, at = bad_input(page, TECHNICIAN_FORM, mark(page, TECHNICIAN_FORM, *missing))
        return await technician_form(page, found=found, status=422, values=values, skills=skills, trouble=trouble,
                                     at=at)
    answer = await pages.call(page, "PATCH", f"/servicedesk/technicians/{seg(found['id'])}",
                              json_body=technician_body(page, values))
    if not answer.ok:
        trouble, at = refused(page, answer.problem, TECHNICIAN_FORM)
        return await technician_form(page, found=found, status=answer.status, values=values, skills=skills,
                                     trouble=trouble, at=at)
    return pages.redirect(page, _to("/app/admin/technicians/edit", id=str(found["id"]), done="saved"))


@router.post("/technicians/status")
async def technician_status(page: AdminPage):
    found, failed = await load_technician(page, page.value("id"))
    if failed:
        return failed
    active = page.value("active") == "true"
    answer = await pages.call(page, "PATCH", f"/servicedesk/technicians/{seg(found['id'])}",
                              json_body={"active": active})
    if not answer.ok:
        trouble, at = refused(page, answer.problem, TECHNICIAN_FORM)
        return await technician_form(page, found=found, status=answer.status, trouble=trouble, at=at)
    return pages.redirect(page, _to("/app/admin/technicians/edit", id=str(found["id"]),
                                    done="reopened" if active else "closed"))
