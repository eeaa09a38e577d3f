"""`make migrate`: apply every service's migrations to its own database."""

import sys

from scripts import run

if __name__ == "__main__":
    run.migrate(run.environment())
    sys.exit(0)
