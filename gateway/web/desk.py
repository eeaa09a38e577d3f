"""The service desk's pages (role `desk`): take a report by phone, the board by urgency, dispatch, follow-up
calls and complaints. Every call goes to the endpoints of api.md "Service desk" through Gateway.call; a
repair station's pages are in gateway.web.desk_station, what both share in gateway.web.desk_common."""

import asyncio
from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Depends

from gateway.web import i18n, pages
from gateway.web.desk_common import (
    BOARD_STATUSES,
    CHANNELS,
    COMPLAINT_STATUSES,
    LEVEL_CHOICES,
    SCORE_CHOICES,
    act,
    bad_input,
    board_filters,
    local_instant,
    most_urgent,
    now_local,
    promise_rows,
    render,
    required,
    stations_offered,
    ticket_page,
    with_at,
)
from gateway.web.pages import Page, seg
from gateway.web.station import clean_serial, coverage_rows, today_in_china
from shared.contracts import servicedesk as contract

router = APIRouter()
DeskPage = Annotated[Page, Depends(pages.for_roles("desk"))]


# ---- the desk: the board ----

BOARD_REFRESH_SECONDS = 20


def updated_at(page: Page) -> str:
    return page.state.clock.now().astimezone(i18n.CHINA_TIME).strftime("%H:%M:%S")


async def board_rows(page: Page) -> tuple[dict, list[dict], pages.Answer | None]:
    """The open tickets by urgency as the service gives them (each promise's state and due time are the
    service's; the page never counts minutes itself), with the filters asked for and the first failure."""
    query = board_filters(page)
    answers = await asyncio.gather(*[
        pages.call(page, "GET", "/servicedesk/tickets", query={**query, "status": status, "limit": pages.LONGEST_PAGE})
        for status in BOARD_STATUSES])
    failed = next((a for a in answers if not a.ok), None)
    tickets = sorted((ticket for a in answers for ticket in pages.items(a)), key=most_urgent)
    now = page.state.clock.now()
    rows = [{"ticket": ticket, "promises": promise_rows(page.t, ticket.get("milestones"), now)} for ticket in tickets]
    return query, rows, failed


@router.get("/app/desk")
@router.get("/app/desk/")
async def board(page: DeskPage):
    query, rows, failed = await board_rows(page)
    return render(page, "desk/board.html", status=200 if failed is None else failed.status, rows=rows,
                  query=query, trouble=pages.trouble(page, failed.problem) if failed else None,
                  refresh_seconds=BOARD_REFRESH_SECONDS, updated=updated_at(page))


@router.get("/app/desk/board/items")
async def board_items(page: DeskPage):
    """The board's list alone, for the page to refresh itself without a reload (static/board.js): the same
    rows the board shows, with the same filters; a failure answers its status and the problem in words."""
    query, rows, failed = await board_rows(page)
    return render(page, "desk/_board_items.html", status=200 if failed is None else failed.status, rows=rows,
                  query=query, trouble=pages.trouble(page, failed.problem) if failed else None,
                  updated=updated_at(page))


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


def report_facts(page: Page, body: dict, wrong: list[str]) -> None:
    """The serial, site address, description and level as typed (a new report and one filled in), within
    the contract's limits; the labels of those to fix added to `wrong`."""
    if page.value("serial_number"):
        body["serial_number"] = clean_serial(page.value("serial_number"))
        if body["serial_number"] is None:
            wrong.append(page.t.gettext("Serial number"))
    for name, size in (("site_address", contract.ADDRESS_MAX_LENGTH), ("description", contract.DESCRIPTION_MAX_LENGTH)):
        if page.value(name):
            body[name] = page.value(name)[:size]
    if page.value("level") in LEVEL_CHOICES:
        body["level"] = int(page.value("level"))
    elif page.value("level"):
        wrong.append(page.t.gettext("Fault level"))


