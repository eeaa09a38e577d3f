"""The organisation in the admin console: sites (service centres and repair stations, their robots'
webhooks) and technicians (their station picked from the open sites), listed with the API's `?q=`,
created, edited and closed through the service desk's /servicedesk/sites and /servicedesk/technicians.
A refusal lands at its field (409 `site_exists` at the code, 422 `unknown_station` at the station, a
webhook the desk will not call at the robot's address); an outage or a missing route says so."""

from fastapi import APIRouter

from gateway.web import console_common as common
from gateway.web import console_words, pages, words
from gateway.web.console_address import param, to
from gateway.web.console_common import AdminPage, Field, Form
from gateway.web.i18n import N_
from gateway.web.pages import Page, seg

router = APIRouter()
# What a site may belong to (domain.md section 7): a station to a service centre, a centre to the central
# warehouse (or nothing), the central warehouse to nothing. Who takes work: open stations and centres.
PARENT_KINDS = {"repair_station": ("service_center",), "service_center": ("central",), "central": ()}
TAKES_WORK = ("repair_station", "service_center")
SITE_FORM = Form(
    fields={"code": Field(N_("Site code"), "site_code"), "name": Field(N_("Name"), "text"),
            "kind": Field(N_("Kind"), "pick"), "parent": Field(N_("Belongs to"), "parent"),
            "region": Field(N_("Region"), "pick"), "address": Field(N_("Address"), "address"),
            "phone": Field(N_("Phone"), "phone"), "webhook_kind": Field(N_("Group robot"), "pick"),
            "webhook_url": Field(N_("Robot address"), "webhook"), "status": Field(N_("Status"), "pick")},
    wire={"webhook.kind": "webhook_kind", "webhook.url": "webhook_url", "webhook": "webhook_url"},
    codes={"site_exists": "code"},
)
ACTIVE_TABS = (("", N_("All")), ("true", N_("Active")), ("false", N_("Inactive")))
TECHNICIAN_FORM = Form(
    fields={"name": Field(N_("Name"), "text"), "phone": Field(N_("Mobile phone"), "phone"),
            "station": Field(N_("Station"), "pick"), "skills": Field(N_("Skills"), "pick")},
    codes={"unknown_station": "station"},
)


def site_label(page: Page, site: dict) -> str:
    kind = words.WAREHOUSE_KINDS.get(site.get("kind", ""))
    closed = f' · {page.t.gettext(console_words.SITE_STATUSES["closed"])}' if site.get("status") == "closed" else ""
    return (f'{site["code"]} · {site.get("name", "")}' + (f" ({page.t.gettext(kind)})" if kind else "")) + closed


async def sites_to_pick(page: Page, **query: str) -> tuple[list[dict], dict | None, int]:
    """The sites to pick from (open ones unless `status` says otherwise), and what went wrong fetching them."""
    answer = await pages.call(page, "GET", "/servicedesk/sites", query={"status": "open", **query,
                                                                         "limit": common.PICK_LIMIT})
    if answer.ok:
        return pages.items(answer), None, 200
    return [], common.trouble_of(page, answer.problem, answer.problem.get("code")), answer.status


# ---- sites ---------------------------------------------------------------------------------------

@router.get("/sites")
async def sites(page: AdminPage):
    q, kind, region = param(page, "q"), param(page, "kind"), param(page, "region")
    kind = kind if kind in words.WAREHOUSE_KINDS else ""
    rows = await common.listing(page, "/servicedesk/sites", query={"q": q, "kind": kind, "region": region})
    return common.show(page, "console/sites.html", status=rows.status, listing=rows, q=q, chosen_kind=kind,
                       trouble=rows.trouble, kinds=[(k, page.t.gettext(v)) for k, v in words.WAREHOUSE_KINDS.items()])


async def site_form(page: Page, *, site: dict | None = None, status: int = 200, values=None, trouble=None, at=None):
    candidates, failed, failed_status = await sites_to_pick(page)
    if trouble is None and failed:
        trouble, status = failed, failed_status
    wanted = PARENT_KINDS.get(site["kind"], ()) if site else ("service_center", "central")
    parents = [s for s in candidates if s.get("kind") in wanted and (not site or s["code"] != site["code"])]
    parents.sort(key=lambda s: (s.get("kind") != "service_center", s["code"]))
    if site and site.get("parent") and site["parent"] not in {s["code"] for s in parents}:
        parents.append(await common.exact(page, f"/servicedesk/sites/{seg(site['parent'])}")
                       or {"code": site["parent"]})
    if values is None:
        values = {"region": "shandong", "kind": "repair_station"}
        if site:
            values = {k: str(site.get(k) or "") for k in ("code", "name", "kind", "parent", "region", "address",
                                                          "phone")}
            values.update({"webhook_kind": (site.get("webhook") or {}).get("kind", ""),
                           "webhook_url": (site.get("webhook") or {}).get("url", "")})
    return common.show(page, "console/site.html", status=status, site=site, values=values, trouble=trouble, at=at or {},
                       parents=[(s["code"], site_label(page, s)) for s in parents],
                       regions=await common.region_options(page),
                       kinds=[(k, page.t.gettext(v)) for k, v in words.WAREHOUSE_KINDS.items()],
                       robots=[(k, page.t.gettext(v)) for k, v in console_words.WEBHOOK_KINDS.items()])


