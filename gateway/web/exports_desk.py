"""The service desk's lists as workbooks: the board, a station's tickets, follow-up calls, complaints."""

from collections.abc import Sequence

from fastapi import APIRouter

from gateway.web import desk_common, i18n, words
from gateway.web.desk import DeskPage
from gateway.web.desk_station import FieldPage, chosen_station
from gateway.web.exports_common import ROWS_CAP, Col, Walked, download, failed_page, listed, say, walk
from gateway.web.i18n import N_
from gateway.web.pages import Page

router = APIRouter()
PROMISES = ("dispatch", "on_site", "fixed")


def ticket_columns(t: i18n.Translator) -> list[Col]:
    columns = [Col(N_("Ticket")), Col(N_("Status")), Col(N_("Fault level")), Col(N_("Channel")),
               Col(N_("Serial number")), Col(N_("Caller")), Col(N_("Contact phone")), Col(N_("Site address")),
               Col(N_("What failed")), Col(N_("Call received at"), "datetime"), Col(N_("Missing:")),
               Col(N_("Station")), Col(N_("Technician"))]
    for name in PROMISES:
        promise = t.gettext(desk_common.MILESTONES[name])
        columns += [Col(t.gettext(N_("%(promise)s: due at"), promise=promise), "datetime", True),
                    Col(t.gettext(N_("%(promise)s: state"), promise=promise), said=True),
                    Col(t.gettext(N_("%(promise)s: met at"), promise=promise), "datetime", True)]
    return columns


def promise_cells(t: i18n.Translator, milestone: dict | None) -> list:
    if not milestone:
        return [None, None, None]
    state = desk_common.STATES.get(milestone.get("state"))
    return [milestone.get("due_at"), t.gettext(state[1]) if state else milestone.get("state"),
            milestone.get("met_at")]


def ticket_row(t: i18n.Translator, ticket: dict) -> list:
    caller = ticket.get("caller") or {}
    level = ticket.get("level")
    row = [ticket.get("number"), say(t, desk_common.STATUSES, ticket.get("status")),
           t.gettext(desk_common.LEVELS[level]) if level in desk_common.LEVELS else level,
           say(t, desk_common.CHANNELS, ticket.get("channel")), ticket.get("serial_number"), caller.get("name"),
           caller.get("phone"), ticket.get("site_address"), ticket.get("description"), ticket.get("reported_at"),
           listed(t, (say(t, desk_common.MISSING, m) or "" for m in ticket.get("missing") or [])) or None,
           ticket.get("station"), ticket.get("technician")]
    milestones = {m.get("name"): m for m in ticket.get("milestones") or [] if isinstance(m, dict)}
    for name in PROMISES:
        row += promise_cells(t, milestones.get(name))
    return row


async def tickets_of(page: Page, statuses: Sequence[str], query: dict) -> Walked:
    """The tickets in each state, with the page's filters, most urgent first (as the page lists them)."""
    found: list[dict] = []
    more = False
    for status in statuses:
        walked = await walk(page, "/servicedesk/tickets", {**query, "status": status}, ROWS_CAP - len(found))
        if walked.failed is not None:
            return walked
        found += walked.items
        more = more or walked.more
        if len(found) >= ROWS_CAP:
            more = more or status != statuses[-1]
            break
    return Walked(sorted(found, key=desk_common.most_urgent), more, None)


@router.get("/app/desk.xlsx")
async def board_workbook(page: DeskPage):
    query = desk_common.board_filters(page)
    walked = await tickets_of(page, desk_common.BOARD_STATUSES, query)
    if walked.failed is not None:
        return failed_page(page, walked.failed)
    t = page.t
    level = query["level"]
    filters = [(N_("Promises"), say(t, {k: v[1] for k, v in desk_common.STATES.items()}, query["state"])),
               (N_("Fault level"), say(t, desk_common.LEVELS, int(level)) if level.isdigit() else level),
               (N_("Station"), query["station"])]
    return download(page, "tickets", N_("Open tickets, most urgent first"), ticket_columns(t),
                    (ticket_row(t, ticket) for ticket in walked.items), more=walked.more, filters=filters)


