"""Migrations 0004 and 0005. 0004: the visits' stored Idempotency-Key answers move into the service desk's one
`idempotency_record` (a replay after the upgrade still finds them), `visit.region` is indexed, and the
downgrade puts the visits' answers back in their own table. 0005: the tickets already there get the
figures' due times and business minutes."""

import os
import uuid

import pytest
from sqlalchemy import create_engine, inspect, text

from alembic import command
from shared import migrations
from shared.settings import normalise_url

NOW = "2026-11-27 02:00:00+00:00"
ROW = ("INSERT INTO {table} (scope, key, fingerprint, state, response_status, response_body, created_at, "
       "updated_at) VALUES (:scope, :key, 'f', 'done', 200, :body, :now, :now)")
VISIT_ANSWER = {"scope": "user:5:/visits/7/record", "key": "phone-1", "body": '{"id": 7}'}
TICKET_ANSWER = {"scope": "key-1:/tickets", "key": "call-1", "body": '{"id": 1}'}


def databases(tmp_path):
    yield f"sqlite:///{tmp_path / 'servicedesk.sqlite3'}", None
    if os.environ.get("TEST_DATABASE_URL"):
        yield normalise_url(os.environ["TEST_DATABASE_URL"]), f"t{uuid.uuid4().hex[:8]}_servicedesk"


def test_the_visits_answers_join_the_desks_store_and_go_back_on_downgrade(tmp_path):
    for url, schema in databases(tmp_path):
        migrations.upgrade("servicedesk", url, schema, revision="0003_visits")
        engine = create_engine(url, connect_args={"options": f"-c search_path={schema}"} if schema else {})
        try:
            with engine.begin() as conn:
                conn.execute(text(ROW.format(table="visit_idempotency_record")), {**VISIT_ANSWER, "now": NOW})
                conn.execute(text(ROW.format(table="idempotency_record")), {**TICKET_ANSWER, "now": NOW})

            migrations.upgrade("servicedesk", url, schema)

            with engine.begin() as conn:
                rows = conn.execute(text("SELECT scope, key, response_body FROM idempotency_record "
                                         "ORDER BY scope")).all()
                assert [tuple(r) for r in rows] == [("key-1:/tickets", "call-1", '{"id": 1}'),
                                                    ("user:5:/visits/7/record", "phone-1", '{"id": 7}')]
            found = inspect(engine)
            assert "visit_idempotency_record" not in found.get_table_names(schema=schema)
            assert "ix_visit_region" in {i["name"] for i in found.get_indexes("visit", schema=schema)}

            command.downgrade(migrations.config("servicedesk", url, schema), "0003_visits")
            with engine.begin() as conn:
                assert [r.scope for r in conn.execute(text("SELECT scope FROM idempotency_record"))] == [
                    "key-1:/tickets"]
                assert [r.key for r in conn.execute(text("SELECT key FROM visit_idempotency_record"))] == ["phone-1"]
        finally:
            if schema:
                with engine.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()


FIGURES = ("dispatch_due_at", "on_site_due_at", "fixed_due_at", "follow_up_due_at", "dispatch_minutes",
           "on_site_minutes", "fixed_minutes")


@pytest.mark.anyio
async def test_migration_0005_derives_the_figures_of_tickets_already_there(tmp_path, clock, warranty):
    """Tickets taken and worked before 0005 get the due times and business minutes a refresh would give them."""
    import httpx

    from services.servicedesk.main import create_app
    from shared import settings as settings_module

    from helpers import TOKEN, asgi_client, internal_headers
    from servicedesk_fakes import DeskInventory
    from servicedesk_support import add_site, add_technician, report, z

    for url, schema in databases(tmp_path):
        migrations.upgrade("servicedesk", url, schema)
        engine = create_engine(url, connect_args={"options": f"-c search_path={schema}"} if schema else {})
        try:
            settings = settings_module.load("servicedesk", database_url=url, database_schema=schema,
                                            internal_token=TOKEN)
            app = create_app(settings, clock=clock, deliver=False, transports={
                "warranty": httpx.MockTransport(warranty.handler),
                "inventory": httpx.MockTransport(DeskInventory().handler)})
            async with asgi_client(app, headers=internal_headers(role="admin")) as desk:
                await add_site(desk, "SC-JINAN", kind="service_center")
                await add_site(desk, "ST-07")
                wang = (await add_technician(desk, "王磊", "ST-07"))["id"]
                first = (await desk.post("/tickets", json=report(3, reported_at=z("2026-11-26 16:50")))).json()["id"]
                await desk.post(f"/tickets/{first}/dispatch", json={"station": "ST-07", "technician_id": wang,
                                                                    "at": z("2026-11-27 09:00")})
                await desk.post(f"/tickets/{first}/arrive", json={"technician": "王磊", "at": z("2026-11-27 09:30")})
                await desk.post(f"/tickets/{first}/resolve", json={"technician": "王磊", "summary": "ok",
                                                                   "at": z("2026-11-27 09:50")})
                second = (await desk.post("/tickets", json=report(1))).json()["id"]
                await desk.post(f"/tickets/{second}/resolve", json={"technician": "王磊", "summary": "电话指导",
                                                                    "way": "phone"})
            select = text(f"SELECT id, {', '.join(FIGURES)} FROM ticket ORDER BY id")
            with engine.begin() as conn:
                derived = [tuple(r) for r in conn.execute(select)]
            assert derived[0][5:] == (40, 70, 90)  # 16:50-17:00 and 08:30-09:00, -09:30, -09:50
            assert derived[1][2] is None  # fixed on the phone: on site not needed
            command.downgrade(migrations.config("servicedesk", url, schema), "0004_visit_scope")
            migrations.upgrade("servicedesk", url, schema)
            with engine.begin() as conn:
                assert [tuple(r) for r in conn.execute(select)] == derived
        finally:
            if schema:
                with engine.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()
