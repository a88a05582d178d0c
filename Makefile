# `make run` serves the demo estate; `make test` runs the test suite. Both create .venv on first use
# and reinstall the project only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test proto

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/ciem serve --config examples/demo-config.yaml

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q

proto: $(STAMP)
	$(VENV)/bin/python scripts/gen_proto.py
