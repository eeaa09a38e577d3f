"""The platform's audit trail (操作日志, domain.md section 7) in one list: every service's own trail
(its `GET /audit`, shared/audit.py) and the gateway's own entries (people and keys), merged newest
first.

One page asks every source for up to `limit` entries after its position, merges them by time, and
keeps the first `limit`; the cursor carries each source's position (the id of the last entry taken
from it, or "done"), so the next page goes on exactly where each source was left and no entry is
shown twice or skipped, whatever the sources' times.
"""

import asyncio
import heapq
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from gateway import users
from gateway.web.i18n import CHINA_TIME
from shared import errors, pagination
from shared.contracts import people as people_contract
from shared.settings import SERVICES

GATEWAY = "gateway"
SOURCES = (*SERVICES, GATEWAY)
MAX_LIMIT = people_contract.AUDIT_PAGE_MAX
TEXT_LIMITS = {"object_type": people_contract.AUDIT_OBJECT_TYPE_MAX_LENGTH,
               "object_id": people_contract.AUDIT_OBJECT_ID_MAX_LENGTH, "actor": people_contract.AUDIT_ACTOR_MAX_LENGTH}


@dataclass(frozen=True)
class TrailQuery:
    object_type: str | None = None
    object_id: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = pagination.DEFAULT_LIMIT
    # A source missing here starts from its newest entry; an id: continue before it; None: it is done.
    positions: Mapping[str, int | None] = field(default_factory=dict)

    def filters(self) -> dict[str, str]:
        found = {"object_type": self.object_type, "object_id": self.object_id, "actor": self.actor,
                 "since": _wire(self.since), "until": _wire(self.until)}
        return {k: v for k, v in found.items() if v}


