# The two commands of the operator contract: `make run` and `make test`.
# Every step is idempotent and skipped when already done, so a second run starts at once.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
PYTEST_ARGS ?= -n auto

.PHONY: run test lint install install-dev translations browser-deps bench clean lock messages

run: install translations
	$(BIN)/portal db upgrade
	$(BIN)/portal seed-demo --if-empty
	PORT=$(PORT) $(BIN)/portal serve

test: install-dev translations browser-deps
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24.2"

$(VENV)/.installed-run: requirements/run.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/run.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-dev: $(VENV)/.installed-dev

# Compiled message catalogues are build output (not committed): .po -> .mo
translations: $(VENV)/.installed-run
	$(BIN)/pybabel compile -d app/translations

# Debian's Chromium for Playwright, Java for the Nu Html Checker, axe-core and vnu.jar from npm.
browser-deps:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }
	@command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq default-jre-headless; }
	@test -f node_modules/.package-lock.json -a node_modules/.package-lock.json -nt package-lock.json || \
		npm ci --no-audit --no-fund --silent

# Update the pinned versions after editing the ranges in pyproject.toml.
lock:
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -q -o requirements/run.txt
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -q -o requirements/dev.txt

bench: install-dev
	$(BIN)/python bench/seed_speed.py
	$(BIN)/python bench/dashboard_speed.py
	$(BIN)/python bench/access_package.py

clean:
	rm -rf $(VENV) node_modules instance/test-* .pytest_cache

# After changing texts: extract them and merge into the Swedish catalogue (then translate).
messages: install-dev
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot \
		--no-location --sort-output --omit-header .
	$(BIN)/pybabel -q update -i app/translations/messages.pot -d app/translations \
		--no-fuzzy-matching --ignore-obsolete
