"""The programs kept beside the tests that people run by hand (the README's screenshots) start outside pytest,
where the tests' own folders are not on the import path: each one's imports resolve from a plain `python`."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("program", ["tests/e2e/screenshots.py", "tests/e2e/screenshots_desk.py"])
def test_a_program_run_by_hand_imports_outside_pytest(program):
    # Its module-level imports run, its main() does not (it is guarded by __name__), from the repository root
    # with nothing but the program's own path set-up.
    code = f"import runpy; runpy.run_path({str(ROOT / program)!r}, run_name='imported')"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
