"""Libraries used by one rare operation are loaded with its first use, not by every worker at start:
openpyxl (about 7 MB resident) for a workbook, reportlab (about 4 MB with PIL) for a PDF, asyncpg for
PostgreSQL's one-statement writes (never on SQLite). Each worker
of make run's PostgreSQL processes (2 per service) carries what its app imports at start; the bench's
line is 120 MB at rest per worker (docs/performance.md)."""

import json
import subprocess
import sys

import pytest

DEFERRED = ("openpyxl", "reportlab", "asyncpg")
PROBE = """
import json, sys
from {module} import create_app
create_app()
print(json.dumps(sorted(name for name in {deferred} if name in sys.modules)))
"""


@pytest.mark.parametrize("module", ["gateway.main", "services.billing.main", "services.servicedesk.main",
                                    "services.inventory.main"])
def test_an_app_at_start_has_not_loaded_what_only_exports_and_prints_use(module, tmp_path):
    env = {"AFTERSALES_ENV": "development", "DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", PROBE.format(module=module, deferred=DEFERRED)],
                          capture_output=True, text=True, env=env, timeout=120, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
