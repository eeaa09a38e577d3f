"""A repair station's service-desk tickets, from the phone: its list, arrival, pause/resume, resolution."""

import asyncio
from typing import Annotated
from urllib.parse import quote, unquote

from fastapi import APIRouter, Depends

from gateway.web import inputs, pages
from gateway.web.desk_common import (
    PAUSE_REASONS,
    WAYS,
    act,
    most_urgent,
    promise_rows,
    render,
    required,
    ticket_page,
    with_at,
)
from gateway.web.pages import Page
from shared.contracts import servicedesk as contract

router = APIRouter()
# A station's technicians log their own steps; the desk may do it for them over the phone.
FieldPage = Annotated[Page, Depends(pages.for_roles("station", "desk"))]
STATION_COOKIE = "aftersales_station"


def chosen_station(page: Page) -> str:
    """The station asked for, else the one remembered in the cookie, as the service's filter takes it."""
    asked = page.request.query_params.get("station")
    # The cookie holds the code percent-encoded: a header carries no 济南站 as it is.
    remembered = unquote(page.request.cookies.get(STATION_COOKIE, ""))
    return (asked if asked is not None else remembered).strip()[:contract.STATION_FILTER_MAX_LENGTH]


@router.get("/app/station/tickets")
async def station_tickets(page: FieldPage):
    station = chosen_station(page)
    answers = await asyncio.gather(*[
        pages.call(page, "GET", "/servicedesk/tickets",
                   query={"status": status, "station": station, "limit": pages.LONGEST_PAGE})
        for status in ("dispatched", "on_site")]) if station else []
    failed = next((a for a in answers if not a.ok), None)
    tickets = sorted((ticket for a in answers for ticket in pages.items(a)), key=most_urgent)
    now = page.state.clock.now()
    rows = [{"ticket": ticket, "promises": promise_rows(page.t, ticket.get("milestones"), now)} for ticket in tickets]
    response = render(page, "desk/station_tickets.html", status=200 if failed is None else failed.status, rows=rows,
                      station=station, trouble=pages.trouble(page, failed.problem) if failed else None)
    if page.request.query_params.get("station") is not None:
        # The station's code is remembered on this phone, so the list opens on it next time.
        response.set_cookie(STATION_COOKIE, quote(station, safe=""), max_age=365 * 86400, httponly=True,
                            samesite="strict", secure=pages.is_https(page.request), path="/app/station")
    return response


@router.get("/app/station/tickets/{ticket_id}")
async def station_ticket(page: FieldPage, ticket_id: int):
    return await ticket_page(page, ticket_id, "desk/station_ticket.html")


def step_body(page: Page, action: str) -> tuple[dict, list[str]]:
    """One field step's body as the API takes it from the form's fields, and the labels of fields to fix
    (the form handlers below and a record kept on the phone and sent later, gateway.web.offline, share it)."""
    body, wrong = {}, []
    if action in ("arrive", "resolve"):
        required(page, body, wrong, "technician", "Technician")
    if action == "resolve":
        required(page, body, wrong, "summary", "What was done", contract.SUMMARY_MAX_LENGTH)
        way = page.value("way") or "on_site"
        if way in WAYS:
            body["way"] = way
        else:
            wrong.append(page.t.gettext("How it was fixed"))
        parts = inputs.part_lines(page)
        if parts is None:
            wrong.append(page.t.gettext("Parts replaced"))
        elif parts:
            body["parts_replaced"] = parts
        if page.value("invoice_number"):
            body["invoice_number"] = page.value("invoice_number")[:contract.INVOICE_NUMBER_MAX_LENGTH]
    if action == "pause":
        if page.value("reason") in PAUSE_REASONS:
            body["reason"] = page.value("reason")
        else:
            wrong.append(page.t.gettext("Reason"))
    with_at(page, body, wrong)
    return body, wrong


def field_step(action: str, done: str):
    async def step(page: FieldPage, ticket_id: int):
        body, wrong = step_body(page, action)
        return await act(page, ticket_id, action, None if wrong else body, wrong,
                         template="desk/station_ticket.html", base="/app/station/tickets", done=done)

    step.__name__ = f"station_{action}"
    return step


STEPS = {"arrive": "arrived", "pause": "paused", "resume": "resumed", "resolve": "resolved"}
for _action, _done in STEPS.items():
    router.add_api_route(f"/app/station/tickets/{{ticket_id}}/{_action}", field_step(_action, _done),
                         methods=["POST"])
