"""Work without a signal (domain.md section 8): the station's pages open from the phone when there is no signal,
and the steps recorded meanwhile are kept on the phone and sent, each exactly once, when it returns.

- `/app/sw.js` is the service worker (static/sw.js with its version: a hash of the files it keeps, so any
  change of them is a new version and a new cache). It keeps the static files, and the station's pages the
  technician opened or took along (today's tickets and visits, their units and checklists), and answers from
  them when the network does not.
- static/offline.js keeps each arrival, pause, resume, resolution and visit record in IndexedDB with its real
  time (`at`, taken when it was tapped) and a key of its own, shows what waits to be sent on every station
  page, and sends them in order to `POST /app/station/offline/send` when the signal returns: the same fields as
  the page's form, the session's CSRF token (fresh from `GET /app/station/offline/token`), answered in JSON.
- Sent exactly once: a visit record carries its key as the service's `Idempotency-Key`; a ticket's steps take
  none at the service, so a step sent again (its first answer was lost with the signal) is refused there (409:
  the ticket moved on; 422: before its previous step) and is recognised here as already done when the ticket's
  timeline holds that step at that very time. Any other refusal is a conflict told in words, e.g. the desk
  cancelled the ticket meanwhile, and the phone keeps it, with what was typed, until the technician has read it.
"""

import hashlib
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from gateway.web import desk_station, pages, visits
from gateway.web.desk_common import parse_instant
from gateway.web.i18n import N_
from gateway.web.pages import Page, seg
from shared.contracts import common

router = APIRouter()
FieldPage = Annotated[Page, Depends(pages.for_roles("station", "desk"))]
STATIC = Path(__file__).parent / "static"
# What the service worker keeps from the start (the station's pages use no other static file).
PRECACHE = ("app.css", "app.js", "offline.js", "visit.css", "visit.js", "scan.js", "icon.svg",
            "vendor/zxing/zxing-library-0.23.0.min.js", "station.webmanifest")
SCOPE = "/app/station"
# A phone's clock a little ahead of the server's: its time is taken as now rather than refused as future.
CLOCK_SLACK = timedelta(minutes=2)
EVENTS = {"arrive": "arrived", "pause": "paused", "resume": "resumed", "resolve": "resolved"}
KINDS = (*EVENTS, "visit")
LATER = frozenset({408, 425, 429, 500, 502, 503, 504})
PROBLEMS = {
    "cancelled_meanwhile": (N_("The desk cancelled this ticket while this was waiting on the phone."),
                            N_("It was not sent. What you recorded is kept below: call the desk if the work was "
                               "done.")),
    "gone_meanwhile": (N_("This ticket or visit is no longer one of your station's."),
                       N_("It was not sent. What you recorded is kept below: call the desk.")),
    "no_time": (N_("A record kept on the phone must carry when it happened."),
                N_("Record it again.")),
}


@cache
def version() -> str:
    """The service worker's version: what it keeps, hashed (a changed file makes a new version and cache)."""
    digest = hashlib.sha256()
    for name in ("sw.js", *PRECACHE):
        digest.update(name.encode())
        digest.update((STATIC / name).read_bytes())
    return digest.hexdigest()[:16]


@router.get("/app/sw.js", include_in_schema=False)
async def service_worker() -> Response:
    """Served from /app so that its scope may be /app/station (every station page, the search included)."""
    text = (STATIC / "sw.js").read_text(encoding="utf-8")
    text = text.replace('"__VERSION__"', f'"{version()}"').replace(
        '["__PRECACHE__"]', "[" + ", ".join(f'"/app/static/{name}"' for name in PRECACHE) + "]")
    return Response(text, media_type="text/javascript", headers={
        **pages.SECURITY_HEADERS, "Cache-Control": "no-cache"})


@router.get("/app/station/offline")
async def not_taken(page: FieldPage):
    """What a page that was not taken along answers without a signal (the service worker keeps this one)."""
    return pages.render(page, "station/offline.html")


