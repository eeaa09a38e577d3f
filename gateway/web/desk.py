"""The service desk's pages: take a report by phone, the board by urgency, dispatch, follow-up calls and
complaints (role `desk`); and a repair station's tickets, arrival, pauses and resolution (role `station`, on
a phone). Every call goes to the endpoints of api.md "Service desk" through Gateway.call."""

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends

from gateway.web import i18n, pages
from gateway.web.i18n import N_
from gateway.web.pages import Page, seg
from gateway.web.station import clean_serial, coverage_rows, today_in_china

router = APIRouter()
DeskPage = Annotated[Page, Depends(pages.for_roles("desk"))]
# A station's technicians log their own steps; the desk may do it for them over the phone.
FieldPage = Annotated[Page, Depends(pages.for_roles("station", "desk"))]
STATION_COOKIE = "aftersales_station"

LEVELS = {
    1: N_("Level 1: system down or service interrupted"),
    2: N_("Level 2: risk of a stop"),
    3: N_("Level 3: service degraded"),
    4: N_("Level 4: intermittent or indirect impact"),
}
CHANNELS = {"phone": N_("Phone"), "web": N_("Web"), "wechat": N_("WeChat")}
STATUSES = {
    "incomplete": N_("Report incomplete"),
    "open": N_("Waiting for dispatch"),
    "dispatched": N_("Dispatched"),
    "on_site": N_("Technician on site"),
    "resolved": N_("Fixed, follow-up call due"),
    "closed": N_("Closed"),
    "cancelled": N_("Cancelled"),
}
BOARD_STATUSES = ("incomplete", "open", "dispatched", "on_site")
MILESTONES = {"dispatch": N_("Dispatch"), "on_site": N_("On site"), "fixed": N_("Fixed"),
              "follow_up": N_("Follow-up call"), "answer": N_("Answer"), "resolve": N_("Resolve")}
# Each state in a colour AND in words (never colour alone).
STATES = {
    "pending": ("good", N_("On time")),
    "at_risk": ("warn", N_("At risk")),
    "breached": ("bad", N_("Breached")),
    "met": ("good", N_("Met")),
    "met_late": ("bad", N_("Met late")),
    "paused": ("neutral", N_("Paused")),
}
CLOCKS = {"round_the_clock": N_("round the clock"), "business": N_("working hours")}
PAUSE_REASONS = {
    "customer_unavailable": N_("The customer is not available"),
    "no_site_access": N_("No access to the site"),
    "customer_requested_later": N_("The customer asked for a later time"),
}
MISSING = {"description": N_("What failed"), "level": N_("Fault level"), "caller.phone": N_("Contact phone"),
           "site_address": N_("Site address")}
LOANER = {"not_due": N_("Not due"), "due": N_("Due: fixed too late"), "provided": N_("Provided"),
          "returned": N_("Returned")}
COMPLAINT_STATUSES = {"open": N_("Open"), "answered": N_("Answered"), "resolved": N_("Resolved")}
EVENTS = {
    "reported": N_("Report taken"), "updated": N_("Report filled in"), "completed": N_("Report complete"),
    "coverage_filled": N_("Coverage filled in"), "dispatched": N_("Dispatched"),
    "redispatched": N_("Dispatched again"), "arrived": N_("Arrived on site"), "paused": N_("Clock paused"),
    "resumed": N_("Clock resumed"), "resolved": N_("Fixed"), "cancelled": N_("Cancelled"),
    "follow_up": N_("Follow-up call"), "closed": N_("Closed"), "complaint_opened": N_("Complaint opened"),
    "loaner_reserved": N_("Loaner reserved"), "loaner_released": N_("Loaner released"),
    "history_delivered": N_("Entered in the unit's history"),
    "history_not_applicable": N_("No unit history to enter"),
}
DONE = {
    "reported": N_("The report was taken."),
    "filled": N_("The report was filled in."),
    "dispatched": N_("The dispatch was logged."),
    "arrived": N_("The arrival was logged."),
    "paused": N_("The clock is paused."),
    "resumed": N_("The clock runs again."),
    "resolved": N_("The resolution was logged."),
    "follow_up": N_("The follow-up call was logged."),
    "cancelled": N_("The ticket was cancelled."),
    "loaner": N_("A loaner was reserved."),
    "complaint": N_("The complaint was recorded."),
    "answered": N_("The answer was logged."),
    "complaint_resolved": N_("The complaint is resolved."),
}


