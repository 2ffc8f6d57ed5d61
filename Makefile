# Two commands: `make run` (the whole desk on this machine) and `make test`.
# Both install what they need on a fresh machine and are fast no-ops afterwards.

SHELL := /bin/bash
.DEFAULT_GOAL := help
export PYTHAINLP_OFFLINE := 1
export RASA_TELEMETRY_ENABLED := false
export UV_PYTHON_DOWNLOADS := never
export TF_CPP_MIN_LOG_LEVEL := 2

VENV := .venv
RASA_VENV := .venv-rasa
UV := $(VENV)/bin/uv
MODEL := models/desk.tar.gz
RASA_DATA := data/nlu data/rules
MODEL_INPUTS := config.yml domain.yml $(wildcard data/nlu/*.yml data/rules/*.yml) \
	$(shell find nlu -name '*.py' -o -name '*.txt' 2>/dev/null) $(wildcard data/geo/*)

# A working Python of the given version: on PATH, else from pyenv (a pyenv shim on PATH
# may exist without that version being active, so each candidate must actually run).
find_python = $(shell for c in "$$(command -v python$(1))" \
	$$(ls -d "$$(pyenv root 2>/dev/null)"/versions/$(1).*/bin/python$(1) 2>/dev/null | sort -rV); do \
	[ -n "$$c" ] && "$$c" -c 'import sys' >/dev/null 2>&1 && { echo "$$c"; break; }; done)

.PHONY: help run test test-fast lint typecheck test-nlu test-bot env compose-check deploy-check browser model bench chaos clean

help:
	@echo "make run   - the whole desk on 127.0.0.1:8000 (simulator at /simulator)"
	@echo "make test  - lint, type checks and every test"
	@echo "make test-fast - the tests without processes, Rasa or a browser (a couple of minutes)"

$(VENV)/.synced: pyproject.toml uv.lock
	@py="$(call find_python,3.11)"; [ -n "$$py" ] || { echo "Python 3.11 is needed (python3.11 on PATH or pyenv)"; exit 1; }; \
	[ -x $(VENV)/bin/python ] || "$$py" -m venv $(VENV)
	@[ -x $(UV) ] || $(VENV)/bin/python -m pip install -q uv==0.13.8
	$(UV) sync --frozen --compile-bytecode --python $(VENV)/bin/python  # bytecode ahead of time
	@touch $@

$(RASA_VENV)/.synced: constraints/rasa-py310.txt constraints/rasa-requirements.txt $(VENV)/.synced
	@py="$(call find_python,3.10)"; [ -n "$$py" ] || { echo "Python 3.10 is needed for Rasa (python3.10 on PATH or pyenv)"; exit 1; }; \
	[ -x $(RASA_VENV)/bin/python ] || $(UV) venv -q --python "$$py" $(RASA_VENV)
	$(UV) pip install -q --python $(RASA_VENV)/bin/python -c constraints/rasa-py310.txt -r constraints/rasa-requirements.txt
	@# Bytecode ahead of time: where PYTHONDONTWRITEBYTECODE is set, Rasa would otherwise
	@# compile TensorFlow's modules at every start (import 14.6 s instead of 4.3 s here).
	$(RASA_VENV)/bin/python -m compileall -q -j 0 $(RASA_VENV)/lib >/dev/null
	@touch $@

# The browser libraries the desk serves (the ticket map's Leaflet), pinned by the lock
# file, from the npm registry; without npm the map page says so and the rest works.
VENDOR := bot/web/vendor
$(VENDOR)/node_modules/.synced: $(VENDOR)/package.json $(VENDOR)/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix $(VENDOR) --no-audit --no-fund --ignore-scripts --loglevel=error && touch $@; \
	else echo "npm not found: the console's ticket map will be unavailable"; fi

env: $(VENV)/.synced $(RASA_VENV)/.synced $(VENDOR)/node_modules/.synced

$(MODEL): $(RASA_VENV)/.synced $(MODEL_INPUTS)
	@mkdir -p models
	PYTHONPATH=$(CURDIR) $(RASA_VENV)/bin/rasa train --quiet --config config.yml --domain domain.yml \
		--data $(RASA_DATA) --out models --fixed-model-name desk
	@touch $@

model: $(MODEL)

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads one),
# and Thai and emoji fonts so pages render as citizens see them.
BROWSER_PACKAGES := chromium fonts-thai-tlwg fonts-noto-color-emoji
browser:
	@missing=$$(for p in $(BROWSER_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q $$missing; \
	fi

run: env $(MODEL)
	$(VENV)/bin/desk run

# Import contracts (pyproject.toml [tool.importlinter]): no cycles, nlu/ never imports bot/,
# bot/ never imports Rasa, views never import other views.
lint: $(VENV)/.synced
	$(VENV)/bin/ruff check bot actions nlu tests bench docs
	$(VENV)/bin/ruff format --check bot actions nlu tests bench docs
	$(VENV)/bin/lint-imports --no-cache

typecheck: $(VENV)/.synced
	$(VENV)/bin/mypy bot actions nlu
	$(VENV)/bin/mypy tests/bot tests/actions tests/support bench docs/screenshots.py

compose-check: $(VENV)/.synced
	$(VENV)/bin/docker-compose -f docker-compose.yml config -q

# deploy/: each overlay rendered by `kubectl kustomize`, every object validated against
# the Kubernetes schemas (also part of `make test` and `make test-fast`; docs/deploy.md).
deploy-check: $(VENV)/.synced
	$(VENV)/bin/pytest tests/bot/test_deploy.py -q -p no:cacheprovider

# pytest exits 5 when it collects no test: not a failure of the suite.
test-nlu: $(RASA_VENV)/.synced
	$(RASA_VENV)/bin/python -m pytest tests/nlu -q -p no:cacheprovider; rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

test-bot: env $(MODEL) browser
	$(VENV)/bin/pytest --ignore=tests/nlu; rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

test: lint typecheck compose-check test-nlu test-bot

# The fast tier: no process of its own, no Rasa, no browser (PostgreSQL and Redis are
# real); a couple of minutes. `make test` runs it too, with everything else.
test-fast: $(VENV)/.synced
	$(VENV)/bin/pytest tests/bot tests/actions -q -m "not stack and not browser and not processes"; \
		rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

bench: env $(MODEL)
	@command -v wrk >/dev/null || { sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update -q && $$sudo apt-get install -y -q wrk; }
	$(VENV)/bin/python -m bench

# Kills each process of a supervised desk in turn while citizens chat (bench/chaos.py).
chaos: env $(MODEL)
	$(VENV)/bin/python -m bench.chaos

clean:
	rm -rf $(VENV) $(RASA_VENV) models var
