"""Migration 0004: the visits' stored Idempotency-Key answers move into the service desk's one
`idempotency_record` (a replay after the upgrade still finds them), `visit.region` is indexed, and the
downgrade puts the visits' answers back in their own table."""

import os
import uuid

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