# ---- what the pages compute from the API's answers ----

def parse_instant(value) -> datetime | None:
    if not value:
        return None
    try:
        found = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def time_left(t: i18n.Translator, due_at, now: datetime) -> str:
    """Minutes until a due time (wall clock), or how long ago it passed, in the reader's words."""
    due = parse_instant(due_at)
    if due is None:
        return ""
    minutes = int((due - now).total_seconds() // 60)
    late = minutes < 0
    minutes = abs(minutes)
    if minutes >= 60:
        text = t.gettext("%(hours)s h %(minutes)s min", hours=minutes // 60, minutes=minutes % 60)
    else:
        text = t.gettext("%(minutes)s min", minutes=minutes)
    return t.gettext("%(time)s overdue", time=text) if late else t.gettext("%(time)s left", time=text)


def promise_rows(t: i18n.Translator, milestones: list[dict] | None, now: datetime) -> list[dict]:
    rows = []
    for m in milestones or []:
        colour, label = STATES.get(m.get("state"), ("neutral", m.get("state", "")))
        open_ = m.get("state") in ("pending", "at_risk", "breached")
        rows.append({
            "name": m.get("name"), "title": t.gettext(MILESTONES.get(m.get("name"), m.get("name", ""))),
            "state": m.get("state"), "colour": colour, "label": t.gettext(label),
            "due": t.timestamp(m.get("due_at")) if m.get("due_at") else "—",
            "met": t.timestamp(m.get("met_at")) if m.get("met_at") else "",
            "left": time_left(t, m.get("due_at"), now) if open_ else "",
            "clock": t.gettext(CLOCKS[m["clock"]]) if m.get("clock") in CLOCKS else "",
            "provisional": bool(m.get("provisional")),
        })
    return rows


def most_urgent(ticket: dict) -> tuple:
    """Sort key of the board: incomplete reports first (their clock cannot start), then the earliest due
    time of a promise still to meet, then the ticket number."""
    if ticket.get("status") == "incomplete":
        return (0, "", ticket.get("id", 0))
    dues = [m["due_at"] for m in ticket.get("milestones") or []
            if m.get("state") in ("pending", "at_risk", "breached") and m.get("due_at")]
    due = min((parse_instant(d) for d in dues), default=None)
    return (1, due.isoformat() if due else "9999", ticket.get("id", 0))


def local_instant(value: str) -> str | None | bool:
    """A `datetime-local` field read as China Standard Time, as the wire's UTC text; "" → None (now);
    something unreadable → False."""
    if not value:
        return None
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        return False
    if local.tzinfo is None:
        local = local.replace(tzinfo=i18n.CHINA_TIME)
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_local(page: Page) -> str:
    return page.state.clock.now().astimezone(i18n.CHINA_TIME).strftime("%Y-%m-%dT%H:%M")


def done_text(page: Page) -> str:
    done = page.request.query_params.get("done")
    return page.t.gettext(DONE[done]) if done in DONE else ""


def bad_input(page: Page, fields: list[str]) -> dict:
    return {**pages.trouble(page, None, code="bad_input"), "fields": fields}


def render(page: Page, template: str, *, status: int = 200, **values):
    return pages.render(page, template, status=status, d=DeskWords, done=done_text(page), **values)


class DeskWords:
    """What the templates read: the code→words tables above."""

    LEVELS, CHANNELS, STATUSES, MILESTONES, STATES = LEVELS, CHANNELS, STATUSES, MILESTONES, STATES
    PAUSE_REASONS, MISSING, LOANER, COMPLAINT_STATUSES, EVENTS = (PAUSE_REASONS, MISSING, LOANER,
                                                                  COMPLAINT_STATUSES, EVENTS)


# ---- the desk: the board ----

@router.get("/app/desk")
@router.get("/app/desk/")
async def board(page: DeskPage):
    query = {k: page.request.query_params.get(k, "") for k in ("level", "state", "station")}
    answers = await asyncio.gather(*[
        pages.call(page, "GET", "/servicedesk/tickets", query={**query, "status": status, "limit": 500})
        for status in BOARD_STATUSES])
    failed = next((a for a in answers if not a.ok), None)
    tickets = sorted((ticket for a in answers for ticket in pages.items(a)), key=most_urgent)
    now = page.state.clock.now()
    rows = [{"ticket": ticket, "promises": promise_rows(page.t, ticket.get("milestones"), now)} for ticket in tickets]
    return render(page, "desk/board.html", status=200 if failed is None else failed.status, rows=rows,
                  query=query, trouble=pages.trouble(page, failed.problem) if failed else None)


# ---- the desk: taking a report by phone ----

async def unit_facts(page: Page, serial: str) -> tuple[dict | None, list[dict], dict | None]:
    """The registered unit, its coverage today, and what went wrong looking them up."""
    found = await pages.call(page, "GET", f"/warranty/units/{seg(serial)}")
    if not found.ok:
        return None, [], pages.trouble(page, found.problem)
    if not isinstance(found.data, dict) or "serial_number" not in found.data:
        return None, [], pages.trouble(page, None, code="internal_error")
    coverage = await pages.call(page, "GET", f"/warranty/units/{seg(serial)}/coverage",
                                query={"on": today_in_china(page).isoformat()})
    return found.data, coverage_rows(coverage.data if coverage.ok else None), pages.trouble(page, coverage.problem)


async def report_form(page: Page, *, status: int = 200, trouble=None, serial: str = "", values=None):
    unit, rows, lookup_trouble = None, [], None
    if serial:
        unit, rows, lookup_trouble = await unit_facts(page, serial)
    filled = dict(values or {})
    if unit and not filled.get("site_address"):
        site = unit.get("site") or {}
        filled["site_address"] = "，".join(p for p in (site.get("name"), site.get("address")) if p)
    return render(page, "desk/report.html", status=status, trouble=trouble, lookup_trouble=lookup_trouble,
                  serial=serial, unit=unit, rows=rows, values=filled, now=now_local(page))


@router.get("/app/desk/report")
async def new_report(page: DeskPage):
    typed = page.request.query_params.get("serial", "").strip()
    if typed and clean_serial(typed) is None:
        return await report_form(page, status=422, trouble=pages.trouble(page, None, code="bad_serial"),
                                 values={"serial_number": typed})
    serial = clean_serial(typed) if typed else ""
    return await report_form(page, serial=serial or "", values={"serial_number": serial or ""})


def report_body(page: Page) -> tuple[dict | None, list[str]]:
    wrong = []
    body: dict = {"caller": {"name": page.value("caller_name")[:200], "phone": page.value("caller_phone")[:50]},
                  "channel": page.value("channel") if page.value("channel") in CHANNELS else "phone"}
    if not body["caller"]["name"]:
        wrong.append(page.t.gettext("Caller"))
    if not body["caller"]["phone"]:
        del body["caller"]["phone"]  # a report without a phone is kept, incomplete
    serial = page.value("serial_number")
    if serial:
        clean = clean_serial(serial)
        if clean is None:
            wrong.append(page.t.gettext("Serial number"))
        body["serial_number"] = clean
    for name in ("site_address", "description"):
        if page.value(name):
            body[name] = page.value(name)[:2000]
    level = page.value("level")
    if level:
        if level not in ("1", "2", "3", "4"):
            wrong.append(page.t.gettext("Fault level"))
        else:
            body["level"] = int(level)
    at = local_instant(page.value("reported_at"))
    if at is False:
        wrong.append(page.t.gettext("Call received at"))
    elif at:
        body["reported_at"] = at
    return (None, wrong) if wrong else (body, [])


@router.post("/app/desk/report")
async def take_report(page: DeskPage):
    values = {k: page.value(k) for k in ("serial_number", "caller_name", "caller_phone", "site_address",
                                          "description", "level", "channel", "reported_at")}
    serial = clean_serial(values["serial_number"]) or ""
    body, wrong = report_body(page)
    if body is None:
        return await report_form(page, status=422, trouble=bad_input(page, wrong), serial=serial, values=values)
    answer = await pages.call(page, "POST", "/servicedesk/tickets", json_body=body)
    if not answer.ok:
        return await report_form(page, status=answer.status, trouble=pages.trouble(page, answer.problem),
                                 serial=serial, values=values)
    made = answer.data.get("id") if isinstance(answer.data, dict) else None
    if made is None:
        return await report_form(page, status=502, trouble=pages.trouble(page, None, code="internal_error"),
                                 serial=serial, values=values)
    return pages.redirect(page, f"/app/desk/tickets/{seg(made)}?done=reported")


# ---- the desk: one ticket, dispatch, filling in, loaner, follow-up, cancel ----

async def ticket_page(page: Page, ticket_id: int, template: str, *, status: int = 200, trouble=None):
    answer = await pages.call(page, "GET", f"/servicedesk/tickets/{seg(ticket_id)}")
    if not answer.ok:
        return pages.render(page, "error.html", status=answer.status, trouble=pages.trouble(page, answer.problem))
    ticket = answer.data
    if not isinstance(ticket, dict) or "number" not in ticket:
        return pages.render(page, "error.html", status=502, trouble=pages.trouble(page, None, code="internal_error"))
    now = page.state.clock.now()
    follow = ticket.get("follow_up")
    follow_row = promise_rows(page.t, [{**follow, "name": "follow_up", "clock": "business"}], now)[0] if follow \
        else None
    return render(page, template, status=status, trouble=trouble, ticket=ticket,
                  promises=promise_rows(page.t, ticket.get("milestones"), now), follow=follow_row,
                  now=now_local(page))


@router.get("/app/desk/tickets/{ticket_id}")
async def ticket(page: DeskPage, ticket_id: int):
    return await ticket_page(page, ticket_id, "desk/ticket.html")


async def act(page: Page, ticket_id: int, action: str, body: dict | None, wrong: list[str], *, template: str,
              base: str, done: str, method: str = "POST"):
    """Send one step; on a refusal show the same ticket page with the reason in words."""
    if body is None:
        return await ticket_page(page, ticket_id, template, status=422, trouble=bad_input(page, wrong))
    path = f"/servicedesk/tickets/{seg(ticket_id)}" + (f"/{action}" if action else "")
    answer = await pages.call(page, method, path, json_body=body)
    if not answer.ok:
        return await ticket_page(page, ticket_id, template, status=answer.status,
                                 trouble=pages.trouble(page, answer.problem))
    return pages.redirect(page, f"{base}/{seg(ticket_id)}?done={done}")


def with_at(page: Page, body: dict, wrong: list[str], field: str = "at") -> None:
    at = local_instant(page.value(field))
    if at is False:
        wrong.append(page.t.gettext("When"))
    elif at:
        body["at"] = at


def required(page: Page, body: dict, wrong: list[str], name: str, label: str, size: int = 200) -> None:
    if page.value(name):
        body[name] = page.value(name)[:size]
    else:
        wrong.append(page.t.gettext(label))


@router.post("/app/desk/tickets/{ticket_id}/dispatch")
async def dispatch(page: DeskPage, ticket_id: int):
    body, wrong = {}, []
    required(page, body, wrong, "technician", "Technician")
    required(page, body, wrong, "station", "Station", 100)
    with_at(page, body, wrong)
    return await act(page, ticket_id, "dispatch", None if wrong else body, wrong, template="desk/ticket.html",
                     base="/app/desk/tickets", done="dispatched")


@router.post("/app/desk/tickets/{ticket_id}/fill")
async def fill(page: DeskPage, ticket_id: int):
    body: dict = {}
    wrong: list[str] = []
    if page.value("caller_phone"):
        body["caller"] = {"phone": page.value("caller_phone")[:50]}
    for name in ("site_address", "description"):
        if page.value(name):
            body[name] = page.value(name)[:2000]
    if page.value("level"):
        if page.value("level") in ("1", "2", "3", "4"):
            body["level"] = int(page.value("level"))
        else:
            wrong.append(page.t.gettext("Fault level"))
    if page.value("serial_number"):
        clean = clean_serial(page.value("serial_number"))
        if clean is None:
            wrong.append(page.t.gettext("Serial number"))
        body["serial_number"] = clean
    with_at(page, body, wrong)
    if not body and not wrong:
        wrong.append(page.t.gettext("Nothing to fill in"))
    return await act(page, ticket_id, "", None if wrong else body, wrong, template="desk/ticket.html",
                     base="/app/desk/tickets", done="filled", method="PATCH")


@router.post("/app/desk/tickets/{ticket_id}/loaner")
async def loaner(page: DeskPage, ticket_id: int):
    body, wrong = {}, []
    required(page, body, wrong, "warehouse", "Warehouse", 40)
    required(page, body, wrong, "part_number", "Part number", 100)
    return await act(page, ticket_id, "loaner", None if wrong else body, wrong, template="desk/ticket.html",
                     base="/app/desk/tickets", done="loaner")


@router.post("/app/desk/tickets/{ticket_id}/follow-up")
async def follow_up(page: DeskPage, ticket_id: int):
    wrong: list[str] = []
    reached = page.value("reached")
    if reached not in ("yes", "no"):
        wrong.append(page.t.gettext("Reached the customer"))
    body: dict = {"reached": reached == "yes"}
    score = page.value("satisfaction")
    if reached == "yes":
        if score not in ("1", "2", "3", "4", "5"):
            wrong.append(page.t.gettext("Satisfaction"))
        else:
            body["satisfaction"] = int(score)
    if page.value("notes"):
        body["notes"] = page.value("notes")[:2000]
    with_at(page, body, wrong)
    return await act(page, ticket_id, "follow-up", None if wrong else body, wrong, template="desk/ticket.html",
                     base="/app/desk/tickets", done="follow_up")


@router.post("/app/desk/tickets/{ticket_id}/cancel")
async def cancel(page: DeskPage, ticket_id: int):
    body, wrong = {}, []
    required(page, body, wrong, "reason", "Reason", 500)
    return await act(page, ticket_id, "cancel", None if wrong else body, wrong, template="desk/ticket.html",
                     base="/app/desk/tickets", done="cancelled")


# ---- the desk: follow-up calls due ----

@router.get("/app/desk/follow-ups")
async def follow_ups(page: DeskPage):
    answer = await pages.call(page, "GET", "/servicedesk/tickets", query={"status": "resolved", "limit": 500})
    now = page.state.clock.now()
    rows = []
    for ticket in pages.items(answer):
        follow = ticket.get("follow_up") or {}
        row = promise_rows(page.t, [{**follow, "name": "follow_up", "clock": "business"}], now)[0]
        rows.append({"ticket": ticket, "follow": row, "attempts": len(follow.get("attempts") or []),
                     "key": follow.get("due_at") or "9999"})
    rows.sort(key=lambda r: (r["key"], r["ticket"]["id"]))
    return render(page, "desk/follow_ups.html", status=200 if answer.ok else answer.status, rows=rows,
                  trouble=pages.trouble(page, answer.problem))


# ---- the desk: complaints ----

@router.get("/app/desk/complaints")
async def complaints(page: DeskPage):
    status = page.request.query_params.get("status", "")
    status = status if status in COMPLAINT_STATUSES else ""
    answer = await pages.call(page, "GET", "/servicedesk/complaints", query={"status": status, "limit": 500})
    now = page.state.clock.now()
    rows = [{"complaint": c, "promises": promise_rows(page.t, c.get("milestones"), now)}
            for c in pages.items(answer)]
    return render(page, "desk/complaints.html", status=200 if answer.ok else answer.status, rows=rows,
                  chosen=status, trouble=pages.trouble(page, answer.problem), values={}, now=now_local(page))


@router.post("/app/desk/complaints")
async def new_complaint(page: DeskPage):
    wrong: list[str] = []
    body: dict = {"caller": {"name": page.value("caller_name")[:200], "phone": page.value("caller_phone")[:50]},
                  "description": page.value("description")[:4000]}
    if not body["caller"]["name"]:
        wrong.append(page.t.gettext("Caller"))
    if not body["caller"]["phone"]:
        wrong.append(page.t.gettext("Contact phone"))
    if not body["description"]:
        wrong.append(page.t.gettext("What the complaint is about"))
    ticket_id = page.value("ticket_id")
    if ticket_id:
        if ticket_id.isdigit() and 0 < int(ticket_id) < 2**31:
            body["ticket_id"] = int(ticket_id)
        else:
            wrong.append(page.t.gettext("Ticket"))
    if page.value("serial_number"):
        clean = clean_serial(page.value("serial_number"))
        if clean is None:
            wrong.append(page.t.gettext("Serial number"))
        body["serial_number"] = clean
    at = local_instant(page.value("made_at"))
    if at is False:
        wrong.append(page.t.gettext("When"))
    elif at:
        body["made_at"] = at
    trouble, status = None, 200
    if wrong:
        trouble, status = bad_input(page, wrong), 422
    else:
        answer = await pages.call(page, "POST", "/servicedesk/complaints", json_body=body)
        if answer.ok and isinstance(answer.data, dict) and "id" in answer.data:
            return pages.redirect(page, f"/app/desk/complaints/{seg(answer.data['id'])}?done=complaint")
        trouble, status = pages.trouble(page, answer.problem), answer.status
    listed = await pages.call(page, "GET", "/servicedesk/complaints", query={"limit": 500})
    now = page.state.clock.now()
    rows = [{"complaint": c, "promises": promise_rows(page.t, c.get("milestones"), now)}
            for c in pages.items(listed)]
    values = {k: page.value(k) for k in ("caller_name", "caller_phone", "description", "ticket_id",
                                          "serial_number", "made_at")}
    return render(page, "desk/complaints.html", status=status, rows=rows, chosen="", trouble=trouble,
                  values=values, now=now_local(page))


async def complaint_page(page: Page, complaint_id: int, *, status: int = 200, trouble=None):
    answer = await pages.call(page, "GET", f"/servicedesk/complaints/{seg(complaint_id)}")
    if not answer.ok:
        return pages.render(page, "error.html", status=answer.status, trouble=pages.trouble(page, answer.problem))
    return render(page, "desk/complaint.html", status=status, trouble=trouble, complaint=answer.data,
                  promises=promise_rows(page.t, answer.data.get("milestones"), page.state.clock.now()),
                  now=now_local(page))


@router.get("/app/desk/complaints/{complaint_id}")
async def complaint(page: DeskPage, complaint_id: int):
    return await complaint_page(page, complaint_id)


async def complaint_step(page: Page, complaint_id: int, action: str, done: str):
    body, wrong = {}, []
    required(page, body, wrong, "by", "Handled by")
    required(page, body, wrong, "notes", "Notes", 4000)
    with_at(page, body, wrong)
    if wrong:
        return await complaint_page(page, complaint_id, status=422, trouble=bad_input(page, wrong))
    answer = await pages.call(page, "POST", f"/servicedesk/complaints/{seg(complaint_id)}/{action}", json_body=body)
    if not answer.ok:
        return await complaint_page(page, complaint_id, status=answer.status,
                                    trouble=pages.trouble(page, answer.problem))
    return pages.redirect(page, f"/app/desk/complaints/{seg(complaint_id)}?done={done}")


@router.post("/app/desk/complaints/{complaint_id}/answer")
async def answer_complaint(page: DeskPage, complaint_id: int):
    return await complaint_step(page, complaint_id, "answer", "answered")


@router.post("/app/desk/complaints/{complaint_id}/resolve")
async def resolve_complaint(page: DeskPage, complaint_id: int):
    return await complaint_step(page, complaint_id, "resolve", "complaint_resolved")


# ---- a repair station: its tickets, from the phone ----

@router.get("/app/station/tickets")
async def station_tickets(page: FieldPage):
    asked = page.request.query_params.get("station")
    station = (asked if asked is not None else page.request.cookies.get(STATION_COOKIE, "")).strip()[:100]
    answers = await asyncio.gather(*[
        pages.call(page, "GET", "/servicedesk/tickets", query={"status": status, "station": station, "limit": 500})
        for status in ("dispatched", "on_site")]) if station else []
    failed = next((a for a in answers if not a.ok), None)
    tickets = sorted((ticket for a in answers for ticket in pages.items(a)), key=most_urgent)
    now = page.state.clock.now()
    rows = [{"ticket": ticket, "promises": promise_rows(page.t, ticket.get("milestones"), now)} for ticket in tickets]
    response = render(page, "desk/station_tickets.html", status=200 if failed is None else failed.status, rows=rows,
                      station=station, trouble=pages.trouble(page, failed.problem) if failed else None)
    if asked is not None:
        # The station's code is remembered on this phone, so the list opens on it next time.
        response.set_cookie(STATION_COOKIE, station, max_age=365 * 86400, httponly=True, samesite="strict",
                            secure=pages.is_https(page.request), path="/app/station")
    return response


@router.get("/app/station/tickets/{ticket_id}")
async def station_ticket(page: FieldPage, ticket_id: int):
    return await ticket_page(page, ticket_id, "desk/station_ticket.html")


def field_step(action: str, done: str):
    async def step(page: FieldPage, ticket_id: int):
        body, wrong = {}, []
        if action in ("arrive", "resolve"):
            required(page, body, wrong, "technician", "Technician")
        if action == "resolve":
            required(page, body, wrong, "summary", "What was done", 2000)
            parts = []
            for number, qty in zip(page.form.get("part_number", []), page.form.get("part_qty", []), strict=False):
                number, qty = number.strip(), qty.strip()
                if not number and not qty:
                    continue
                if not number or not qty.isdigit() or int(qty) < 1:
                    wrong.append(page.t.gettext("Parts replaced"))
                    break
                parts.append({"part_number": number[:100], "qty": int(qty)})
            if parts:
                body["parts_replaced"] = parts
            if page.value("invoice_number"):
                body["invoice_number"] = page.value("invoice_number")[:40]
        if action == "pause":
            if page.value("reason") in PAUSE_REASONS:
                body["reason"] = page.value("reason")
            else:
                wrong.append(page.t.gettext("Reason"))
        with_at(page, body, wrong)
        return await act(page, ticket_id, action, None if wrong else body, wrong,
                         template="desk/station_ticket.html", base="/app/station/tickets", done=done)

    step.__name__ = f"station_{action}"
    return step


for _action, _done in (("arrive", "arrived"), ("pause", "paused"), ("resume", "resumed"), ("resolve", "resolved")):
    router.add_api_route(f"/app/station/tickets/{{ticket_id}}/{_action}", field_step(_action, _done),
                         methods=["POST"])