def _json(body: dict, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


@router.get("/app/station/offline/token")
async def token(page: FieldPage):
    """Who is signed in and their session's CSRF token, and the server's time (the phone measures its clock
    against it): what the page needs to send what waits, asked afresh each time (a session may have ended)."""
    return _json({"csrf": page.csrf, "who": page.caller.key_id, "name": page.caller.display,
                  "now": page.state.clock.now().astimezone(UTC).isoformat().replace("+00:00", "Z")})


def trouble(page: Page, problem: dict | None, *, code: str | None = None, fields: list[str] | None = None) -> dict:
    found = pages.trouble(page, problem, code=code) or {}
    if found.get("code") in PROBLEMS:
        happened, advice = PROBLEMS[found["code"]]
        found.update(title=page.t.gettext(happened), advice=page.t.gettext(advice))
    elif found.get("code") in visits.PROBLEMS:
        found = visits.trouble(page, problem, code=code)
    if fields is not None:
        found["fields"] = fields
    return found


def outcome(page: Page, name: str, status: int = 200, *, problem: dict | None = None, code: str | None = None,
            fields: list[str] | None = None) -> JSONResponse:
    """`sent` or `already` (done, once), `refused` (will not be done as it is: shown to the technician), or
    `later` (not sent now: the phone keeps it and tries again)."""
    body: dict = {"outcome": name}
    if problem is not None or code is not None or fields:
        said = trouble(page, problem, code=code if code or problem else "bad_input", fields=fields)
        body.update({k: said.get(k) for k in ("code", "title", "advice", "fields", "request_id")})
    return _json(body, status)


def _instant(value) -> datetime | None:
    found = parse_instant(value)
    return found.astimezone(UTC).replace(microsecond=0) if found else None


def _when(page: Page, body: dict) -> datetime | None:
    """The record's real time (required here: a record kept on the phone carries it), a little ahead of the
    server's clock taken as now."""
    at = _instant(body.get("at"))
    if at is None:
        return None
    now = page.state.clock.now().astimezone(UTC).replace(microsecond=0)
    if now < at <= now + CLOCK_SLACK:
        at = now
    body["at"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return at


def _later(page: Page, answer: pages.Answer) -> JSONResponse:
    return outcome(page, "later", answer.status, problem=answer.problem)


@router.post("/app/station/offline/send")
async def send(page: FieldPage):
    kind, target = page.value("kind"), page.value("target")
    if kind not in KINDS or not target.isdigit() or not 0 < int(target) < 2**31:
        return outcome(page, "refused", 422, code="bad_input", fields=[page.t.gettext("What to send")])
    if kind == "visit":
        return await send_visit(page, int(target))
    return await send_step(page, kind, int(target))


def _logged(ticket: dict, event: str, at: datetime) -> bool:
    return any(isinstance(e, dict) and e.get("event") == event and _instant(e.get("at")) == at
               for e in ticket.get("timeline") or [])


async def send_step(page: Page, kind: str, ticket_id: int) -> JSONResponse:
    body, wrong = desk_station.step_body(page, kind)
    if wrong:
        return outcome(page, "refused", 422, code="bad_input", fields=wrong)
    at = _when(page, body)
    if at is None:
        return outcome(page, "refused", 422, code="no_time", fields=[page.t.gettext("When")])
    path = f"/servicedesk/tickets/{seg(ticket_id)}"
    answer = await pages.call(page, "POST", f"{path}/{kind}", json_body=body)
    if answer.ok:
        return outcome(page, "sent")
    if answer.status in LATER:
        return _later(page, answer)
    current = await pages.call(page, "GET", path)
    if current.ok and isinstance(current.data, dict):
        if _logged(current.data, EVENTS[kind], at):
            return outcome(page, "already")  # its first answer was lost with the signal
        if current.data.get("status") == "cancelled":
            return outcome(page, "refused", answer.status, code="cancelled_meanwhile")
    elif current.status == 404:
        return outcome(page, "refused", 404, code="gone_meanwhile")
    elif current.status in LATER:
        return _later(page, current)  # cannot tell whether it was done: ask again later
    return outcome(page, "refused", answer.status, problem=answer.problem)


async def send_visit(page: Page, visit_id: int) -> JSONResponse:
    path = f"/servicedesk/visits/{seg(visit_id)}"
    current = await pages.call(page, "GET", path)
    if not current.ok or not isinstance(current.data, dict):
        if current.status in LATER:
            return _later(page, current)
        return outcome(page, "refused", current.status, code="gone_meanwhile" if current.status == 404 else None,
                       problem=None if current.status == 404 else current.problem)
    body, wrong, _missing = visits.record_body(page, current.data.get("checklist") or [])
    if wrong:
        return outcome(page, "refused", 422, code="bad_input", fields=wrong)
    at = _when(page, body)
    if at is None:
        return outcome(page, "refused", 422, code="no_time", fields=[page.t.gettext("When")])
    key = (page.value("idempotency_key") or page.value("key"))[:common.IDEMPOTENCY_KEY_MAX_LENGTH] or None
    answer = await pages.call(page, "POST", f"{path}/record", json_body=body, idempotency_key=key)
    if answer.ok:
        return outcome(page, "sent")
    if answer.status in LATER or (answer.problem or {}).get("code") == "idempotency_in_progress":
        return _later(page, answer)
    if (answer.problem or {}).get("code") == "visit_not_planned":
        again = await pages.call(page, "GET", path)
        record = (again.data or {}).get("record") if again.ok and isinstance(again.data, dict) else None
        if isinstance(record, dict) and _instant(record.get("at")) == at:
            return outcome(page, "already")  # recorded by this very record, its key's answer gone
    return outcome(page, "refused", answer.status, problem=answer.problem)
