# Stepsense: `make demo` runs the demo, `make test` runs the whole test suite.
# Both set everything up on a fresh machine (virtualenv, packages, widget build).
# `make lint-widget` runs ESLint over the widget's source.

VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python

.PHONY: setup widget lint lint-widget demo test chromium clean

setup: $(VENV)/.installed widget

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

widget/node_modules/.package-lock.json: widget/package-lock.json
	cd widget && npm ci --no-audit --no-fund --loglevel=error

# Builds collector/static/widget.js (committed, so pip users need no Node).
widget: widget/node_modules/.package-lock.json
	cd widget && npm run --silent build

# ESLint over the widget's source (widget/eslint.config.js: browser ES modules).
lint-widget: widget/node_modules/.package-lock.json
	cd widget && npm run --silent lint

demo: setup
	$(VENV)/bin/stepsense demo

# Browser tests drive Debian's Chromium; install it when missing (needs root).
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

# Layers (import-linter) and style (ruff) of the Python code.
lint: setup lint-widget
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The whole suite: on SQLite, or on PostgreSQL when TEST_DATABASE_URL is set.
test: setup chromium
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) widget/node_modules instance test-artifacts
