"""deploy.migrate_locked: every pod's init container. On PostgreSQL, migrations
from pods starting together run one at a time under an advisory lock; the lock
is really waited for, and the wait is bounded."""

import os
import queue
import subprocess
import sys
import threading
import time
import uuid

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from deploy import migrate_locked as ml
from shared import migrations
from shared.settings import SERVICES

ROOT = ml.__file__.rsplit("/deploy/", 1)[0]
PROCESS_SCHEMAS = ("gateway", *SERVICES)


def test_the_lock_lives_only_in_postgresql():
    assert ml.lock_url({}) is None
    assert ml.lock_url({"DATABASE_URL": "sqlite:///x.sqlite3"}) is None
    assert ml.lock_url({"DATABASE_URL": "postgres://u@h/db"}) == "postgresql+psycopg://u@h/db"
    assert ml.lock_url({"DATABASE_URL": "postgres://u@h/a", "MIGRATE_LOCK_DATABASE_URL": "postgresql://u@h/b"}) \
        == "postgresql+psycopg://u@h/b"


def test_without_postgresql_it_migrates_under_a_file_lock(tmp_path):
    calls = []
    ml.migrate_locked({"DATA_DIR": str(tmp_path)}, lambda: calls.append("migrated"), calls.append)
    assert calls == ["migrated"]
    assert (tmp_path / ".migrate.lock").exists()


def run_migrate(env: dict[str, str], **kwargs) -> subprocess.Popen:
    full = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")} | env
    return subprocess.Popen([sys.executable, "-m", "deploy.migrate_locked"], env=full, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)


def heads() -> dict[str, str]:
    return {name: ScriptDirectory.from_config(migrations.config(name)).get_current_head() for name in PROCESS_SCHEMAS}


def test_on_sqlite_every_service_is_migrated(tmp_path):
    process = run_migrate({"DATA_DIR": str(tmp_path)})
    out, _ = process.communicate(timeout=300)
    assert process.returncode == 0, out
    for name, head in heads().items():
        engine = create_engine(f"sqlite:///{tmp_path / f'{name}.sqlite3'}")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        engine.dispose()


@pytest.fixture
def fresh_database():
    """A PostgreSQL database of its own (migrations create schemas named like the services)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set")
    server = make_url(ml.lock_url({"DATABASE_URL": url}))
    name = f"deploy_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def versions(url: str) -> dict[str, str | None]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = {}
            for name in PROCESS_SCHEMAS:
                if inspect(conn).has_table("alembic_version", schema=name):
                    found[name] = conn.execute(text(f'SELECT version_num FROM "{name}".alembic_version')).scalar()
                else:
                    found[name] = None
            return found
    finally:
        engine.dispose()


def test_pods_starting_together_all_succeed_and_migrate_once(fresh_database, tmp_path):
    env = {"DATABASE_URL": fresh_database, "DATA_DIR": str(tmp_path)}
    pods = [run_migrate(env) for _ in range(3)]
    outputs = [pod.communicate(timeout=300)[0] for pod in pods]
    assert [pod.returncode for pod in pods] == [0, 0, 0], outputs
    assert versions(fresh_database) == heads()


def test_a_pod_waits_for_the_lock_and_then_finds_its_work_done(fresh_database, tmp_path):
    holder = create_engine(fresh_database)
    env = {"DATABASE_URL": fresh_database, "DATA_DIR": str(tmp_path)}
    with holder.connect() as conn:
        assert conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ml.LOCK_KEY}).scalar()
        conn.commit()
        pod = run_migrate(env)
        # Until the pod says it was refused the lock, however long a loaded machine takes to start
        # it, then a moment more. (Its session's last statement is the COMMIT after the try, so
        # pg_stat_activity does not show the try: waiting for it there once ran to its 120 s.)
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=lambda: [lines.put(line) for line in pod.stdout], daemon=True)
        reader.start()
        said = []
        while not any("another pod is migrating" in line for line in said):
            said.append(lines.get(timeout=120))
        time.sleep(1)
        assert pod.poll() is None, said  # still waiting
        assert set(versions(fresh_database).values()) == {None}  # and nothing migrated meanwhile
        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ml.LOCK_KEY})
        conn.commit()
    holder.dispose()
    assert pod.wait(timeout=300) == 0, said
    reader.join(timeout=10)
    assert versions(fresh_database) == heads()


def test_the_wait_for_the_lock_is_bounded(fresh_database, tmp_path):
    holder = create_engine(fresh_database)
    try:
        with holder.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ml.LOCK_KEY})
            conn.commit()
            pod = run_migrate({"DATABASE_URL": fresh_database, "DATA_DIR": str(tmp_path),
                               "MIGRATE_LOCK_TIMEOUT_SECONDS": "1"})
            out, _ = pod.communicate(timeout=120)
    finally:
        holder.dispose()
    assert pod.returncode == 1
    assert "held the lock for too long" in out


def test_a_database_that_does_not_answer_fails_after_the_timeout(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    pod = run_migrate({"DATABASE_URL": f"postgresql://nobody@127.0.0.1:{port}/none", "DATA_DIR": str(tmp_path),
                       "MIGRATE_LOCK_TIMEOUT_SECONDS": "2"})
    out, _ = pod.communicate(timeout=120)
    assert pod.returncode == 1
    assert "waiting for the database" in out and "did not answer in time" in out
    assert time.monotonic() - started < 60


# `make run`, `make migrate` and Compose's migrate job (python -m scripts.migrate) take the same lock.
MAKE_RUN_MIGRATE = "from scripts import run; run.migrate(run.environment())"


def start_plain(env: dict[str, str], *command: str) -> subprocess.Popen:
    full = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")} | env
    return subprocess.Popen([sys.executable, *command], env=full, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def three_at_once(env: dict[str, str]) -> list[str]:
    starts = [start_plain(env, "-m", "scripts.migrate"), start_plain(env, "-m", "scripts.migrate"),
              start_plain(env, "-c", MAKE_RUN_MIGRATE)]
    outputs = [start.communicate(timeout=300)[0] for start in starts]
    assert [start.returncode for start in starts] == [0, 0, 0], outputs
    return outputs


def test_three_plain_migrations_of_fresh_sqlite_files_all_succeed(tmp_path):
    three_at_once({"DATA_DIR": str(tmp_path)})
    for name, head in heads().items():
        engine = create_engine(f"sqlite:///{tmp_path / f'{name}.sqlite3'}")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        engine.dispose()


def test_three_plain_migrations_on_postgresql_all_succeed(fresh_database, tmp_path):
    three_at_once({"DATABASE_URL": fresh_database, "DATA_DIR": str(tmp_path)})
    assert versions(fresh_database) == heads()


def test_a_plain_migration_waits_for_the_file_lock(tmp_path):
    import fcntl

    with open(tmp_path / ".migrate.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        start = start_plain({"DATA_DIR": str(tmp_path)}, "-m", "scripts.migrate")
        first = start.stdout.readline()  # however long a loaded machine takes to start it
        assert "another process is migrating" in first, first
        time.sleep(1)
        assert start.poll() is None  # still waiting
        assert not (tmp_path / "warranty.sqlite3").exists()
        fcntl.flock(held, fcntl.LOCK_UN)
    out, _ = start.communicate(timeout=300)
    assert start.returncode == 0, out
    assert "migrated warranty" in out
