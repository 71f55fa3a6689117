# Thin front: the logic lives in Python (campaign/demo.py, the test suite). Two commands: make demo, make test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: setup demo test lint types unit lock clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

setup: $(STAMP)

# Runs one whole campaign on the embedded stack (dev server + simulator + worker). KEEP=1 leaves it running.
demo: setup
	$(BIN)/python -m campaign.demo $(if $(KEEP),--keep-running,)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: setup
	$(BIN)/mypy

test: lint types
	$(BIN)/pytest -q

# Fast loop while developing: unit and workflow tests, without the integration runs (simulator, workers).
unit: setup
	$(BIN)/pytest -q -m "not integration"

lock: setup
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11 --quiet

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
