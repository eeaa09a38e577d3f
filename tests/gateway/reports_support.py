"""Fakes for the figures and the audit trail: services on real ports that answer `/reports/<name>` and
`/audit` as api.md and shared/audit.py shape them, and record what the gateway asked; a gateway in
front of them; a manager key while the key administration does not make one yet."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx

from gateway import config
from gateway.main import create_app
from shared import context, identity, pagination
from shared.settings import SERVICES

from gateway_support import ADMIN, LiveServer
from helpers import TOKEN, asgi_client

REPORT_OF = {"servicedesk": "service", "warranty": "warranty", "inventory": "parts", "billing": "billing"}
MANAGER = "test-manager-key"


@dataclass
class Asked:
    path: str
    query: dict[str, str]
    caller: context.Caller


class FigureService:
    """One service's report and audit trail, with what it answers set by the test."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.report = REPORT_OF[name]
        self.asked: list[Asked] = []
        self.reset()

    def reset(self) -> None:
        self.asked.clear()
        self.rows: list[dict] = []
        self.status = 200
        self.audit: list[dict] | None = []  # None: this service has no /audit route (404)
        self.raw_body: bytes | None = None

    def add_entry(self, at: str, **fields) -> dict:
        entry = {"id": len(self.audit) + 1, "at": at,
                 "actor": {"kind": "user", "id": "user:1", "name": "王磊"}, "action": "update",
                 "service": self.name, "object_type": "part", "object_id": "P-1", "request_id": "r1", **fields}
        self.audit.append(entry)
        return entry

    async def __call__(self, scope, receive, send) -> None:
        while (await receive()).get("more_body"):
            pass
        query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode()).items()}
        caller, _rid, _deadline = identity.verify(scope["headers"], TOKEN.encode())
        self.asked.append(Asked(scope["path"], query, caller))
        status, body = self.answer(scope["path"], query)
        kind = b"application/json" if status == 200 else b"application/problem+json"
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", kind), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def answer(self, path: str, query: dict) -> tuple[int, bytes]:
        if path == f"/reports/{self.report}":
            if self.status != 200:
                return self.status, problem(self.status, "upstream_unavailable" if self.status == 503 else "nope")
            if self.raw_body is not None:
                return 200, self.raw_body
            return 200, json.dumps({"from": query["from"], "to": query["to"], "group_by": query["group_by"],
                                    "rows": self.rows}, ensure_ascii=False).encode()
        if path == "/audit" and self.audit is not None:
            if self.status != 200:
                return self.status, problem(self.status, "upstream_unavailable")
            return 200, json.dumps(self.audit_page(query), ensure_ascii=False).encode()
        return 404, problem(404, "not_found")

    def audit_page(self, query: dict) -> dict:
        """shared/audit.py's `entries`, over a list: newest (highest id) first, filters, cursor = an id."""
        rows = sorted(self.audit, key=lambda e: e["id"], reverse=True)
        before = pagination.decode(query.get("cursor"))
        if before:
            rows = [e for e in rows if e["id"] < before]
        for name in ("object_type", "object_id"):
            if query.get(name):
                rows = [e for e in rows if e[name] == query[name]]
        if query.get("actor"):
            rows = [e for e in rows if query["actor"] in (e["actor"]["id"], e["actor"]["name"])]
        if query.get("since"):
            rows = [e for e in rows if moment(e["at"]) >= moment(query["since"])]
        if query.get("until"):
            rows = [e for e in rows if moment(e["at"]) <= moment(query["until"])]
        limit = int(query.get("limit", 50))
        page = rows[:limit]
        more = len(rows) > limit
        return {"items": page, "next_cursor": pagination.encode(page[-1]["id"]) if more else None}


def moment(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def problem(status: int, code: str) -> bytes:
    return json.dumps({"type": "about:blank", "title": "No", "status": status, "code": code,
                       "detail": f"the fake says {code}", "request_id": "x"}).encode()


class FakePlatform:
    """The four fake services on their ports, for a test session."""

    def __init__(self) -> None:
        self.services = {name: FigureService(name) for name in SERVICES}
        self.servers = {name: LiveServer(service) for name, service in self.services.items()}

    def __enter__(self) -> "FakePlatform":
        for server in self.servers.values():
            server.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        for server in self.servers.values():
            server.__exit__(*exc)

    def reset(self) -> None:
        for service in self.services.values():
            service.reset()

    def urls(self) -> dict[str, str]:
        return {name: server.url for name, server in self.servers.items()}


class WithManager:
    """The gateway's key check, knowing one manager key besides the stored ones (the key administration of
    this branch makes no manager keys yet); everything else is the real authenticator."""

    def __init__(self, inner, caller: context.Caller) -> None:
        self.inner, self.caller = inner, caller

    async def authenticate(self, raw):
        if raw == MANAGER:
            return self.caller
        return await self.inner.authenticate(raw)

    def __getattr__(self, name):
        return getattr(self.inner, name)


MANAGER_CALLER = context.Caller(role="manager", key_id="user:7", kind="user", name="赵经理")


def settings_for(database, urls: dict[str, str], **overrides):
    return config.load(database_url=database.url, database_schema=database.schema, admin_api_key=ADMIN,
                       internal_token=TOKEN, rate_limit_per_second=1000.0, rate_limit_burst=1000,
                       gateway_timeout_seconds=5.0, service_urls=urls, **overrides)


async def gateway_client(settings, clock=None):
    """A gateway over ASGI (lifespan run), its app on `client.app`, knowing the manager key."""
    app = create_app(settings, clock=clock)
    async with asgi_client(app) as client:
        app.state.authenticator = WithManager(app.state.authenticator, MANAGER_CALLER)
        client.app = app
        yield client


def headers(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def as_workbook(response: httpx.Response):
    from io import BytesIO

    from openpyxl import load_workbook

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["content-disposition"]
    return load_workbook(BytesIO(response.content))
