# Every target installs what it needs into .venv first (fast when already done).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test test-fast lint migrate bench demo clean install install-test messages up down backup restore admin

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --disable-pip-version-check -q -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install  ## start gateway + services on SQLite under DATA_DIR (foreground; Ctrl-C stops all)
	exec $(PY) -m scripts.run

TEST_WORKERS ?= 2

test: install-test  ## the whole suite (PostgreSQL too when TEST_DATABASE_URL is set): in-process tests on TEST_WORKERS processes, then the end-to-end ones
	$(PY) -m pytest -q -m "not e2e" -n $(TEST_WORKERS) $(PYTEST_ARGS)
	$(PY) -m pytest -q -m e2e $(PYTEST_ARGS)

test-fast: install-test  ## everything but the end-to-end tests that start real processes
	$(PY) -m pytest -q -m "not e2e" $(PYTEST_ARGS)

lint: install-test  ## ruff, and the architecture check of ../shared when it is there
	$(VENV)/bin/ruff check shared gateway services scripts tests cli
	if [ -f ../shared/tools/check_architecture.py ]; then $(PY) ../shared/tools/check_architecture.py; fi

migrate: install  ## apply every service's migrations to its database
	$(PY) -m scripts.migrate

backup: install  ## a consistent copy of every SQLite database under DATA_DIR, while `make run` runs (TO=dir)
	$(VENV)/bin/aftersales backup $(or $(TO),backups/$(shell date -u +%Y%m%dT%H%M%SZ))

restore: install  ## put a backup back under DATA_DIR (FROM=dir; stop `make run` first); checks the counters
	@test -n "$(FROM)" || { echo "usage: make restore FROM=backups/<time>" >&2; exit 2; }
	$(VENV)/bin/aftersales restore $(FROM)

admin: install  ## the first admin: make admin LOGIN=zhangwei NAME=张伟 (prints a one-time password)
	@test -n "$(LOGIN)" -a -n "$(NAME)" || { echo 'usage: make admin LOGIN=zhangwei NAME=张伟'; exit 2; }
	$(VENV)/bin/aftersales users create-admin --login "$(LOGIN)" --name "$(NAME)"

bench: install-test  ## load the platform and the reference floor in the same run (needs wrk; asyncpg for the drivers' part)
	bash scripts/bench.sh

demo: install  ## register a unit and adjudicate claims against a running `make run`
	bash scripts/demo.sh

clean:
	rm -rf $(VENV) data

messages: install-test  ## the web app's words: extract them, then add the new ones to each catalog
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ --no-location --sort-output --omit-header -o gateway/web/locale/messages.pot gateway/web
	$(VENV)/bin/pybabel update -i gateway/web/locale/messages.pot -d gateway/web/locale --no-fuzzy-matching -w 120

COMPOSE ?= docker compose
.PHONY: up down

up:  ## the platform on PostgreSQL in Docker (docker-compose.yml); writes .env with new secrets if missing
	$(PYTHON) deploy/compose/init_env.py
	$(COMPOSE) up --detach --build --wait

down:  ## stop and remove the containers of `make up` (the database volume stays)
	$(COMPOSE) down
