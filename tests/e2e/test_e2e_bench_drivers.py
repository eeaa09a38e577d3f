"""`scripts/bench/drivers.py`, run as `make bench` runs it (briefly): every way answers, and its figures add up."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not (os.environ.get("TEST_DATABASE_URL") and os.environ.get("PG_TEMP_DIR")),
                       reason="needs the throwaway PostgreSQL of scripts/pg_temp.sh (TEST_DATABASE_URL, PG_TEMP_DIR)"),
]


def test_the_drivers_are_measured_each_way(tmp_path):
    out = tmp_path / "drivers.json"
    done = subprocess.run(
        [sys.executable, "-m", "scripts.bench.drivers", "--url", os.environ["TEST_DATABASE_URL"],
         "--data", str(Path(os.environ["PG_TEMP_DIR"]) / "data"), "--duration", "0.3", "--rounds", "1",
         "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert {(r["way"], r["kind"]) for r in results} == {
        (way, kind) for way in ("thread-psycopg", "async-psycopg", "async-asyncpg", "raw-asyncpg")
        for kind in ("read", "write")}
    for r in results:
        assert r["transactions"] > 0 and r["per_s"] > 0 and r["ours_ms"] > 0 and r["postgres_ms"] >= 0, r
    assert "thread-psycopg" in done.stdout and "raw-asyncpg" in done.stdout