def site_body(values: dict, *, kind: str, creating: bool) -> dict:
    body = {k: values.get(k, "") for k in ("name", "region", "address", "phone")}
    body["parent"] = (values.get("parent") or None) if kind != "central" else None
    if creating:
        body.update(code=values.get("code", "").upper(), kind=kind)
    body["webhook"] = ({"kind": values["webhook_kind"], "url": values.get("webhook_url", "")}
                       if values.get("webhook_kind") else None)
    return body


def site_marks(page: Page, values: dict, *, kind: str, creating: bool) -> dict[str, str]:
    """What the page refuses before sending: a field left empty, a station without its centre, a robot
    without its address (or an address without its robot), an address that is not https."""
    required = ["name", "region", "address", "phone", *(["code", "kind"] if creating else [])]
    missing = [n for n in required if not values.get(n)]
    if kind == "repair_station" and not values.get("parent"):
        missing.append("parent")
    url = values.get("webhook_url", "")
    if values.get("webhook_kind") and not url.lower().startswith("https://"):
        missing.append("webhook_url")
    elif url and not values.get("webhook_kind"):
        missing.append("webhook_kind")
    return common.mark(page, SITE_FORM, *missing)


@router.get("/sites/new")
async def new_site(page: AdminPage):
    return await site_form(page)


@router.post("/sites/new")
async def create_site(page: AdminPage):
    values = common.posted(page)
    kind = values.get("kind", "") if values.get("kind") in words.WAREHOUSE_KINDS else ""
    marks = site_marks(page, {**values, "kind": kind}, kind=kind, creating=True)
    if marks:
        trouble, at = common.bad_input(page, SITE_FORM, marks)
        return await site_form(page, status=422, values=values, trouble=trouble, at=at)
    answer = await pages.call(page, "POST", "/servicedesk/sites",
                              json_body=site_body(values, kind=kind, creating=True))
    if not answer.ok:
        trouble, at = common.refused(page, answer.problem, SITE_FORM)
        return await site_form(page, status=answer.status, values=values, trouble=trouble, at=at)
    return pages.redirect(page, to("/app/admin/sites/edit", code=answer.data["code"], done="created"))


async def load_site(page: Page, code: str):
    answer = await pages.call(page, "GET", f"/servicedesk/sites/{seg(code)}") if code else None
    if answer is not None and answer.ok:
        return answer.data, None
    if answer is None:
        return None, common.show(page, "error.html", status=404,
                                 trouble=common.trouble_of(page, None, "site_not_found"))
    return None, common.show(page, "error.html", status=answer.status,
                             trouble=common.trouble_of(page, answer.problem, answer.problem.get("code")))


@router.get("/sites/edit")
async def edit_site(page: AdminPage):
    site, failed = await load_site(page, param(page, "code").upper())
    return failed or await site_form(page, site=site)


@router.post("/sites/edit")
async def save_site(page: AdminPage):
    values = common.posted(page)
    site, failed = await load_site(page, values.get("code", "").upper())
    if failed:
        return failed
    marks = site_marks(page, values, kind=site["kind"], creating=False)
    if marks:
        trouble, at = common.bad_input(page, SITE_FORM, marks)
        return await site_form(page, site=site, status=422, values=values, trouble=trouble, at=at)
    answer = await pages.call(page, "PATCH", f"/servicedesk/sites/{seg(site['code'])}",
                              json_body=site_body(values, kind=site["kind"], creating=False))
    if not answer.ok:
        trouble, at = common.refused(page, answer.problem, SITE_FORM)
        return await site_form(page, site=site, status=answer.status, values=values, trouble=trouble, at=at)
    return pages.redirect(page, to("/app/admin/sites/edit", code=site["code"], done="saved"))


@router.post("/sites/status")
async def site_status(page: AdminPage):
    code, status = page.value("code").upper(), page.value("status")
    site, failed = await load_site(page, code)
    if failed:
        return failed
    if status not in console_words.SITE_STATUSES:
        return await site_form(page, site=site, status=422, trouble=common.trouble_of(page, None, "bad_input"))
    answer = await pages.call(page, "PATCH", f"/servicedesk/sites/{seg(site['code'])}", json_body={"status": status})
    if not answer.ok:
        trouble, at = common.refused(page, answer.problem, SITE_FORM)
        return await site_form(page, site=site, status=answer.status, trouble=trouble, at=at)
    return pages.redirect(page, to("/app/admin/sites/edit", code=site["code"],
                                    done="closed" if status == "closed" else "reopened"))


# ---- technicians ---------------------------------------------------------------------------------

