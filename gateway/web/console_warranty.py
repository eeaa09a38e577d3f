"""The warranty policy and the season calendars in the admin console: the version in force and its
terms, a new version (its effective day, each category's length; a term under the law's floor is
refused at its field), each region's heating and cooling season, editing one and adding a region."""

from fastapi import APIRouter

from gateway.web import console_words, pages, station, words
from gateway.web.console_common import (
    AdminPage,
    Field,
    Form,
    bad_input,
    listing,
    posted,
    refused,
    region_label,
    show,
    trouble_of,
)
from gateway.web.i18n import N_
from gateway.web.pages import Page, seg

router = APIRouter()
COMPONENTS = tuple(words.COMPONENTS)
POLICY_FORM = Form(
    fields={"effective_from": Field(N_("Takes effect on"), "future"),
            **{f"length_{c}": Field(words.COMPONENTS[c], "term") for c in COMPONENTS}},
    wire={"terms": f"length_{COMPONENTS[0]}",
          **{f"terms.{c}": f"length_{c}" for c in COMPONENTS},
          **{f"terms.{i}": f"length_{c}" for i, c in enumerate(COMPONENTS)}},
    codes={"effective_from_in_past": "effective_from"},
)
BOUNDS = tuple(f"{season}_{edge}" for season in ("heating", "cooling") for edge in ("start", "end"))
SEASON_FORM = Form(
    fields={"region": Field(N_("Region"), "code"), "effective_from": Field(N_("Takes effect on"), "future"),
            **{f"{b}_month": Field(_label, "month_day") for b, _label in zip(BOUNDS, (
                N_("Heating season starts"), N_("Heating season ends"), N_("Cooling season starts"),
                N_("Cooling season ends")),
                strict=True)}},
    wire={"heating": "heating_start_month", "cooling": "cooling_start_month",
          **{f"{b.replace('_', '.')}": f"{b}_month" for b in BOUNDS}},
    codes={"effective_from_in_past": "effective_from", "invalid_season": "heating_start_month"},
)


def policy_values(policy: dict | None, today: str) -> dict:
    values = {"effective_from": today}
    for term in (policy or {}).get("terms", []):
        values[f"length_{term['component']}"] = str(term["length"])
        values[f"kind_{term['component']}"] = term["kind"]
    return values


async def policy_page(page: Page, *, status: int = 200, values=None, trouble=None, at=None):
    answer = await pages.call(page, "GET", "/warranty/policy")
    policy = answer.data if answer.ok else None
    versions = await listing(page, "/warranty/policy/versions")
    today = station.today_in_china(page).isoformat()
    if trouble is None and not answer.ok:
        trouble, status = trouble_of(page, answer.problem, answer.problem.get("code")), answer.status
    return show(page, "console/policy.html", status=status, policy=policy, versions=versions, today=today,
                values=values or policy_values(policy, today), trouble=trouble, at=at or {},
                components=COMPONENTS)


@router.get("/policy")
async def policy(page: AdminPage):
    return await policy_page(page)


@router.post("/policy")
async def new_policy(page: AdminPage):
    values = posted(page)
    terms, empty = [], []
    for component in COMPONENTS:
        text = values.get(f"length_{component}", "")
        if not text.isdigit():
            empty.append(f"length_{component}")
            continue
        terms.append({"component": component, "kind": values.get(f"kind_{component}", ""), "length": int(text)})
    if empty:
        trouble, at = bad_input(page, POLICY_FORM, {n: page.t.gettext(console_words.RULES["term"]) for n in empty})
        return await policy_page(page, status=422, values=values, trouble=trouble, at=at)
    body = {"terms": terms}
    if values.get("effective_from"):
        body["effective_from"] = values["effective_from"]
    answer = await pages.call(page, "PUT", "/warranty/policy", json_body=body)
    if not answer.ok:
        trouble, at = refused(page, answer.problem, POLICY_FORM, at=floors(page, answer.problem))
        return await policy_page(page, status=answer.status, values=values, trouble=trouble, at=at)
    return pages.redirect(page, "/app/admin/policy?done=policy")