def _wire(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _moment(text: str, *, end_of_day: bool) -> datetime:
    """A date (a whole day in China Standard Time) or an RFC 3339 time (UTC when no offset is given)."""
    if len(text) == 10:
        day = date.fromisoformat(text)
        if end_of_day:
            return datetime.combine(day + timedelta(days=1), time(), CHINA_TIME) - timedelta(microseconds=1)
        return datetime.combine(day, time(), CHINA_TIME)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _positions(value: Any) -> bool:
    return isinstance(value, dict) and all(
        source in SOURCES and (position is None or pagination.is_id(position)) for source, position in value.items())


def parse(params: Mapping[str, str]) -> TrailQuery:
    """The query of /admin/audit, or 422 `validation_error` naming each field that is wrong."""
    problems: list[dict] = []
    texts: dict[str, str | None] = {}
    for name, longest in TEXT_LIMITS.items():
        value = (params.get(name) or "").strip()
        if len(value) > longest:
            problems.append({"field": name, "message": f"at most {longest} characters"})
        texts[name] = value or None
    moments: dict[str, datetime | None] = {}
    for name in ("since", "until"):
        value = (params.get(name) or "").strip()
        try:
            moments[name] = _moment(value, end_of_day=name == "until") if value else None
        except ValueError:
            problems.append({"field": name, "message": "a date (YYYY-MM-DD) or an RFC 3339 time"})
            moments[name] = None
    if moments["since"] and moments["until"] and moments["since"] > moments["until"]:
        problems.append({"field": "until", "message": "on or after since"})
    limit_text = (params.get("limit") or "").strip()
    limit = pagination.DEFAULT_LIMIT
    if limit_text:
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
            problems.append({"field": "limit", "message": f"a whole number from 1 to {MAX_LIMIT}"})
        else:
            limit = int(limit_text)
    if problems:
        raise errors.Unprocessable("The audit trail's query is not valid", errors=problems)
    cursor = (params.get("cursor") or "").strip() or None
    positions = pagination.decode_as(cursor, _positions) or {}
    return TrailQuery(texts["object_type"], texts["object_id"], texts["actor"], moments["since"], moments["until"],
                      limit, positions)


Fetch = Callable[[str, TrailQuery, int | None], Awaitable[tuple[list[dict], bool]]]


def _order(item: dict) -> tuple:
    try:
        at = datetime.fromisoformat(str(item.get("at", "")).replace("Z", "+00:00"))
    except ValueError:
        at = datetime.min.replace(tzinfo=UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at, item.get("id") or 0


async def page(query: TrailQuery, fetch: Fetch, sources: tuple[str, ...] = SOURCES) -> dict:
    """One merged page: `{"items", "next_cursor"}`. `fetch(source, query, before_id)` gives up to
    `query.limit` entries of one source, newest first, and whether more follow."""
    active = [s for s in sources if query.positions.get(s, 0) is not None]
    answers = await asyncio.gather(*(fetch(s, query, query.positions.get(s)) for s in active))
    streams = {source: items for source, (items, _more) in zip(active, answers, strict=True)}
    more = {source: more for source, (_items, more) in zip(active, answers, strict=True)}
    tagged = [[(source, item) for item in items] for source, items in streams.items()]
    taken = list(islice(heapq.merge(*tagged, key=lambda pair: _order(pair[1]), reverse=True), query.limit))
    positions: dict[str, int | None] = {s: p for s, p in query.positions.items() if s in sources}
    for source in active:
        used = [item for s, item in taken if s == source]
        if used and used[-1].get("id") is not None:
            positions[source] = int(used[-1]["id"])
        if len(used) == len(streams[source]) and not more[source]:
            positions[source] = None
    done = all(positions.get(s, 0) is None for s in sources)
    return {"items": [item for _s, item in taken], "next_cursor": None if done else pagination.encode(positions)}


def _own(session: Session, query: TrailQuery, before: int | None) -> tuple[list[dict], bool]:
    """The gateway's own entries (people and keys: gateway/users.py, gateway/people.py)."""
    items, next_id = users.audit_entries(
        session, object_type=query.object_type, object_id=query.object_id, actor=query.actor, since=query.since,
        until=query.until, before_id=before, limit=query.limit)
    return items, next_id is not None


def refused(service: str, status: int, body: bytes) -> errors.ServiceError:
    """A service's refusal, passed on as that service gave it (its status and code)."""
    try:
        problem = json.loads(body)
    except ValueError:
        problem = None
    problem = problem if isinstance(problem, dict) else {}
    exc = errors.ServiceError(str(problem.get("detail") or f"The {service} service answered {status}"))
    exc.status = status
    exc.code = str(problem.get("code") or errors.STATUS_CODES.get(status, "upstream_error"))
    exc.title = str(problem.get("title") or exc.title)
    return exc


def fetcher(gateway, caller, uow) -> Fetch:
    """The sources as the gateway reaches them: each service's `GET /audit` with the caller's identity,
    the gateway's own table through its unit of work."""

    async def fetch(source: str, query: TrailQuery, before: int | None) -> tuple[list[dict], bool]:
        if source == GATEWAY:
            return await uow.read(_own, query, before)
        params = {**query.filters(), "limit": str(query.limit)}
        if before is not None:
            params["cursor"] = pagination.encode(before)  # shared/audit.py's cursor: the id to continue before
        answer = await gateway.send_upstream(source, caller, "GET", "/audit?" + urlencode(params),
                                             [(b"accept", b"application/json")], b"",
                                             gateway.settings.gateway_timeout_seconds)
        if answer.status == 404:
            raise errors.UpstreamUnavailable(f"The {source} service does not serve its audit trail")
        if answer.status != 200:
            raise refused(source, answer.status, answer.body)
        try:
            data = json.loads(answer.body)
            items = [item for item in data["items"] if isinstance(item, dict)]
        except (ValueError, KeyError, TypeError) as exc:
            raise errors.UpstreamUnavailable(f"The {source} service gave an unreadable audit trail") from exc
        for item in items:
            item.setdefault("service", source)
        return items, bool(data.get("next_cursor"))

    return fetch


async def walk(query: TrailQuery, fetch: Fetch, cap: int) -> tuple[list[dict], bool]:
    """Every entry the query finds, newest first, up to `cap`; and whether there were more."""
    found: list[dict] = []
    while True:
        answer = await page(query, fetch)
        found.extend(answer["items"])
        if len(found) >= cap:
            return found[:cap], len(found) > cap or answer["next_cursor"] is not None
        if answer["next_cursor"] is None:
            return found, False
        query = TrailQuery(query.object_type, query.object_id, query.actor, query.since, query.until, query.limit,
                           pagination.decode(answer["next_cursor"]))
