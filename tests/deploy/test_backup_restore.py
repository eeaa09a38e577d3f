"""The backup and restore commands of docs/deploy.md, run against a real
PostgreSQL (TEST_DATABASE_URL): a whole-database dump restored into an empty
database, and one service's schema restored in place, the others untouched."""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from shared.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ("gateway", *SERVICES)


def tool(name: str) -> str | None:
    for directory in filter(None, [os.environ.get("PG_TEMP_BIN")]):
        if (Path(directory) / name).is_file():
            return str(Path(directory) / name)
    return shutil.which(name)


pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL") or not tool("pg_dump") or not tool("pg_restore"),
    reason="needs TEST_DATABASE_URL and PostgreSQL's pg_dump and pg_restore",
)


@pytest.fixture
def databases():
    """Make empty databases on the test server; each is dropped afterwards. Yields libpq URLs."""
    server = make_url(os.environ.get("TEST_DATABASE_URL", "").replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    made = []

    def new() -> str:
        name = f"deploy_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return server.set(drivername="postgresql", database=name).render_as_string(hide_password=False)

    yield new
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def contents(url: str) -> dict[str, list]:
    """Every row of every table of the platform's schemas, by schema.table."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            found = {}
            for schema in SCHEMAS:
                for table in inspect(conn).get_table_names(schema=schema):
                    rows = conn.execute(text(f'SELECT * FROM "{schema}"."{table}"')).all()
                    found[f"{schema}.{table}"] = sorted(map(repr, rows))
            return found
    finally:
        engine.dispose()


def run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_dump_restores_whole_and_one_schema_alone(databases, tmp_path):
    live = databases()
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env.update(DATABASE_URL=live, DATA_DIR=str(tmp_path / "data"))
    migrated = subprocess.run([sys.executable, "-m", "scripts.migrate"], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    engine = create_engine(live.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:  # something of our own in two schemas beside what the migrations seeded
        conn.execute(text("CREATE TABLE warranty.backup_probe (n int)"))
        conn.execute(text("INSERT INTO warranty.backup_probe VALUES (1), (2)"))
        conn.execute(text("CREATE TABLE inventory.backup_probe (n int)"))
        conn.execute(text("INSERT INTO inventory.backup_probe VALUES (7)"))
    before = contents(live)
    assert before["warranty.backup_probe"] and any(before[t] for t in before if t.endswith("alembic_version"))

    dump = tmp_path / "aftersales.dump"
    run(tool("pg_dump"), "--format=custom", f"--file={dump}", live)

    # the whole dump into an empty database
    fresh = databases()
    run(tool("pg_restore"), "--no-owner", f"--dbname={fresh}", str(dump))
    assert contents(fresh) == before

    # one schema back in place after damage; a change in another schema stays
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM warranty.backup_probe"))
        conn.execute(text("INSERT INTO inventory.backup_probe VALUES (8)"))
    engine.dispose()
    run(tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--schema=warranty", f"--dbname={live}", str(dump))
    after = contents(live)
    assert {k: v for k, v in after.items() if k.startswith("warranty.")} == \
        {k: v for k, v in before.items() if k.startswith("warranty.")}
    assert after["inventory.backup_probe"] == sorted(map(repr, [(7,), (8,)]))
