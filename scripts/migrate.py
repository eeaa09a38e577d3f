"""`make migrate`: apply every service's migrations to its own database, under the migration lock
(deploy/migrate_locked.py), so that several at once all succeed."""

import sys

from deploy.migrate_locked import main

if __name__ == "__main__":
    sys.exit(main())
