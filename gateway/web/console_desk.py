"""The service desk's settings in the admin console: the commitments (each level's minutes and clock
for dispatch, on site and fixed, the loaner, the follow-up and complaint promises) as a new version,
and a year's working calendar: the holidays and make-up working days the State Council publishes,
pasted or picked as dates, the opening hours, and whether the year is still provisional."""

import re
from datetime import date, timedelta

from fastapi import APIRouter

from gateway.web import console_words, pages, station
from gateway.web.console_common import AdminPage, Field, Form, bad_input, number, posted, refused, show, trouble_of
from gateway.web.i18n import N_
from gateway.web.pages import Page

router = APIRouter()
LEVELS = (1, 2, 3, 4)
MILESTONES = tuple(console_words.MILESTONES)
PROMISES = tuple(console_words.DESK_PROMISES)
COMMITMENTS_FORM = Form(
    fields={
        "effective_on": Field(N_("Takes effect on"), "future"),
        **{f"l{n}_{m}_minutes": Field(console_words.MILESTONES[m], "minutes") for n in LEVELS for m in MILESTONES},
        **{f"l{n}_{m}_clock": Field(console_words.MILESTONES[m], "pick") for n in LEVELS for m in MILESTONES},
        **{f"{p}_minutes": Field(console_words.DESK_PROMISES[p], "minutes") for p in PROMISES},
        **{f"{p}_clock": Field(console_words.DESK_PROMISES[p], "pick") for p in PROMISES},
    },
    wire={"effective_from": "effective_on",
          **{f"levels.{n - 1}.{m}.{k}": f"l{n}_{m}_{k}" for n in LEVELS for m in MILESTONES
             for k in ("minutes", "clock")},
          **{f"levels.{n - 1}.{m}": f"l{n}_{m}_minutes" for n in LEVELS for m in MILESTONES},
          **{f"levels.{n - 1}": f"l{n}_on_site_minutes" for n in LEVELS},
          **{f"{p}.{k}": f"{p}_{k}" for p in PROMISES for k in ("minutes", "clock")},
          **{p: f"{p}_minutes" for p in PROMISES}},
)
CALENDAR_FORM = Form(
    fields={"holidays": Field(N_("Holidays"), "dates"), "workdays": Field(N_("Make-up working days"), "dates"),
            "opens": Field(N_("Opens at"), "time"), "closes": Field(N_("Closes at"), "time")},
    wire={"hours.open": "opens", "hours.close": "closes", "hours": "opens"},
)
DAY = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
SPAN = re.compile(r"^\s*(\.\.|~|～|至|到|–|—)\s*$")
TOKEN = re.compile(r"[^\s,，、;；]+")


def commitments_values(found: dict | None) -> dict:
    values: dict = {}
    for level in (found or {}).get("levels", []):
        n = level["level"]
        for m in MILESTONES:
            values[f"l{n}_{m}_minutes"] = str(level[m]["minutes"])
            values[f"l{n}_{m}_clock"] = level[m]["clock"]
        values[f"l{n}_loaner"] = "yes" if level.get("loaner") else ""
    for p in PROMISES:
        if found and p in found:
            values[f"{p}_minutes"], values[f"{p}_clock"] = str(found[p]["minutes"]), found[p]["clock"]
    return values


async def commitments_page(page: Page, *, status: int = 200, values=None, trouble=None, at=None):
    answer = await pages.call(page, "GET", "/servicedesk/commitments")
    found = answer.data if answer.ok else None
    if trouble is None and not answer.ok and answer.status != 404:
        trouble, status = trouble_of(page, answer.problem, answer.problem.get("code")), answer.status
    return show(page, "console/commitments.html", status=status, found=found, levels=LEVELS,
                milestones=MILESTONES, promises=PROMISES, values=values or commitments_values(found),
                clocks=[(k, page.t.gettext(v)) for k, v in console_words.CLOCKS.items()],
                trouble=trouble, at=at or {}, today=station.today_in_china(page).isoformat())


@router.get("/commitments")
async def commitments(page: AdminPage):
    return await commitments_page(page)


def china_moment(day: str, clock: str) -> str:
    """A day and a time of day in China Standard Time, as RFC 3339."""
    return f"{day}T{clock or '00:00'}:00+08:00"


@router.post("/commitments")
async def new_commitments(page: AdminPage):
    values = posted(page)
    promise = lambda prefix: {"minutes": number(values.get(f"{prefix}_minutes", "")),  # noqa: E731
                              "clock": values.get(f"{prefix}_clock", "")}
    body: dict = {
        "levels": [{"level": n, **{m: promise(f"l{n}_{m}") for m in MILESTONES},
                    "loaner": values.get(f"l{n}_loaner") == "yes"} for n in LEVELS],
        **{p: promise(p) for p in PROMISES},
    }
    if values.get("effective_on"):
        body["effective_from"] = china_moment(values["effective_on"], values.get("effective_at", ""))
    answer = await pages.call(page, "PUT", "/servicedesk/commitments", json_body=body)
    if not answer.ok:
        order = {}
        for error in answer.problem.get("errors") or []:
            found = re.fullmatch(r"levels\.(\d)", str(error.get("field", ""))) if isinstance(error, dict) else None
            if found:
                order[f"l{int(found.group(1)) + 1}_on_site_minutes"] = page.t.gettext(
                    "Dispatch, on site and fixed must come in this order: each no fewer minutes than the one before.")
        trouble, at = refused(page, answer.problem, COMMITMENTS_FORM, at=order)
        return await commitments_page(page, status=answer.status, values=values, trouble=trouble, at=at)
    return pages.redirect(page, "/app/admin/commitments?done=commitments")