@router.get("/technicians")
async def technicians(page: AdminPage):
    q, station, active = param(page, "q"), param(page, "station").upper(), param(page, "active")
    active = active if active in ("true", "false") else ""
    rows = await common.listing(page, "/servicedesk/technicians", query={"q": q, "station": station, "active": active})
    every_site, _failed, _status = await sites_to_pick(page, status="") if not rows.trouble else ([], None, 200)
    stations = [s for s in every_site if s.get("kind") in TAKES_WORK and s.get("status") == "open"]
    tabs = [(to("/app/admin/technicians", **{k: v for k, v in (("active", value), ("station", station)) if v}),
             page.t.gettext(word), value == active) for value, word in ACTIVE_TABS]
    return common.show(page, "console/technicians.html", status=rows.status, listing=rows, q=q, chosen_station=station,
                       chosen_active=active, trouble=rows.trouble, active_tabs=tabs,
                       stations=[(s["code"], site_label(page, s)) for s in stations],
                       names={s["code"]: s.get("name", "") for s in every_site})


async def technician_form(page: Page, *, found: dict | None = None, status: int = 200, values=None, skills=None,
                          trouble=None, at=None):
    candidates, failed, failed_status = await sites_to_pick(page)
    if trouble is None and failed:
        trouble, status = failed, failed_status
    # Repair stations first: that is where technicians work; a centre's own staff after them.
    stations = sorted((s for s in candidates if s.get("kind") in TAKES_WORK),
                      key=lambda s: (s.get("kind") != "repair_station", s["code"]))
    if found and found.get("station") not in {s["code"] for s in stations}:
        # Their station was closed since: shown, so that a change of name or skills keeps it.
        stations.append(await common.exact(page, f"/servicedesk/sites/{seg(found['station'])}")
                        or {"code": found["station"]})
    if values is None:
        values = {k: str((found or {}).get(k) or "") for k in ("name", "phone", "station")}
        skills = list((found or {}).get("skills") or [])
    return common.show(page, "console/technician.html", status=status, found=found, values=values,
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
    values, skills = common.posted(page), page.values("skills")
    missing = [n for n in ("name", "phone", "station") if not values.get(n)]
    if missing:
        trouble, at = common.bad_input(page, TECHNICIAN_FORM, common.mark(page, TECHNICIAN_FORM, *missing))
        return await technician_form(page, status=422, values=values, skills=skills, trouble=trouble, at=at)
    answer = await pages.call(page, "POST", "/servicedesk/technicians",
                              json_body={**technician_body(page, values), "active": True})
    if not answer.ok:
        trouble, at = common.refused(page, answer.problem, TECHNICIAN_FORM)
        return await technician_form(page, status=answer.status, values=values, skills=skills, trouble=trouble, at=at)
    return pages.redirect(page, to("/app/admin/technicians/edit", id=str(answer.data["id"]), done="created"))


async def load_technician(page: Page, technician_id: str):
    if not technician_id.isdigit() or len(technician_id) > 9:
        return None, common.show(page, "error.html", status=404,
                                 trouble=common.trouble_of(page, None, "technician_not_found"))
    answer = await pages.call(page, "GET", f"/servicedesk/technicians/{seg(technician_id)}")
    if answer.ok:
        return answer.data, None
    return None, common.show(page, "error.html", status=answer.status,
                             trouble=common.trouble_of(page, answer.problem, answer.problem.get("code")))


@router.get("/technicians/edit")
async def edit_technician(page: AdminPage):
    found, failed = await load_technician(page, param(page, "id"))
    return failed or await technician_form(page, found=found)


@router.post("/technicians/edit")
async def save_technician(page: AdminPage):
    values, skills = common.posted(page), page.values("skills")
    found, failed = await load_technician(page, values.get("id", ""))
    if failed:
        return failed
    missing = [n for n in ("name", "phone", "station") if not values.get(n)]
    if missing:
        trouble, at = common.bad_input(page, TECHNICIAN_FORM, common.mark(page, TECHNICIAN_FORM, *missing))
        return await technician_form(page, found=found, status=422, values=values, skills=skills, trouble=trouble,
                                     at=at)
    answer = await pages.call(page, "PATCH", f"/servicedesk/technicians/{seg(found['id'])}",
                              json_body=technician_body(page, values))
    if not answer.ok:
        trouble, at = common.refused(page, answer.problem, TECHNICIAN_FORM)
        return await technician_form(page, found=found, status=answer.status, values=values, skills=skills,
                                     trouble=trouble, at=at)
    return pages.redirect(page, to("/app/admin/technicians/edit", id=str(found["id"]), done="saved"))


@router.post("/technicians/status")
async def technician_status(page: AdminPage):
    found, failed = await load_technician(page, page.value("id"))
    if failed:
        return failed
    active = page.value("active") == "true"
    answer = await pages.call(page, "PATCH", f"/servicedesk/technicians/{seg(found['id'])}",
                              json_body={"active": active})
    if not answer.ok:
        trouble, at = common.refused(page, answer.problem, TECHNICIAN_FORM)
        return await technician_form(page, found=found, status=answer.status, trouble=trouble, at=at)
    return pages.redirect(page, to("/app/admin/technicians/edit", id=str(found["id"]),
                                    done="reopened" if active else "closed"))
