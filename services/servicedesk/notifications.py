"""Messages to a station's group chat robot when a ticket is dispatched to it (domain.md section 8).

The message is written in the dispatch's transaction (an outbox: a dispatch that commits is told,
one that rolls back is not) and sent by a background pass in every process, as services/servicedesk/
outbox.py does for warranty and inventory: a process claims a few due messages with a lease (one
UPDATE, FOR UPDATE SKIP LOCKED on PostgreSQL), posts each to the station's webhook, and marks it
sent only while its claim holds. A failure waits longer each time (2, 4, 8 ... seconds, at most
five minutes) and is visible (`last_error`); after MAX_ATTEMPTS the message is `failed`.
"""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.servicedesk import calendars, outbox, views, webhooks
from services.servicedesk.domain.calendar import CHINA
from services.servicedesk.models import Site, StationMessage, Ticket
from shared import pagination
from shared.clock import Clock
from shared.uow import UnitOfWork

log = structlog.get_logger("servicedesk.notifications")
BATCH = 20
MAX_ATTEMPTS = 10
MAX_BACKOFF_SECONDS = 300
SEND_TIMEOUT_SECONDS = 10.0


def _local(at: datetime | None) -> str | None:
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if at else None


def enqueue(session: Session, ticket: Ticket, site: Site, *, kind: str, now: datetime) -> StationMessage:
    """Queue the message about `ticket` for `site`; a station without a webhook is `failed` at once (visible)."""
    due = {m.name: _local(m.due_at)
           for m in views.milestones(session, calendars.work_calendar(session), ticket, now)}
    body = {"kind": kind, "number": ticket.number, "level": ticket.level, "site_address": ticket.site_address,
            "serial_number": ticket.serial_number, "description": ticket.description,
            "technician": ticket.technician, "station": site.code, "due": due,
            "webhook": {"kind": site.webhook_kind, "url": site.webhook_url} if site.webhook_url else None}
    message = StationMessage(ticket_id=ticket.id, site=site.code, kind=kind, body=body, attempts=0,
                             status="pending" if site.webhook_url else "failed",
                             last_error=None if site.webhook_url else "the station has no webhook set",
                             created_at=now, next_attempt_at=now)
    session.add(message)
    session.flush()
    return message


def read(message: StationMessage) -> dict:
    return {"id": message.id, "ticket_id": message.ticket_id, "site": message.site, "kind": message.kind,
            "status": message.status, "attempts": message.attempts, "last_error": message.last_error,
            "created_at": message.created_at, "sent_at": message.sent_at}


def list_messages(session: Session, *, ticket_id: int | None, site: str | None, status: str | None,
                  stations: tuple[str, ...] | None, after: int | None, limit: int) -> list[StationMessage]:
    query = select(StationMessage)
    if ticket_id is not None:
        query = query.where(StationMessage.ticket_id == ticket_id)
    if site:
        query = query.where(StationMessage.site == site.strip().upper())
    if status:
        query = query.where(StationMessage.status == status)
    if stations is not None:
        query = query.where(StationMessage.site.in_(stations))
    return list(session.scalars(pagination.keyset(query, StationMessage.id, after=after, limit=limit)))


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    body: dict
    attempts: int


def pending(session: Session, now: datetime) -> bool:
    return session.scalars(select(StationMessage.id).where(
        StationMessage.status == "pending", StationMessage.next_attempt_at <= now).limit(1)).first() is not None


def claim(session: Session, *, token: str, now: datetime, limit: int = BATCH) -> list[Claimed]:
    return [Claimed(m.id, m.body, m.attempts)
            for m in outbox.lease(session, StationMessage, StationMessage.status == "pending", token=token, now=now,
                                  limit=limit)]


def give_back(session: Session, message: Claimed, *, token: str, error: str, now: datetime) -> None:
    """A failed attempt: wait longer each time; `failed` for good after MAX_ATTEMPTS."""
    backoff = min(MAX_BACKOFF_SECONDS, 2 ** min(message.attempts, 9))
    session.execute(update(StationMessage).where(StationMessage.id == message.id,
                                                 StationMessage.claimed_by == token)
                    .values(claimed_by=None, claimed_until=None, last_error=error[:500],
                            status="failed" if message.attempts >= MAX_ATTEMPTS else "pending",
                            next_attempt_at=now + timedelta(seconds=backoff)))


def settle(session: Session, message: Claimed, *, token: str, now: datetime) -> bool:
    done = session.execute(update(StationMessage).where(
        StationMessage.id == message.id, StationMessage.claimed_by == token, StationMessage.status == "pending")
        .values(status="sent", sent_at=now, last_error=None, claimed_by=None, claimed_until=None))
    return done.rowcount == 1


async def send(client: httpx.AsyncClient, body: dict, *, allow_private: bool) -> str | None:
    """Post the message to its webhook; why it failed, or None when the robot took it."""
    hook = body.get("webhook") or {}
    url = hook.get("url")
    if not url:
        return "the station has no webhook set"
    reason = webhooks.url_problem(url, allow_private=allow_private)
    if reason is None and not allow_private and await asyncio.to_thread(webhooks.resolves_to_private, url):
        reason = "the webhook's name resolves to a private address"
    if reason:
        return reason
    try:
        response = await client.post(url, json=webhooks.payload(hook.get("kind", "wecom"), body),
                                     timeout=SEND_TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    try:
        answer = response.json()
    except ValueError:
        answer = None
    return webhooks.answer_problem(response.status_code, answer)


async def deliver_due(uow: UnitOfWork, client: httpx.AsyncClient, clock: Clock, *, allow_private: bool) -> int:
    """Send what is due now; the number sent by this call."""
    if not await uow.read(pending, clock.now()):
        return 0
    token = uuid.uuid4().hex
    sent = 0
    for message in await uow.write(claim, token=token, now=clock.now()):
        error = await send(client, message.body, allow_private=allow_private)
        if error is not None:
            await uow.write(give_back, message, token=token, error=error, now=clock.now())
            log.warning("station_message_failed", message_id=message.id, attempts=message.attempts, error=error)
            continue
        if await uow.write(settle, message, token=token, now=clock.now()):
            sent += 1
    return sent


async def run_forever(uow: UnitOfWork, client: httpx.AsyncClient, clock: Clock, interval: float, *,
                      allow_private: bool) -> None:
    while True:
        try:
            await deliver_due(uow, client, clock, allow_private=allow_private)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a busy database now is no reason to stop telling stations later
            log.warning("station_message_pass_failed", error=str(exc))
        await asyncio.sleep(interval)