# ---- working calendar ----------------------------------------------------------------------------

def parse_days(text: str, year: int) -> tuple[list[date], list[str]]:
    """Dates as people paste them (2027-10-01, 2027/10/1, 2027年10月1日), separated by commas or lines;
    a span as `A..B` (or ~, 至). Returns the days, sorted, and what could not be read or lies outside `year`."""
    found: set[date] = set()
    matches = list(DAY.finditer(text))
    blanked = DAY.sub(lambda m: " " * len(m.group(0)), text)
    bad = [(m.start(), m.group(0)) for m in TOKEN.finditer(blanked) if not SPAN.match(m.group(0))]
    days: list[date | None] = []
    for match in matches:
        try:
            days.append(date(int(match.group(1)), int(match.group(2)), int(match.group(3))))
        except ValueError:
            bad.append((match.start(), match.group(0)))
            days.append(None)
    for index, day in enumerate(days):
        if day is None:
            continue
        found.add(day)
        if index + 1 < len(days) and days[index + 1] is not None:
            between = text[matches[index].end():matches[index + 1].start()]
            end = days[index + 1]
            if SPAN.match(between) and day < end and (end - day).days <= 366:
                found.update(day + timedelta(days=k) for k in range((end - day).days))
    outside = [d.isoformat() for d in sorted(found) if d.year != year]
    return sorted(d for d in found if d.year == year), [text for _at, text in sorted(bad)] + outside


def source_word(source: str) -> str:
    if source == "admin":
        return console_words.CALENDAR_SOURCES["admin"]
    return console_words.CALENDAR_SOURCES["statutory" if "statutory" in source else "package"]


def chosen_year(page: Page, text: str) -> int:
    this_year = station.today_in_china(page).year
    return int(text) if text.isdigit() and this_year - 5 <= int(text) <= this_year + 5 else this_year


async def calendar_page(page: Page, year: int, *, status: int = 200, values=None, trouble=None, at=None):
    answer = await pages.call(page, "GET", f"/servicedesk/calendar/{year}")
    found = answer.data if answer.ok else None
    if trouble is None and not answer.ok:
        trouble, status = trouble_of(page, answer.problem, answer.problem.get("code")), answer.status
    if values is None:
        values = {"holidays": "\n".join(found.get("holidays", [])), "workdays": "\n".join(found.get("workdays", [])),
                  # A schedule entered here is usually the published one: provisional only if an admin said so.
                  "provisional": "yes" if found.get("provisional") and found.get("source") == "admin" else "",
                  "opens": found["hours"]["open"], "closes": found["hours"]["close"]} if found else {}
    this_year = station.today_in_china(page).year
    return show(page, "console/calendar.html", status=status, year=year, found=found,
                years=[str(y) for y in range(this_year - 1, this_year + 3)], values=values, trouble=trouble,
                at=at or {}, source=source_word(found.get("source", "")) if found else "",
                holidays=[date.fromisoformat(d) for d in (found or {}).get("holidays", [])],
                workdays=[date.fromisoformat(d) for d in (found or {}).get("workdays", [])])


@router.get("/calendar")
async def calendar(page: AdminPage):
    return await calendar_page(page, chosen_year(page, page.request.query_params.get("year", "")))


@router.post("/calendar")
async def save_calendar(page: AdminPage):
    values = posted(page)
    year = chosen_year(page, values.get("year", ""))
    holidays, bad_holidays = parse_days(values.get("holidays", ""), year)
    workdays, bad_workdays = parse_days(values.get("workdays", ""), year)
    marks = {}
    for name, bad in (("holidays", bad_holidays), ("workdays", bad_workdays)):
        if bad:
            marks[name] = page.t.gettext("Not a day of %(year)s: %(values)s", year=year, values=", ".join(bad[:10]))
    both = sorted(set(holidays) & set(workdays))
    if both and "workdays" not in marks:
        marks["workdays"] = page.t.gettext("Both a holiday and a working day: %(values)s",
                                           values=", ".join(d.isoformat() for d in both[:10]))
    if marks:
        trouble, at = bad_input(page, CALENDAR_FORM, marks)
        return await calendar_page(page, year, status=422, values=values, trouble=trouble, at=at)
    body = {"holidays": [d.isoformat() for d in holidays], "workdays": [d.isoformat() for d in workdays],
            "provisional": values.get("provisional") == "yes",
            "hours": {"open": values.get("opens") or "08:30", "close": values.get("closes") or "17:00"}}
    answer = await pages.call(page, "PUT", f"/servicedesk/calendar/{year}", json_body=body)
    if not answer.ok:
        trouble, at = refused(page, answer.problem, CALENDAR_FORM)
        return await calendar_page(page, year, status=answer.status, values=values, trouble=trouble, at=at)
    return pages.redirect(page, f"/app/admin/calendar?year={year}&done=calendar")
