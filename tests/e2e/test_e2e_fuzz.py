"""Schemathesis against the real platform's merged contract: no server error,
every answer of the documented shape and content type, and every request the
contract calls invalid refused. Zero failures, no exclusion list: where an
operation is looser than a schema would suggest, its schema says so.

The seed is fixed so that a failure reproduces; FUZZ_SEED and
FUZZ_MAX_EXAMPLES explore further (`FUZZ_MAX_EXAMPLES=200 FUZZ_SEED=7 make test`).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from platform_support import ADMIN_KEY, Platform

pytestmark = [pytest.mark.e2e, pytest.mark.fuzz]

CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance,negative_data_rejection"
SEED = os.environ.get("FUZZ_SEED", "20261127")
MAX_EXAMPLES = os.environ.get("FUZZ_MAX_EXAMPLES", "12")
TIME_LIMIT_SECONDS = int(os.environ.get("FUZZ_TIME_LIMIT", "300"))


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    # A platform of its own: the fuzzer writes freely, and as one client sending as fast as it
    # can it would mostly meet the rate limit (a documented 429) instead of the services.
    platform = Platform(tmp_path_factory.mktemp("fuzz"))
    platform.env["RATE_LIMIT_PER_SECOND"] = "0"
    platform.start()
    try:
        yield platform
    finally:
        platform.close()


def test_schemathesis_finds_nothing_in_the_merged_contract(fuzzed, tmp_path):
    schemathesis = Path(sys.executable).parent / "schemathesis"
    command = [
        str(schemathesis), "run", f"{fuzzed.url}/openapi.json",
        "-H", f"X-API-Key: {ADMIN_KEY}", "-H", f"Authorization: Bearer {ADMIN_KEY}",
        "--checks", CHECKS, "--phases", "examples,coverage,fuzzing",
        # One worker: with two threads, Hypothesis's ast.parse of a filter's lambda in both at once trips
        # CPython 3.11.7's "AST constructor recursion depth mismatch" (a SystemError in the fuzzer itself,
        # seen once in CI on 2026-12-06; fixed in later CPythons). The seed is fixed: the same cases.
        "--max-examples", MAX_EXAMPLES, "--seed", SEED, "--workers", "1",
        "--request-timeout", "30", "--no-color",
        "--report", "junit", "--report-dir", str(tmp_path),
    ]
    # In tmp_path: schemathesis keeps a cache of what it found in its working directory.
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIME_LIMIT_SECONDS, cwd=tmp_path,
                            env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    assert "No issues found" in output or " passed" in output, output[-5000:]
    assert "Tested: 0" not in output