def report_body(page: Page) -> tuple[dict | None, list[str]]:
    wrong = []
    body: dict = {"caller": {"name": page.value("caller_name")[:contract.TEXT_MAX_LENGTH],
                             "phone": page.value("caller_phone")[:contract.PHONE_MAX_LENGTH]},
                  "channel": page.value("channel") if page.value("channel") in CHANNELS else "phone"}
    if not body["caller"]["name"]:
        wrong.append(page.t.gettext("Caller"))
    if not body["caller"]["phone"]:
        del body["caller"]["phone"]  # a report without a phone is kept, incomplete
    report_facts(page, body, wrong)
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


@router.get("/app/desk/tickets/{ticket_id}")
async def ticket(page: DeskPage, ticket_id: int):
    return await ticket_page(page, ticket_id, "desk/ticket.html")


def chosen_dispatch(page: Page, body: dict, wrong: list[str]) -> None:
    """The station and technician picked from the lists (the service checks that they go together)."""
    required(page, body, wrong, "station", "Station", contract.STATION_MAX_LENGTH)
    technician = page.value("technician_id")
    if technician.isdigit() and contract.ID_MIN <= int(technician) <= contract.ID_MAX:
        body["technician_id"] = int(technician)
    else:
        wrong.append(page.t.gettext("Technician"))