@router.get("/app/station/tickets.xlsx")
async def station_workbook(page: FieldPage):
    code = chosen_station(page)
    walked = await tickets_of(page, ("dispatched", "on_site"), {"station": code}) if code else Walked([], False, None)
    if walked.failed is not None:
        return failed_page(page, walked.failed)
    t = page.t
    return download(page, "station-tickets", N_("Our tickets"), ticket_columns(t),
                    (ticket_row(t, ticket) for ticket in walked.items), more=walked.more,
                    filters=[(N_("Station"), code)])


FOLLOW_UP_COLUMNS = (Col(N_("Ticket")), Col(N_("Caller")), Col(N_("Contact phone")), Col(N_("Serial number")),
                     Col(N_("Site address")), Col(N_("Station")), Col(N_("Technician")),
                     Col(N_("Follow-up call due at"), "datetime"), Col(N_("Follow-up call state")),
                     Col(N_("Attempts so far"), "int"))


@router.get("/app/desk/follow-ups.xlsx")
async def follow_ups_workbook(page: DeskPage):
    walked = await walk(page, "/servicedesk/tickets", {"status": "resolved"})
    if walked.failed is not None:
        return failed_page(page, walked.failed)
    t = page.t

    def rows():
        for ticket in sorted(walked.items, key=lambda x: ((x.get("follow_up") or {}).get("due_at") or "9999",
                                                           x.get("id", 0))):
            caller, follow = ticket.get("caller") or {}, ticket.get("follow_up") or {}
            state = desk_common.STATES.get(follow.get("state"))
            yield [ticket.get("number"), caller.get("name"), caller.get("phone"), ticket.get("serial_number"),
                   ticket.get("site_address"), ticket.get("station"), ticket.get("technician"), follow.get("due_at"),
                   t.gettext(state[1]) if state else follow.get("state"), len(follow.get("attempts") or [])]

    return download(page, "follow-ups", N_("Follow-up calls due"), FOLLOW_UP_COLUMNS, rows(), more=walked.more)


def complaint_columns(t: i18n.Translator) -> list[Col]:
    columns = [Col(N_("No."), "int"), Col(N_("Status")), Col(N_("Source")), Col(N_("Caller")),
               Col(N_("Contact phone")), Col(N_("Ticket"), "int"), Col(N_("Serial number")),
               Col(N_("Description")), Col(N_("Made at"), "datetime")]
    for name in ("answer", "resolve"):
        promise = t.gettext(desk_common.MILESTONES[name])
        columns += [Col(t.gettext(N_("%(promise)s: due at"), promise=promise), "datetime", True),
                    Col(t.gettext(N_("%(promise)s: state"), promise=promise), said=True),
                    Col(t.gettext(N_("%(promise)s: met at"), promise=promise), "datetime", True)]
    return columns


@router.get("/app/desk/complaints.xlsx")
async def complaints_workbook(page: DeskPage):
    status = page.request.query_params.get("status", "")
    status = status if status in desk_common.COMPLAINT_STATUSES else ""
    walked = await walk(page, "/servicedesk/complaints", {"status": status})
    if walked.failed is not None:
        return failed_page(page, walked.failed)
    t = page.t

    def rows():
        for c in walked.items:
            caller = c.get("caller") or {}
            milestones = {m.get("name"): m for m in c.get("milestones") or [] if isinstance(m, dict)}
            yield [c.get("id"), say(t, desk_common.COMPLAINT_STATUSES, c.get("status")),
                   say(t, words.COMPLAINT_SOURCES, c.get("source")), caller.get("name"), caller.get("phone"),
                   c.get("ticket_id"), c.get("serial_number"), c.get("description"), c.get("made_at"),
                   *promise_cells(t, milestones.get("answer")), *promise_cells(t, milestones.get("resolve"))]

    return download(page, "complaints", N_("Complaints"), complaint_columns(t), rows(), more=walked.more,
                    filters=[(N_("Status"), say(t, desk_common.COMPLAINT_STATUSES, status))])