def floors(page: Page, problem: dict | None) -> dict[str, str]:
    """Each term under the law's floor, with the floor it must reach, in the reader's words."""
    if not problem or problem.get("code") != "below_legal_minimum":
        return {}
    marks = {}
    for error in problem.get("errors") or []:
        component = str(error.get("field", "")).removeprefix("terms.") if isinstance(error, dict) else ""
        if component in console_words.LEGAL_FLOOR:
            marks[f"length_{component}"] = page.t.gettext(
                "Below the legal minimum: %(floor)s.", floor=page.t.gettext(console_words.LEGAL_FLOOR[component]))
    return marks


@router.get("/seasons")
async def seasons(page: AdminPage):
    answer = await pages.call(page, "GET", "/warranty/regions")
    rows = pages.items(answer)
    return show(page, "console/seasons.html", status=200 if answer.ok else answer.status, rows=rows,
                trouble=None if answer.ok else trouble_of(page, answer.problem, answer.problem.get("code")),
                label=lambda code: region_label(page, code))


def season_values(found: dict | None, today: str) -> dict:
    values = {"effective_from": today}
    for season in ("heating", "cooling"):
        for edge in ("start", "end"):
            text = ((found or {}).get(season) or {}).get(edge, "")
            if len(text) == 5:
                values[f"{season}_{edge}_month"] = str(int(text[:2]))
                values[f"{season}_{edge}_day"] = str(int(text[3:]))
    if found:
        values["region"] = found["region"]
    return values


async def season_form(page: Page, region: str, *, status: int = 200, values=None, trouble=None, at=None):
    found = None
    if region:
        answer = await pages.call(page, "GET", f"/warranty/regions/{seg(region)}")
        if not answer.ok:
            return show(page, "error.html", status=answer.status,
                        trouble=trouble_of(page, answer.problem, answer.problem.get("code")))
        found = answer.data
    today = station.today_in_china(page).isoformat()
    return show(page, "console/season.html", status=status, region=region, found=found,
                label=region_label(page, region) if region else "",
                values=values or season_values(found, today), trouble=trouble, at=at or {}, today=today,
                months=[(str(m), page.t.gettext("Month %(month)s", month=m)) for m in console_words.MONTHS],
                days=[(str(d), str(d)) for d in console_words.DAYS])


@router.get("/seasons/edit")
async def edit_season(page: AdminPage):
    region = page.request.query_params.get("region", "").strip().lower()
    return await season_form(page, region)


@router.get("/seasons/new")
async def new_season(page: AdminPage):
    return await season_form(page, "")


@router.post("/seasons")
async def save_season(page: AdminPage):
    values = posted(page)
    adding = values.get("adding") == "yes"
    region = values.get("region", "").strip().lower()
    marks = {}
    if not region:
        marks["region"] = page.t.gettext(console_words.RULES["code"])
    body: dict = {}
    for bound in BOUNDS:
        month, day = values.get(f"{bound}_month", ""), values.get(f"{bound}_day", "")
        if not (month.isdigit() and day.isdigit()):
            marks[f"{bound}_month"] = page.t.gettext(console_words.RULES["month_day"])
            continue
        season, edge = bound.split("_")
        body.setdefault(season, {})[edge] = f"{int(month):02d}-{int(day):02d}"
    if adding and region and not marks:
        exists = await pages.call(page, "GET", f"/warranty/regions/{seg(region)}")
        if exists.ok:
            marks["region"] = page.t.gettext("This region already has a season calendar: change it from the list.")
    if marks:
        trouble, at = bad_input(page, SEASON_FORM, marks)
        return await season_form(page, "" if adding else region, status=422, values=values, trouble=trouble, at=at)
    if values.get("effective_from"):
        body["effective_from"] = values["effective_from"]
    body["apply_to_existing_units"] = values.get("apply_to_existing_units") == "yes"
    answer = await pages.call(page, "PUT", f"/warranty/regions/{seg(region)}", json_body=body)
    if not answer.ok:
        trouble, at = refused(page, answer.problem, SEASON_FORM)
        return await season_form(page, "" if adding else region, status=answer.status, values=values,
                                 trouble=trouble, at=at)
    return pages.redirect(page, "/app/admin/seasons?done=season")