@router.post("/app/desk/tickets/{ticket_id}/dispatch")
async def dispatch(page: DeskPage, ticket_id: int):
    body, wrong = {}, []
    chosen_dispatch(page, body, wrong)
    with_at(page, body, wrong)
    if page.value("caller_told") == "yes":
        # The caller was told the decision when it was made (the 10-minute promise includes telling them).
        body["caller_told_at"] = body.get("at") or page.state.clock.now().astimezone(UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
    return await act(page, ticket_id, "dispatch", None if wrong else body, wrong, template="desk/ticket.html",
                     base="/app/desk/tickets", done="dispatched")


@router.post("/app/desk/tickets/{ticket_id}/fill")
async def fill(page: DeskPage, ticket_id: int):
    body: dict = {}
    wrong: list[str] = []
    if page.value("caller_phone"):
        body["caller"] = {"phone": page.value("caller_phone")[:contract.PHONE_MAX_LENGTH]}
    report_facts(page, body, wrong)
    with_at(page, body, wrong)
    if not body and not wrong:
        wrong.append(page.t.gettext("Nothing to fill in"))
    return await act(page, ticket_id, "", None if wrong else body, wrong, template="desk/ticket.html",
                     base="/app/desk/tickets", done="filled", method="PATCH")


@router.post("/app/desk/tickets/{ticket_id}/loaner")
async def loaner(page: DeskPage, ticket_id: int):
    """A loaner unit of the unit's class picked from the list (its warehouse and part in one choice), or the
    emergency measures taken instead (domain.md section 8)."""
    body, wrong = {}, []
    if page.value("settle") == "measures":
        required(page, body, wrong, "emergency_measures", "Emergency measures taken",
                 contract.EMERGENCY_MEASURES_MAX_LENGTH)
    else:
        warehouse, _bar, part = page.value("loaner").partition("|")
        if warehouse and part:
            body.update(warehouse=warehouse[:contract.WAREHOUSE_MAX_LENGTH],
                        part_number=part[:contract.PART_NUMBER_MAX_LENGTH])
        else:
            wrong.append(page.t.gettext("Loaner unit"))
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
        if score not in SCORE_CHOICES:
            wrong.append(page.t.gettext("Satisfaction"))
        else:
            body["satisfaction"] = int(score)
    if page.value("notes"):
        body["notes"] = page.value("notes")[:contract.NOTES_MAX_LENGTH]
    with_at(page, body, wrong)
    return await act(page, ticket_id, "follow-up", None if wrong else body, wrong, template="desk/ticket.html",
                     base="/app/desk/tickets", done="follow_up")


@router.post("/app/desk/tickets/{ticket_id}/cancel")
async def cancel(page: DeskPage, ticket_id: int):
    body, wrong = {}, []
    required(page, body, wrong, "reason", "Reason", contract.REASON_MAX_LENGTH)
    return await act(page, ticket_id, "cancel", None if wrong else body, wrong, template="desk/ticket.html",
                     base="/app/desk/tickets", done="cancelled")


# ---- the desk: follow-up calls due ----

@router.get("/app/desk/follow-ups")
async def follow_ups(page: DeskPage):
    answer = await pages.call(page, "GET", "/servicedesk/tickets",
                              query={"status": "resolved", "limit": pages.LONGEST_PAGE})
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
    answer = await pages.call(page, "GET", "/servicedesk/complaints",
                              query={"status": status, "limit": pages.LONGEST_PAGE})
    now = page.state.clock.now()
    rows = [{"complaint": c, "promises": promise_rows(page.t, c.get("milestones"), now)}
            for c in pages.items(answer)]
    return render(page, "desk/complaints.html", status=200 if answer.ok else answer.status, rows=rows,
                  chosen=status, trouble=pages.trouble(page, answer.problem), values={}, now=now_local(page))


@router.post("/app/desk/complaints")
async def new_complaint(page: DeskPage):
    wrong: list[str] = []
    body: dict = {"caller": {"name": page.value("caller_name")[:contract.TEXT_MAX_LENGTH],
                             "phone": page.value("caller_phone")[:contract.PHONE_MAX_LENGTH]},
                  "description": page.value("description")[:contract.COMPLAINT_TEXT_MAX_LENGTH]}
    if not body["caller"]["name"]:
        wrong.append(page.t.gettext("Caller"))
    if not body["caller"]["phone"]:
        wrong.append(page.t.gettext("Contact phone"))
    if not body["description"]:
        wrong.append(page.t.gettext("What the complaint is about"))
    ticket_id = page.value("ticket_id")
    if ticket_id:
        if ticket_id.isdigit() and contract.ID_MIN <= int(ticket_id) <= contract.ID_MAX:
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
    listed = await pages.call(page, "GET", "/servicedesk/complaints", query={"limit": pages.LONGEST_PAGE})
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
    complaint = answer.data
    offers = []
    if complaint.get("ticket_id"):
        # Who may be sent instead: the stations that can take the original ticket, the unit's region first.
        offers = await stations_offered(page, f"/servicedesk/tickets/{seg(complaint['ticket_id'])}/stations")
    return render(page, "desk/complaint.html", status=status, trouble=trouble, complaint=complaint,
                  promises=promise_rows(page.t, complaint.get("milestones"), page.state.clock.now()),
                  now=now_local(page), offers=offers, step=page.request.url.path.rsplit("/", 1)[-1])


@router.get("/app/desk/complaints/{complaint_id}")
async def complaint(page: DeskPage, complaint_id: int):
    return await complaint_page(page, complaint_id)


async def complaint_step(page: Page, complaint_id: int, action: str, done: str):
    body, wrong = {}, []
    required(page, body, wrong, "by", "Handled by")
    required(page, body, wrong, "notes", "Notes", contract.COMPLAINT_TEXT_MAX_LENGTH)
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


@router.post("/app/desk/complaints/{complaint_id}/redispatch")
async def redispatch(page: DeskPage, complaint_id: int):
    """Send another technician after a complaint (另行安排技术服务人员): a new ticket, dispatched at once."""
    body, wrong = {}, []
    chosen_dispatch(page, body, wrong)
    if wrong:
        return await complaint_page(page, complaint_id, status=422, trouble=bad_input(page, wrong))
    answer = await pages.call(page, "POST", f"/servicedesk/complaints/{seg(complaint_id)}/redispatch", json_body=body,
                              idempotency_key=page.value("idempotency_key")[:contract.IDEMPOTENCY_KEY_MAX_LENGTH]
                              or None)
    made = answer.data.get("id") if answer.ok and isinstance(answer.data, dict) else None
    if made is None:
        problem = answer.problem if not answer.ok else None
        return await complaint_page(page, complaint_id, status=answer.status if not answer.ok else 502,
                                    trouble=pages.trouble(page, problem, code=None if problem else "internal_error"))
    return pages.redirect(page, f"/app/desk/tickets/{seg(made)}?done=redispatched")
