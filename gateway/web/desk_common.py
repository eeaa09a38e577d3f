"""What the service desk's pages share: the codes of api.md "Service desk" in words, each promise's state in
colour and words with its time left, times typed in China Standard Time, and one step sent to a ticket."""

from datetime import UTC, datetime

from gateway.web import i18n, pages
from gateway.web.i18n import N_
from gateway.web.notices import done_text
from gateway.web.pages import Page, seg
from shared.contracts import servicedesk as contract

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
# The choices a form offers, as typed (the contract's values, as text).
LEVEL_CHOICES = tuple(str(level) for level in contract.LEVELS)
SCORE_CHOICES = tuple(str(score) for score in contract.SCORES)
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
    "not_needed": ("neutral", N_("Not needed: fixed without a visit")),
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
          "returned": N_("Returned"), "measures_taken": N_("Emergency measures taken instead")}
WAYS = {"on_site": N_("Fixed on site"), "phone": N_("Guided on the phone"), "remote": N_("Remotely")}
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
    "emergency_measures": N_("Emergency measures taken"),
    "follow_on_sent": N_("Another technician sent after a complaint"),
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
    "redispatched": N_("Another technician was sent on a new ticket."),
}


def board_filters(page: Page) -> dict[str, str]:
    """The board's filters as asked for (fault level, promise state, station), each cut at a search's length."""
    return {k: page.request.query_params.get(k, "")[:contract.SEARCH_MAX_LENGTH] for k in ("level", "state", "station")}

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


def bad_input(page: Page, fields: list[str]) -> dict:
    return {**pages.trouble(page, None, code="bad_input"), "fields": fields}


def render(page: Page, template: str, *, status: int = 200, **values):
    return pages.render(page, template, status=status, d=DeskWords, done=done_text(page, DONE), **values)


class DeskWords:
    """What the templates read: the code→words tables above."""

    LEVELS, CHANNELS, STATUSES, MILESTONES, STATES = LEVELS, CHANNELS, STATUSES, MILESTONES, STATES
    PAUSE_REASONS, MISSING, LOANER, COMPLAINT_STATUSES, EVENTS = (PAUSE_REASONS, MISSING, LOANER,
                                                                  COMPLAINT_STATUSES, EVENTS)
    WAYS = WAYS


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
    offers, loaners = [], None
    if template == "desk/ticket.html" and ticket.get("status") in ("open", "dispatched"):
        offers = await stations_offered(page, f"/servicedesk/tickets/{seg(ticket_id)}/stations")
    if template == "desk/ticket.html" and (ticket.get("loaner") or {}).get("status") == "due":
        loaners = await loaners_offered(page, ticket)
    return render(page, template, status=status, trouble=trouble, ticket=ticket,
                  promises=promise_rows(page.t, ticket.get("milestones"), now), follow=follow_row,
                  now=now_local(page), offers=offers, loaners=loaners, typed_parts=typed_parts(page))


PART_ROWS = 2


def typed_parts(page: Page) -> list[tuple[str, str]]:
    """The part rows of a resolution as typed (a refused form comes back with them), padded to PART_ROWS."""
    typed = [(n.strip(), q.strip()) for n, q in zip(page.form.get("part_number", []), page.form.get("part_qty", []),
                                                   strict=False) if n.strip() or q.strip()]
    return typed + [("", "")] * max(0, PART_ROWS - len(typed))


async def loaners_offered(page: Page, ticket: dict) -> dict:
    """The loaner units of the unit's class in stock, nearest the site first (inventory's GET /loaners), for the
    desk to pick one: `{"class", "items", "why"}`; `why` says in words why there is no list to pick from."""
    serial = ticket.get("serial_number")
    if not serial or ticket.get("unit_known") is False:
        return {"class": None, "items": [], "why": N_("The ticket names no registered unit, so its loaner class "
                                                      "is not known: record the emergency measures taken.")}
    unit = await pages.call(page, "GET", f"/warranty/units/{seg(serial)}")
    if not unit.ok or not isinstance(unit.data, dict) or not unit.data.get("model_code"):
        return {"class": None, "items": [], "why": N_("The unit could not be looked up right now: try again, or "
                                                      "record the emergency measures taken.")}
    model = await pages.call(page, "GET", f"/inventory/models/{seg(unit.data['model_code'])}")
    loaner_class = model.data.get("loaner_class") if model.ok and isinstance(model.data, dict) else None
    if not loaner_class:
        return {"class": None, "items": [], "why": N_("The unit's model has no loaner class: an admin sets it on "
                                                      "the model, or record the emergency measures taken.")}
    region = (unit.data.get("site") or {}).get("region")
    found = await pages.call(page, "GET", "/inventory/loaners",
                             query={"class": loaner_class, "region": region or "", "limit": 100})
    items = [i for i in pages.items(found) if isinstance(i, dict) and i.get("warehouse") and i.get("part_number")]
    why = None
    if not found.ok:
        why = N_("Inventory did not answer: try again, or record the emergency measures taken.")
    elif not items:
        why = N_("No loaner of this class is in stock anywhere: record the emergency measures taken.")
    return {"class": loaner_class, "items": items, "why": why}


async def stations_offered(page: Page, path: str) -> list[dict]:
    """The stations that can take a ticket with their active technicians, the unit's region first: what the
    dispatch form offers (a station and a technician are picked, never typed)."""
    answer = await pages.call(page, "GET", path)
    if not answer.ok or not isinstance(answer.data, dict):
        return []
    return [s for s in answer.data.get("items") or [] if isinstance(s, dict) and s.get("code")]



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


def required(page: Page, body: dict, wrong: list[str], name: str, label: str,
             size: int = contract.TEXT_MAX_LENGTH) -> None:
    if page.value(name):
        body[name] = page.value(name)[:size]
    else:
        wrong.append(page.t.gettext(label))
