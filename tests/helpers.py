"""Test helpers: real databases with real migrations, apps over ASGI."""

import os
import re
import uuid
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import httpx
from sqlalchemy import Engine, MetaData, create_engine, event, text

from scripts.ports import free_port  # noqa: F401 (the tests import it from here)
from shared import context, identity, migrations
from shared.db import is_sqlite

TOKEN = "test-internal-token"
# The tests run the platform in development: a missing ADMIN_API_KEY or the development internal
# token is then allowed (outside development the gateway and the services refuse to start).
os.environ.setdefault("AFTERSALES_ENV", "development")


def docker_available() -> bool:
    if not Path("/var/run/docker.sock").exists() and not os.environ.get("DOCKER_HOST"):
        return False
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def backends() -> list[str]:
    if os.environ.get("TEST_DATABASE_URL") or docker_available():
        return ["sqlite", "postgres"]
    return ["sqlite"]


class TestDatabase:
    """One service's database, migrated once per test session, emptied before each test."""

    __test__ = False

    def __init__(self, service: str, url: str, schema: str | None) -> None:
        self.service, self.url, self.schema = service, url, schema
        migrations.upgrade(service, url, schema)
        connect_args = {"options": f"-c search_path={schema}"} if schema else {}
        # pre_ping: a session-long engine outlives a server restarted under it (the database drill).
        self.engine = create_engine(url, connect_args=connect_args, pool_pre_ping=True)
        meta = MetaData()
        meta.reflect(self.engine)
        self.tables = [t for t in meta.sorted_tables if t.name != "alembic_version"]
        # What the migrations seeded, put back after every emptying.
        with self.engine.connect() as conn:
            self.seed = {t.name: [dict(r) for r in conn.execute(t.select()).mappings()] for t in self.tables}

    def reset(self) -> None:
        with self.engine.begin() as conn:
            if is_sqlite(self.url):
                # An append-only table's triggers refuse DELETE (TRUNCATE on PostgreSQL fires none):
                # set aside while emptying, then put back.
                triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
                for name, _sql in triggers:
                    conn.execute(text(f'DROP TRIGGER "{name}"'))
                for table in reversed(self.tables):
                    conn.execute(table.delete())
                for _name, sql in triggers:
                    conn.execute(text(sql))
            elif self.tables:
                names = ", ".join(f'"{t.name}"' for t in self.tables)
                # Sequences keep counting, so the seeded ids never collide with new rows.
                conn.execute(text(f"TRUNCATE {names} CASCADE"))
            for table in self.tables:
                if self.seed[table.name]:
                    conn.execute(table.insert(), self.seed[table.name])

    def drop(self) -> None:
        if not is_sqlite(self.url):
            with self.engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        self.engine.dispose()


def new_database(service: str, backend: str, tmp_dir: Path, pg_url: str | None) -> TestDatabase:
    if backend == "sqlite":
        return TestDatabase(service, f"sqlite:///{tmp_dir / f'{service}.sqlite3'}", None)
    schema = f"t{uuid.uuid4().hex[:8]}_{service}"
    return TestDatabase(service, pg_url, schema)


@asynccontextmanager
async def asgi_client(app, *, headers: dict | None = None, base_url: str = "http://testserver"):
    """An httpx client over ASGI, with the app's lifespan run around it."""
    target = getattr(app, "app", app)  # the gateway wraps its FastAPI app
    async with target.router.lifespan_context(target):
        # An unexpected error must come back as a 500 problem, as uvicorn would send it.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=base_url, headers=headers or {}) as client:
            yield client


def internal_headers(role: str = "admin", warehouses: str = "", key_id: str = "test-key", *,
                     request_id: str = "", deadline_ms: str = "", token: str = TOKEN) -> dict:
    """The headers the gateway sends a service: the token and the caller, signed (shared/identity.py)."""
    caller = context.Caller(role=role, key_id=key_id or None,
                            warehouses=frozenset(w for w in warehouses.split(",") if w))
    signed = identity.headers(token, caller, request_id=request_id, deadline_ms=deadline_ms)
    return {name.decode(): value.decode() for name, value in signed}


def assert_rows_as_core(ours: list, theirs: list) -> None:
    """Rows read some other way (shared/rawread.py, shared/direct.py) are a Core connection's rows: the same
    values, the same names, the same types (dates, Decimals, aware UTC timestamps, NULLs)."""
    assert ours == [tuple(row) for row in theirs]
    assert [row._fields for row in ours] == [tuple(row._fields) for row in theirs]
    assert [[type(value) for value in row] for row in ours] == [[type(value) for value in row] for row in theirs]


async def answered_alike(hot, plain, method: str, path: str, body=None, headers: dict | None = None, *,
                         plain_path: str | None = None, plain_headers: dict | None = None) -> httpx.Response:
    """The same request to a service as it runs (`hot`) and to the same service with FastAPI's routes only
    (`plain`), on one database: the same status, headers and body (a created object's leading `"id"` apart,
    as both write). `body`: bytes as they are, anything else as JSON; `plain_path`, `plain_headers`: the plain
    one's own object (each consumes its own reservation) and headers (each its own Idempotency-Key)."""
    answers = []
    for client, where, sent in ((hot, path, headers), (plain, plain_path or path, plain_headers or headers)):
        if isinstance(body, bytes):
            answers.append(await client.request(method, where, content=body, headers=sent))
        else:
            answers.append(await client.request(method, where, json=body, headers=sent))
    ours, theirs = answers
    assert ours.status_code == theirs.status_code, (ours.text, theirs.text)
    assert [h for h in ours.headers.multi_items() if h[0] != "content-length"] == [
        h for h in theirs.headers.multi_items() if h[0] != "content-length"]
    assert method == "HEAD" or int(ours.headers["content-length"]) == len(ours.content)
    assert _without_id(ours.content) == _without_id(theirs.content)
    return ours


def without_hot_routes(app):
    """The app with FastAPI's routes only: its hot routes (shared/hot.py) taken out, to compare with."""
    from shared.hot import HotRoute, HotWrite

    app.router.routes[:] = [r for r in app.router.routes if not isinstance(r, HotWrite | HotRoute)]
    return app


def reaching_fastapi(monkeypatch, hot_write) -> list[str]:
    """The paths of the requests a HotWrite hands to FastAPI's route, as they come. The route is the
    router's, shared by every app made from that router: a plain app's requests are counted too."""
    handed = []
    original = hot_write.route.handle

    async def counted(scope, receive, send):
        handed.append(scope["path"])
        await original(scope, receive, send)

    monkeypatch.setattr(hot_write.route, "handle", counted)
    return handed


def _without_id(content: bytes) -> bytes:
    return re.sub(rb'^\{"id":\d+,', b'{"id":0,', content)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert body["title"] and body["type"] and "detail" in body
    assert body["request_id"]
    return body


@contextmanager
def another_writer_first(table: str):
    """A real race with a second writer, made certain: the first INSERT INTO `table` runs twice on
    the same connection, as if another request had written the same row a moment before, so the
    database itself refuses the request's own insert (a unique or primary key). Yields the list of
    statements it doubled, so a test can check the race did happen."""
    doubled: list[str] = []
    insert = re.compile(rf'\s*INSERT INTO "?{re.escape(table)}"?[\s(]', re.IGNORECASE)

    def before(_conn, cursor, statement, parameters, _context, executemany):
        if doubled or not insert.match(statement):
            return
        doubled.append(statement)
        (cursor.executemany if executemany else cursor.execute)(statement, parameters)

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield doubled
    finally:
        event.remove(Engine, "before_cursor_execute", before)
