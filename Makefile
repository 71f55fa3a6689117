# Thin front: the logic lives in Python (devtools/demo.py, the test suite). Two commands: make demo, make test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

# Where `make demo` keeps its files and the record of the stack it runs (stack.json), read by `make stop`.
DEMO_DIR ?= data/demo

.PHONY: setup demo stop test lint types unit bench lock clean setup-browser ui-screenshot api-docs-screenshot

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP)

# Runs one whole campaign on the embedded stack (dev server + simulator + worker). KEEP=1 leaves it running until
# Ctrl-C, SIGTERM, SIGHUP or `make stop`; a stack still running from an earlier KEEP=1 is named, not started twice.
demo: setup
	$(BIN)/python -m devtools.demo --data-dir $(DEMO_DIR) $(if $(KEEP),--keep-running,)

# Stops a `make demo KEEP=1` running in another terminal: the processes recorded in $(DEMO_DIR)/stack.json, by PID.
stop:
	$(BIN)/python -m devtools.demo --stop --data-dir $(DEMO_DIR)

# Debian's Chromium for `make ui-screenshot` and tests/test_ui_screenshot.py (which skips without it). Installs
# only as root where apt-get exists; otherwise says what to do. CHROMIUM=/path/to/chrome uses another browser.
setup-browser:
	@if [ -n "$$CHROMIUM" ] || command -v chromium >/dev/null 2>&1; then \
		echo "browser: $${CHROMIUM:-$$(command -v chromium)}"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium \
		|| { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }; \
	else \
		echo "no Chromium: run 'sudo apt-get install chromium' (Debian/Ubuntu) or set CHROMIUM=/path/to/chrome"; exit 1; \
	fi

# Proves the UI inspection in a real browser: a running campaign's summary, details and progress table in the
# Temporal UI, photographed by headless Chromium into data/ui-screenshot/campaign-ui.png (checks printed).
# CODEC=1: payloads encrypted, the campaign's input as the UI decrypts it through the codec server
# (data/ui-screenshot/campaign-ui-codec.png). PROGRAM=1: a campaign program awaiting approval of its pilot wave,
# with the pilot's figures (data/ui-screenshot/program-ui.png). LIST=1: the workflow list, campaign names leading
# their IDs, some completed (data/ui-screenshot/workflow-list.png, and workflow-list-campaigns.png: the saved view).
ui-screenshot: setup setup-browser
	$(BIN)/python -m devtools.ui_screenshot $(if $(CODEC),--codec,) $(if $(PROGRAM),--program,) $(if $(LIST),--list,)

# The HTTP API's /docs and /redoc in headless Chromium with no network but loopback: data/ui-screenshot/api-docs.png
# and api-redoc.png, with a check that every asset came from the API itself (printed as JSON).
api-docs-screenshot: setup setup-browser
	$(BIN)/python -m devtools.api_docs_screenshot

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: setup
	$(BIN)/mypy

# Three pytest-xdist workers on two cores (each with its own dev server and simulator): most tests wait on timers
# and I/O, so a third worker fills the waits (fresh clone: 9 min 45 s in all against 11 min 15 s with two).
test: lint types
	$(BIN)/pytest -q -n 3 --dist loadgroup --durations=15

# Fast loop while developing: unit and workflow tests, without the integration runs (simulator, workers).
unit: setup
	$(BIN)/pytest -q -m "not integration"

# Every performance figure against its anchor measured in the same run, as one table (docs/operations.md quotes
# it). QUICK=1: smaller sizes for a laptop (minutes); without it, the release sizes (1M rows, 500 campaigns).
# ONLY=fleet,trigger runs some figures.
bench: setup
	$(BIN)/python -m bench $(if $(QUICK),--quick,) $(if $(ONLY),--only $(ONLY),)

lock: setup
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11 --quiet

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
